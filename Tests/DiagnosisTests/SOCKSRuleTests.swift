import Bytes
import Diagnosis
import Tracking
import Testing
import Wire

/// Rule R6 (`socks_association_lost`) driven by the events Tracking gives it (an association
/// granted, its control connection ended) and the datagrams around it (docs/flow-semantics.md#r6-socks-association-lost).
@Suite struct SOCKSRuleTests {
    static let client: (UInt32, UInt16) = (0xC0A8_0102, 40_100)  // 192.168.1.2
    static let proxy: (UInt32, UInt16) = (0xC000_0205, 1080)  // 192.0.2.5
    static let relay = Endpoint(address: IPAddress(ipv4: 0xC000_0205), port: 5000)
    static let udpClient = Endpoint(address: IPAddress(ipv4: 0xC0A8_0102), port: 1100)

    /// The rule fed the events Tracking gives it: an association granted and its control
    /// connection ended (through `SOCKSAssociations`, as the analyzer does), and datagrams.
    final class Harness {
        let rule: SOCKSDiagnosis
        let associations = SOCKSAssociations()
        private let sink = Sink()
        private(set) var frame: UInt64 = 0
        var findings: [Finding] { sink.findings }
        final class Sink { var findings: [Finding] = [] }
        static let control = (client: Endpoint(address: IPAddress(ipv4: client.0), port: client.1),
                              proxy: Endpoint(address: IPAddress(ipv4: proxy.0), port: proxy.1))

        init() {
            let sink = sink
            rule = SOCKSDiagnosis(thresholds: Thresholds()) { sink.findings.append($0) }
        }

        static func time(_ seconds: Double) -> Int64 { Int64((seconds * 1e9).rounded()) + 1_000_000_000_000 }

        /// The proxy granted the relay on the control connection.
        func associate(at seconds: Double) {
            frame += 6
            associations.grant(SOCKSAssociation(client: Self.control.client, proxy: Self.control.proxy,
                                                relay: SOCKSRuleTests.relay, grantedFrame: frame))
        }

        /// A FIN or RST on the control connection, sent by the client or the proxy.
        @discardableResult
        func end(fromClient: Bool, at seconds: Double) -> UInt64 {
            frame += 1
            let (from, to) = fromClient ? (Self.control.client, Self.control.proxy) : (Self.control.proxy, Self.control.client)
            if let ended = associations.controlConnectionEnded(from, to, frame: frame, time: Self.time(seconds)) {
                rule.associationEnded(ended)
            }
            return frame
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
        let fin = h.end(fromClient: false, at: 60)
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
        h.end(fromClient: true, at: 30)
        for t in [31.0, 41, 51] { h.datagram(toRelay: true, at: t) }
        #expect(h.findings.summaries == [FindingSummary(.socksAssociationLost, .error)])
    }

    /// Near miss: the relay still answers after the control connection ended.
    @Test func relayStillAnsweringIsNothing() {
        let h = Harness()
        h.associate(at: 0)
        h.end(fromClient: false, at: 60)
        h.datagram(toRelay: true, at: 61)
        h.datagram(toRelay: false, at: 61.05)
        for t in [71.0, 81, 91] { h.datagram(toRelay: true, at: t) }
        #expect(h.findings.isEmpty)
    }

    /// Near miss: the client stops within the ack wait (12 s) of its first datagram after the end.
    @Test func datagramsStoppingWithinTheAckWaitAreNothing() {
        let h = Harness()
        h.associate(at: 0)
        h.end(fromClient: false, at: 60)
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
}
