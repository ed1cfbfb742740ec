import Bytes
import Diagnosis
import Testing
import Tracking
import Wire

/// The classic ICQ rules keep what they know of a session only while it lasts, so memory on a
/// busy gateway is bounded by the sessions open at once, not by every session ever seen.
struct ICQDiagnosisMemoryTests {
    /// A tracker and the rules over it, fed real v5 datagrams.
    final class Pipeline {
        let tracker = ICQSessionTracker()
        let diagnosis: ICQDiagnosis
        private let decoder = ICQDecoder()
        private var events: [ICQSessionTracker.Event] = []
        private var frame: UInt64 = 0
        private(set) var findings: [Finding] = []
        static let server = Endpoint(address: IPAddress(ipv4: 0xC633_6401), port: 4000)

        init() {
            var findings: [Finding] = []
            diagnosis = ICQDiagnosis(thresholds: Thresholds()) { findings.append($0) }
            collect = { let f = findings; findings.removeAll(); return f }
        }

        private var collect: () -> [Finding] = { [] }

        func client(_ uin: UInt32, session: UInt32, seq1: UInt16, at time: Int64) {
            // A status change: a request the server must ack.
            let bytes = ICQEncoder.v5Client(uin: uin, session: session, command: 0x04D8, seq1: seq1, seq2: 0,
                                            parameters: ICQParameters.status(uin),
                                            r1: ICQEncoder.clientR1(random: uin, length: 28), r2: 0x5A)
            frame += 1
            bytes.withUnsafeBytes { payload in
                guard case .icq(let packet) = decoder.decode(payload, direction: .clientToServer) else {
                    fatalError("the encoder's datagram did not decode")
                }
                tracker.observe(packet, source: Endpoint(address: IPAddress(ipv4: 0x0A00_0000 | uin), port: 1024),
                                destination: Self.server, frame: frame, time: time, side: 0)
            }
            drain()
        }

        func advance(to time: Int64) {
            tracker.advance(to: time)
            drain()
        }

        private func drain() {
            tracker.drainEvents(into: &events)
            for event in events { diagnosis.handle(event) }
            findings += collect()
        }
    }

    static let t0: Int64 = 1_000 * 1_000_000_000

    @Test func theRulesForgetEverySessionThatEnded() {
        let n = 4_000  // under the tracker's 4,096 sessions: none is evicted
        let pipeline = Pipeline()
        // Every client sends a request twice and never hears from the server (R5), and its
        // packets are reported dropped at the gateway and refused by ICMP.
        for uin in 1...UInt32(n) {
            let start = Self.t0 + Int64(uin) * 1_000_000
            pipeline.client(uin, session: 1, seq1: 1, at: start)
            pipeline.client(uin, session: 1, seq1: 1, at: start + 10_000_000_000)
            let facts = pipeline.tracker.facts(for: ICQSession.Key(uin: uin, sessionID: 1))!
            pipeline.diagnosis.gatewayDropped(session: facts, frame: 1, time: start, fromServer: false, gap: 0)
            pipeline.diagnosis.icmpError(session: facts, frame: 2, time: start, code: 13, quotesServerPacket: false)
        }
        #expect(pipeline.diagnosis.sessionEntries >= 2 * n)
        // Given up 20 s after the second copy: the path is reported blocked once per session.
        pipeline.advance(to: Self.t0 + 40_000_000_000)
        #expect(pipeline.findings.count == n)
        #expect(pipeline.findings.allSatisfy { $0.kind == .serverPathBlocked && $0.detail == .icmp })
        #expect(pipeline.diagnosis.sessionEntries >= 3 * n)

        // Idle past the timeout: every session ends, and nothing of them is kept.
        pipeline.advance(to: Self.t0 + 700_000_000_000)
        #expect(pipeline.tracker.activeSessions == 0)
        #expect(pipeline.diagnosis.sessionEntries == 0)
    }

    /// What a session established does not carry over to a later session with the same key.
    @Test func aLaterSessionWithTheSameKeyIsJudgedAfresh() {
        let pipeline = Pipeline()
        for round: Int64 in 0..<2 {
            let start = Self.t0 + round * 1_000_000_000_000
            pipeline.client(9, session: 3, seq1: 1, at: start)
            pipeline.client(9, session: 3, seq1: 1, at: start + 10_000_000_000)
            pipeline.client(9, session: 3, seq1: 2, at: start + 20_000_000_000)
            pipeline.client(9, session: 3, seq1: 2, at: start + 30_000_000_000)
            pipeline.advance(to: start + 900_000_000_000)
        }
        // Each session reports its blocked path once, for its first abandoned request.
        #expect(pipeline.findings.map(\.kind) == [.serverPathBlocked, .serverPathBlocked])
        #expect(pipeline.findings.map(\.frames) == [[1, 2], [5, 6]])
        #expect(pipeline.diagnosis.sessionEntries == 0)
    }
}
