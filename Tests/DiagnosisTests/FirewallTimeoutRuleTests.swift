import Diagnosis
import Testing
import Wire

/// Rule R3 (`firewall_session_timeout`): after the session was idle longer than the firewall's
/// UDP timeout (120 s by default) the server speaks and its packet does not get through; every
/// level and proof, and the near misses (docs/flow-semantics.md#r3-firewall-session-timeout).
@Suite struct FirewallTimeoutRuleTests {
    typealias H = ICQRuleHarness

    /// A session whose last packets (a request and its ack) are at 0 s.
    static func idleSession() -> H {
        let h = H()
        h.acknowledgedRequest(seq1: 1, seq2: 1, at: 0)
        return h
    }

    @Test func pushAfterTheTimeoutNeverAckedIsSuspected() {
        let h = Self.idleSession()
        let push = h.server(seq1: 1, at: 150)
        h.advance(to: 175)
        // Held until the client's next packet shows whether the NAT kept its port.
        #expect(h.findings.isEmpty)
        h.acknowledgedRequest(seq1: 2, seq2: 2, at: 180)
        #expect(h.findings.summaries == [FindingSummary(.firewallSessionTimeout, .warning, .suspected)])
        #expect(h.findings.first?.frames == [push])
        #expect(h.findings.first?.requirement == .sessionTimeout)
    }

    @Test func pushAfterTheTimeoutRetransmittedIsProbable() {
        let h = Self.idleSession()
        h.server(seq1: 1, at: 150)
        h.server(seq1: 1, at: 160)
        h.advance(to: 185)
        h.acknowledgedRequest(seq1: 2, seq2: 2, at: 190)
        #expect(h.findings.summaries.contains(FindingSummary(.firewallSessionTimeout, .error, .probable, .serverRetransmits)))
        #expect(h.findings.summaries.contains(FindingSummary(.pushUnacknowledged, .warning, nil, .undelivered)))
        #expect(h.findings.count == 2)
    }

    @Test func icmpFromTheClientsSideConfirmsIt() {
        let h = Self.idleSession()
        h.server(seq1: 1, at: 150)
        h.icmpError(frame: 100, at: 150.01, code: 3, quotesServerPacket: true)
        h.advance(to: 175)
        #expect(h.findings.summaries == [FindingSummary(.firewallSessionTimeout, .error, .confirmed, .icmpFromClientSide)])
        #expect(h.findings.first?.frames.last == 100)
    }

    @Test func aNewClientPortConfirmsItAsANATRebinding() {
        let h = Self.idleSession()
        h.server(seq1: 1, at: 150)
        h.advance(to: 175)
        let rebound = h.client(seq1: 2, seq2: 2, at: 180, port: 1)
        #expect(h.findings.summaries == [FindingSummary(.firewallSessionTimeout, .error, .confirmed, .natRebinding)])
        #expect(h.findings.first?.frames.last == rebound)
    }

    /// Seen outside only: the client comes back from a new port while the server still
    /// retransmits the push to the old one; given up later, the push is confirmed lost.
    @Test func aNewClientPortWhileThePushStillWaitsConfirmsIt() {
        let h = Self.idleSession()
        h.server(seq1: 1, at: 150)
        h.server(seq1: 1, at: 160)
        let rebound = h.client(ICQCommand.Client.keepAlive, seq1: 2, at: 161, parameters: ICQParameters.random(1), port: 1)
        h.serverAck(seq1: 2, at: 161.01, port: 1)
        #expect(h.findings.isEmpty)
        h.advance(to: 200)
        #expect(h.findings.summaries.contains(FindingSummary(.firewallSessionTimeout, .error, .confirmed, .natRebinding)))
        #expect(h.findings.first { $0.kind == .firewallSessionTimeout }?.frames.last == rebound)
    }

