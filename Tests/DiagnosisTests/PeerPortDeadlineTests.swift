import Bytes
import Diagnosis
import SampleKit
import Testing
import Wire

/// Rule R4's deadlines with many attempts open: unanswered attempts come out when capture time
/// passes their deadline, in deadline order, and attempts with the same deadline in the order
/// they began; nothing is reported twice, and an answered attempt never is.
struct PeerPortDeadlineTests {
    final class Collector {
        var findings: [Finding] = []
    }

    static let peers: [Endpoint] = (0..<10).map {
        Endpoint(address: IPAddress(ipv4: 0xC633_6401 + UInt32($0)), port: 3456 + UInt16($0))
    }

    /// The client of attempt `i`: 10.(i / 60000).x.y, a port of its own.
    static func client(_ i: Int) -> (address: UInt32, port: UInt16) {
        (0x0A00_0000 | UInt32(i / 60_000) << 16 | UInt32(i % 256) << 8 | UInt32(i / 256 % 234), UInt16(1024 + i % 60_000))
    }

    static func segment(_ diagnosis: PeerPortPipeline, from: (UInt32, UInt16), to: Endpoint, flags: FrameBuilder.TCPFlags,
                        sequence: UInt32, frame: UInt64, time: Int64) {
        let bytes = FrameBuilder.tcpFrame(from: from.0, from.1, to: to.address.ipv4Value, to.port, sequence: sequence,
                                          acknowledgement: 0, flags: flags)
        bytes.withUnsafeBytes { raw in
            let decoded = PacketDecoder.decode(raw, linkType: .ethernet)
            guard case .tcp(let tcp)? = decoded.transport else { return }
            diagnosis.tcp(tcp, decoded: decoded, frame: frame, time: time, twoSided: false, isCopy: false)
        }
    }

    /// The first of the sorted `times` after `t`.
    static func firstAfter(_ t: Int64, in times: [Int64]) -> Int64? {
        var low = 0, high = times.count
        while low < high {
            let mid = (low + high) / 2
            if times[mid] > t { high = mid } else { low = mid + 1 }
        }
        return low < times.count ? times[low] : nil
    }

    @Test func fiftyThousandOpenAttemptsComeDueInDeadlineOrder() {
        let thresholds = Thresholds()
        let collector = Collector()
        let diagnosis = PeerPortPipeline(thresholds: thresholds, emit: { collector.findings.append($0) },
                                          maximumAttempts: 60_000)
        for (i, peer) in Self.peers.enumerated() {
            diagnosis.advertise(peer, uin: 1000 + UInt32(i), source: .userOnline, frame: UInt64(i))
        }
        let count = 55_000
        let second: Int64 = 1_000_000_000
        // Attempt i starts at i × 0.2 ms, all within 11 s (two at the same instant now and then);
        // every 7th unanswered one is retransmitted 3 s later (so it is due provisional at 3.5 s); every 11th is
        // answered, so 50,000 stay open at once.
        func start(_ i: Int) -> Int64 { Int64(i - i % 5 / 4) * 200_000 }
        var events: [(time: Int64, kind: Int, attempt: Int)] = []  // kind 0 SYN, 1 retransmission, 2 SYN-ACK
        for i in 0..<count {
            events.append((start(i), 0, i))
            if i % 7 == 0 && i % 11 != 0 { events.append((start(i) + 3 * second, 1, i)) }
            if i % 11 == 0 { events.append((start(i) + second / 2, 2, i)) }
        }
        events.sort { ($0.time, $0.kind, $0.attempt) < ($1.time, $1.kind, $1.attempt) }
        var frame: UInt64 = 100
        var advanceTimes: [Int64] = []
        var mostOpen = 0
        for e in events {
            frame += 1
            let client = Self.client(e.attempt)
            let peer = Self.peers[e.attempt % Self.peers.count]
            switch e.kind {
            case 0, 1:
                Self.segment(diagnosis, from: client, to: peer, flags: [.syn], sequence: UInt32(e.attempt), frame: frame, time: e.time)
            default:
                let bytes = FrameBuilder.tcpFrame(from: peer.address.ipv4Value, peer.port, to: client.address, client.port,
                                                  sequence: 7, acknowledgement: UInt32(e.attempt) &+ 1, flags: [.syn, .ack])
                bytes.withUnsafeBytes { raw in
                    let decoded = PacketDecoder.decode(raw, linkType: .ethernet)
                    guard case .tcp(let tcp)? = decoded.transport else { return }
                    diagnosis.tcp(tcp, decoded: decoded, frame: frame, time: e.time, twoSided: false, isCopy: false)
                }
            }
            advanceTimes.append(e.time)
            mostOpen = max(mostOpen, diagnosis.openAttempts)
        }
        #expect(mostOpen >= 50_000)
        // Then quiet: the clock moves on in steps of 2.5 s.
        var time = events.last!.time
        for _ in 0..<12 {
            time += 5 * second / 2
            diagnosis.advance(to: time)
            advanceTimes.append(time)
        }
        #expect(diagnosis.openAttempts == 0)

        // The model: every unanswered attempt is final at start + 21 s; those retransmitted are
        // provisional at start + 3.5 s first. Each is due when a packet or advance comes later.
        var expected: [(due: Int64, attempt: Int, final: Bool)] = []
        for i in 0..<count where i % 11 != 0 {
            if i % 7 == 0 { expected.append((start(i) + thresholds.synProvisional, i, false)) }
            expected.append((start(i) + thresholds.synFinal, i, true))
        }
        expected.sort { ($0.due, $0.attempt) < ($1.due, $1.attempt) }
        let findings = collector.findings
        #expect(findings.count == expected.count)
        for (finding, e) in zip(findings, expected) {
            let client = Self.client(e.attempt)
            guard finding.client == Endpoint(address: IPAddress(ipv4: client.address), port: client.port),
                  finding.level == (e.final ? .final : .provisional) else {
                Issue.record("finding for \(finding.client.map(String.init(describing:)) ?? "?") \(finding.level?.rawValue ?? "") where attempt \(e.attempt) \(e.final ? "final" : "provisional") was due")
                return
            }
            #expect(finding.detail == .noAnswer)
            // Reported at the first packet or advance after its deadline.
            #expect(finding.lastTime == Self.firstAfter(e.due, in: advanceTimes))
        }
    }
}
