import Bytes
import Diagnosis
import SampleKit
import Testing
import Wire

/// Rule R6 (`socks_association_lost`) driven by a SOCKS5 control connection built by hand and
/// the datagrams around it (docs/flow-semantics.md#r6-socks-association-lost).
@Suite struct SOCKSRuleTests {
    static let client: (UInt32, UInt16) = (0xC0A8_0102, 40_100)  // 192.168.1.2
    static let proxy: (UInt32, UInt16) = (0xC000_0205, 1080)  // 192.0.2.5
    static let relay = Endpoint(address: IPAddress(ipv4: 0xC000_0205), port: 5000)
    static let udpClient = Endpoint(address: IPAddress(ipv4: 0xC0A8_0102), port: 1100)

    final class Harness {
        let rule: SOCKSDiagnosis
        private let sink = Sink()
        private(set) var frame: UInt64 = 0
        private var clientSequence: UInt32 = 100
        private var proxySequence: UInt32 = 500
        var findings: [Finding] { sink.findings }
        final class Sink { var findings: [Finding] = [] }

        init() {
            let sink = sink
            rule = SOCKSDiagnosis(thresholds: Thresholds()) { sink.findings.append($0) }
        }

        static func time(_ seconds: Double) -> Int64 { Int64((seconds * 1e9).rounded()) + 1_000_000_000_000 }

        @discardableResult
        func segment(fromClient: Bool, _ flags: FrameBuilder.TCPFlags, _ payload: [UInt8] = [], at seconds: Double) -> UInt64 {
            frame += 1
            let (from, to) = fromClient ? (SOCKSRuleTests.client, SOCKSRuleTests.proxy) : (SOCKSRuleTests.proxy, SOCKSRuleTests.client)
            let sequence = fromClient ? clientSequence : proxySequence
            let advance = UInt32(payload.count) + (flags.contains(.syn) || flags.contains(.fin) ? 1 : 0)
            if fromClient { clientSequence &+= advance } else { proxySequence &+= advance }
            let bytes = FrameBuilder.tcpFrame(from: from.0, from.1, to: to.0, to.1, sequence: sequence, acknowledgement: 1,
                                              flags: flags, payload: payload)
            bytes.withUnsafeBytes { raw in
                let decoded = PacketDecoder.decode(raw, linkType: .ethernet)
                guard case .tcp(let tcp)? = decoded.transport, let s = decoded.sourceAddress,
                      let d = decoded.destinationAddress else { fatalError("not TCP") }
                rule.segment(tcp, payload: decoded.payload(of: raw), source: Endpoint(address: s, port: tcp.sourcePort),
                             destination: Endpoint(address: d, port: tcp.destinationPort), frame: frame,
                             time: Self.time(seconds))
            }
            return frame
        }

        /// The SOCKS5 handshake of a UDP association (no authentication) granting the relay.
        func associate(at seconds: Double) {
            segment(fromClient: true, .syn, at: seconds)
            segment(fromClient: false, [.syn, .ack], at: seconds + 0.001)
            segment(fromClient: true, [.psh, .ack], [0x05, 0x01, 0x00], at: seconds + 0.01)
            segment(fromClient: false, [.psh, .ack], [0x05, 0x00], at: seconds + 0.02)
            segment(fromClient: true, [.psh, .ack], [0x05, 0x03, 0x00, 0x01, 0, 0, 0, 0, 0x04, 0x4C], at: seconds + 0.03)
            segment(fromClient: false, [.psh, .ack], [0x05, 0x00, 0x00, 0x01, 0xC0, 0x00, 0x02, 0x05, 0x13, 0x88],
                    at: seconds + 0.04)
        }

        @discardableResult
        func datagram(toRelay: Bool, at seconds: Double) -> UInt64 {
            frame += 1
            rule.datagram(relay: SOCKSRuleTests.relay, client: SOCKSRuleTests.udpClient, toRelay: toRelay, frame: frame,
                          time: Self.time(seconds), uin: 1001)
            return frame
        }
    }

    @Test func datagramsUnansweredAfterTheControlConnectionEndedAreALostAssociation() {
        let h = Harness()
        h.associate(at: 0)
        h.datagram(toRelay: true, at: 1)
        h.datagram(toRelay: false, at: 1.05)
        let fin = h.segment(fromClient: false, [.fin, .ack], at: 60)
        let sent = [61.0, 71, 81].map { h.datagram(toRelay: true, at: $0) }
        #expect(h.findings.summaries == [FindingSummary(.socksAssociationLost, .error)])
        #expect(h.findings.first?.frames == [fin] + sent)
        #expect(h.findings.first?.server == Self.relay)
        #expect(h.findings.first?.client == Self.udpClient)
        #expect(h.findings.first?.uin == 1001)
        #expect(h.findings.first?.requirement == .proxy)
        // Once only.
        h.datagram(toRelay: true, at: 91)
        #expect(h.findings.count == 1)
    }

    @Test func aResetEndsTheAssociationToo() {
        let h = Harness()
        h.associate(at: 0)
        h.segment(fromClient: true, [.rst, .ack], at: 30)
        for t in [31.0, 41, 51] { h.datagram(toRelay: true, at: t) }
        #expect(h.findings.summaries == [FindingSummary(.socksAssociationLost, .error)])
    }

    /// Near miss: the relay still answers after the control connection ended.
    @Test func relayStillAnsweringIsNothing() {
        let h = Harness()
        h.associate(at: 0)
        h.segment(fromClient: false, [.fin, .ack], at: 60)
        h.datagram(toRelay: true, at: 61)
        h.datagram(toRelay: false, at: 61.05)
        for t in [71.0, 81, 91] { h.datagram(toRelay: true, at: t) }
        #expect(h.findings.isEmpty)
    }

    /// Near miss: the client stops within the ack wait (12 s) of its first datagram after the end.
    @Test func datagramsStoppingWithinTheAckWaitAreNothing() {
        let h = Harness()
        h.associate(at: 0)
        h.segment(fromClient: false, [.fin, .ack], at: 60)
        h.datagram(toRelay: true, at: 61)
        h.datagram(toRelay: true, at: 72)
        #expect(h.findings.isEmpty)
    }

    /// Near miss: datagrams while the control connection is open are the association working.
    @Test func unansweredDatagramsWhileTheConnectionIsOpenAreNotThisRules() {
        let h = Harness()
        h.associate(at: 0)
        for t in [1.0, 11, 21, 31] { h.datagram(toRelay: true, at: t) }
        #expect(h.findings.isEmpty)
    }

    /// Near miss: a CONNECT, not a UDP association, whose connection ends.
    @Test func anEndedConnectIsNothing() {
        let h = Harness()
        h.segment(fromClient: true, .syn, at: 0)
        h.segment(fromClient: false, [.syn, .ack], at: 0.001)
        h.segment(fromClient: true, [.psh, .ack], [0x05, 0x01, 0x00], at: 0.01)
        h.segment(fromClient: false, [.psh, .ack], [0x05, 0x00], at: 0.02)
        h.segment(fromClient: true, [.psh, .ack], [0x05, 0x01, 0x00, 0x01, 0xC6, 0x33, 0x64, 0x01, 0x14, 0x46], at: 0.03)
        h.segment(fromClient: false, [.psh, .ack], [0x05, 0x00, 0x00, 0x01, 0xC0, 0x00, 0x02, 0x05, 0x13, 0x88], at: 0.04)
        h.segment(fromClient: false, [.fin, .ack], at: 60)
        for t in [61.0, 71, 81] { h.datagram(toRelay: true, at: t) }
        #expect(h.findings.isEmpty)
    }
}