    /// Near miss: a rebinding before the push was sent does not prove the push lost.
    @Test func aRebindingBeforeThePushProvesNothingAboutIt() {
        let h = Self.idleSession()
        h.client(ICQCommand.Client.keepAlive, seq1: 2, at: 100, parameters: ICQParameters.random(1), port: 1)
        h.serverAck(seq1: 2, at: 100.01, port: 1)
        h.server(seq1: 1, at: 250, port: 1)
        h.server(seq1: 1, at: 260, port: 1)
        h.advance(to: 300)
        h.finish()
        #expect(!h.findings.contains { $0.detail == .natRebinding })
        #expect(h.findings.contains { $0.kind == .firewallSessionTimeout && $0.level == .probable })
    }

    @Test func aServerSequenceGapSeenInsideConfirmsIt() {
        let h = Self.idleSession()
        h.server(seq1: 1, at: 1)
        h.clientAck(seq1: 1, at: 1.05)
        // 150 s later the next packet the client gets is the server's 4th: 2 and 3 were lost.
        let jump = h.server(seq1: 4, at: 151)
        h.clientAck(seq1: 4, at: 151.05)
        #expect(h.findings.summaries == [FindingSummary(.firewallSessionTimeout, .error, .confirmed, .serverSequenceGap)])
        #expect(h.findings.first?.frames.last == jump)
    }

    @Test func aPacketDroppedAtTheGatewayConfirmsIt() {
        let h = Self.idleSession()
        h.gatewayDropped(frame: 50, at: 150, fromServer: true, gap: 150)
        #expect(h.findings.summaries == [FindingSummary(.firewallSessionTimeout, .error, .confirmed, .droppedAtGateway)])
        #expect(h.findings.first?.frames == [50])
    }

    /// The capture ends before the client could have acknowledged the push after the gap.
    @Test func pushAfterTheTimeoutAtTheEndOfTheCaptureIsSuspected() {
        let h = Self.idleSession()
        h.server(seq1: 1, at: 150)
        h.finish()
        #expect(h.findings.summaries == [FindingSummary(.firewallSessionTimeout, .warning, .suspected)])
    }

    // MARK: near misses

    /// The gap (110 s) is under the timeout: an unacknowledged push is no timeout.
    @Test func pushAfterAShorterGapIsNoTimeout() {
        let h = Self.idleSession()
        h.server(seq1: 1, at: 110)
        h.advance(to: 135)
        h.acknowledgedRequest(seq1: 2, seq2: 2, at: 140)
        h.finish()
        #expect(h.findings.isEmpty)
    }

    /// The push after the gap was acknowledged: the firewall still knew the session.
    @Test func pushAfterTheTimeoutAcknowledgedIsNothing() {
        let h = Self.idleSession()
        h.server(seq1: 1, at: 150)
        h.clientAck(seq1: 1, at: 150.05)
        h.finish()
        #expect(h.findings.isEmpty)
    }

    /// A server sequence jump after a gap under the timeout is not reported.
    @Test func aSequenceGapAfterAShortIdleIsNothing() {
        let h = Self.idleSession()
        h.server(seq1: 1, at: 1)
        h.clientAck(seq1: 1, at: 1.05)
        h.server(seq1: 4, at: 100)
        h.clientAck(seq1: 4, at: 100.05)
        h.finish()
        #expect(h.findings.isEmpty)
    }

    /// A gateway drop after a gap under the timeout is not this rule's.
    @Test func aGatewayDropAfterAShortGapIsNoTimeout() {
        let h = Self.idleSession()
        h.gatewayDropped(frame: 50, at: 100, fromServer: true, gap: 100)
        #expect(h.findings.isEmpty)
    }

    /// A stricter firewall (`--firewall-timeout 60`): the 90 s gap is now too long.
    @Test func theTimeoutIsTheThresholdGiven() {
        var thresholds = Thresholds()
        thresholds.firewallTimeout = 60 * Thresholds.second
        let h = H(thresholds: thresholds)
        h.acknowledgedRequest(seq1: 1, seq2: 1, at: 0)
        h.server(seq1: 1, at: 90)
        h.finish()
        #expect(h.findings.summaries == [FindingSummary(.firewallSessionTimeout, .warning, .suspected)])
    }
}
