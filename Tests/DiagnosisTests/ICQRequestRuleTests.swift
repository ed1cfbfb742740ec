import Diagnosis
import Testing
import Wire

/// Rules R1 (`dropped_reply`), R2 (`push_unacknowledged`), R5 (`server_path_blocked`) and the
/// keep-alive check, driven by packet sequences without a capture (docs/flow-semantics.md#rules).
@Suite struct ICQRequestRuleTests {
    typealias H = ICQRuleHarness

    // MARK: R1 dropped_reply

    @Test func requestAckedOnlyAfterARetransmissionIsRecovered() {
        let h = H()
        let first = h.client(seq1: 1, seq2: 1, at: 0)
        let second = h.client(seq1: 1, seq2: 1, at: 10)
        let ack = h.serverAck(seq1: 1, seq2: 1, at: 10.05)
        h.finish()
        #expect(h.findings.summaries == [FindingSummary(.droppedReply, .warning, nil, .recovered)])
        #expect(h.findings.first?.frames == [first, second, ack])
        #expect(h.findings.first?.requirement == .udp4000Replies)
        #expect(h.findings.first?.uin == H.uin)
    }

    @Test func requestNeverAckedWhileTheServerWasSilentIsAbandoned() {
        let h = H()
        h.acknowledgedRequest(seq1: 1, seq2: 1, at: 0)
        h.client(seq1: 2, seq2: 2, at: 5)
        h.client(seq1: 2, seq2: 2, at: 15)
        h.advance(to: 60)
        #expect(h.findings.summaries == [FindingSummary(.droppedReply, .error, nil, .abandoned)])
    }

    @Test func lostKeepAliveLosesTheSession() {
        let h = H()
        h.acknowledgedRequest(seq1: 1, seq2: 1, at: 0)
        h.client(ICQCommand.Client.keepAlive, seq1: 2, at: 120, parameters: ICQParameters.random(1))
        h.client(ICQCommand.Client.keepAlive, seq1: 2, at: 130, parameters: ICQParameters.random(2))
        h.advance(to: 170)
        #expect(h.findings.summaries == [FindingSummary(.droppedReply, .error, nil, .sessionLost)])
    }

    /// Near miss: the server kept talking to the client while the request waited, so the way back
    /// was open; the server ignored the request, no firewall dropped its reply.
    @Test func requestIgnoredWhileTheServerTalksIsNoDroppedReply() {
        let h = H()
        h.acknowledgedRequest(seq1: 1, seq2: 1, at: 0)
        h.client(seq1: 2, seq2: 2, at: 5)
        h.server(seq1: 1, at: 6)
        h.clientAck(seq1: 1, at: 6.05)
        h.client(seq1: 2, seq2: 2, at: 15)
        h.advance(to: 60)
        #expect(h.findings.isEmpty)
    }

    /// Seen on the server's side of the drop: every copy acked, and the client resent it anyway.
    /// The acks were lost after the capture point; the last one got through.
    @Test func requestResentAfterEveryAckIsRecoveredDownstream() {
        let h = H()
        let first = h.client(seq1: 1, seq2: 1, at: 0)
        let ack1 = h.serverAck(seq1: 1, seq2: 1, at: 0.01)
        let second = h.client(seq1: 1, seq2: 1, at: 10)
        let ack2 = h.serverAck(seq1: 1, seq2: 1, at: 10.01)
        let third = h.client(seq1: 1, seq2: 1, at: 20)
        let ack3 = h.serverAck(seq1: 1, seq2: 1, at: 20.01)
        // Nothing is concluded before the give-up window after the last copy has passed.
        h.advance(to: 30)
        #expect(h.findings.isEmpty)
        h.advance(to: 60)
        #expect(h.findings.summaries == [FindingSummary(.droppedReply, .warning, nil, .recovered)])
        #expect(h.findings.first?.frames == [first, ack1, second, ack2, third, ack3])
        #expect(h.findings.first?.explanation.contains("never reached the client") == true)
    }

    /// Resent after an ack, and the last copies never acked: the client gave the request up.
    @Test func requestResentAfterAnAckAndThenUnansweredIsAbandoned() {
        let h = H()
        h.client(seq1: 1, seq2: 1, at: 0)
        h.serverAck(seq1: 1, seq2: 1, at: 0.01)
        h.client(seq1: 1, seq2: 1, at: 10)
        h.client(seq1: 1, seq2: 1, at: 20)
        h.advance(to: 60)
        #expect(h.findings.summaries == [FindingSummary(.droppedReply, .error, nil, .abandoned)])
    }

    /// Near miss: an ack, then the next request (a new seq), never a copy: nothing; and the acked
    /// request kept for late copies is let go at its deadline.
    @Test func requestAckedAndNotResentIsNothingAndLetGo() {
        let h = H()
        h.acknowledgedRequest(seq1: 1, seq2: 1, at: 0)
        h.acknowledgedRequest(seq1: 2, seq2: 2, at: 5)
        #expect(h.tracker.occupancy.pendingExchanges == 2)
        h.advance(to: 60)
        #expect(h.tracker.occupancy.pendingExchanges == 0)
        h.finish()
        #expect(h.findings.isEmpty)
    }

    /// Near miss: acked at the first copy.
    @Test func requestAckedAtOnceIsNothing() {
        let h = H()
        h.acknowledgedRequest(seq1: 1, seq2: 1, at: 0)
        h.finish()
        #expect(h.findings.isEmpty)
    }

    // MARK: R2 push_unacknowledged

    @Test func pushAckedOnlyAfterARetransmissionIsRecovered() {
        let h = H()
        h.acknowledgedRequest(seq1: 1, seq2: 1, at: 0)
        h.server(seq1: 1, at: 5)
        h.server(seq1: 1, at: 15)
        h.clientAck(seq1: 1, at: 15.05)
        h.finish()
        #expect(h.findings.summaries == [FindingSummary(.pushUnacknowledged, .warning, nil, .recovered)])
    }

    @Test func pushNeverAckedIsUndelivered() {
        let h = H()
        h.acknowledgedRequest(seq1: 1, seq2: 1, at: 0)
        h.server(seq1: 1, at: 5)
        h.server(seq1: 1, at: 15)
        h.advance(to: 60)
        #expect(h.findings.summaries == [FindingSummary(.pushUnacknowledged, .warning, nil, .undelivered)])
    }

    /// Near miss: one copy, never acked, within the firewall timeout: nothing shows a loss.
    @Test func singlePushNeverAckedIsNothing() {
        let h = H()
        h.acknowledgedRequest(seq1: 1, seq2: 1, at: 0)
        h.server(seq1: 1, at: 5)
        h.advance(to: 60)
        #expect(h.findings.isEmpty)
    }

    // MARK: R5 server_path_blocked

    @Test func serverNeverHeardIsAPathBlocked() {
        let h = H()
        let first = h.client(ICQCommand.Client.login, seq1: 1, seq2: 1, at: 0)
        let second = h.client(ICQCommand.Client.login, seq1: 1, seq2: 1, at: 10)
        h.advance(to: 60)
        #expect(h.findings.summaries == [FindingSummary(.serverPathBlocked, .error, nil, .noAnswer)])
        #expect(h.findings.first?.frames == [first, second])
    }

    @Test func serverNeverHeardWithAnICMPErrorIsAPathBlockedByICMP() {
        let h = H()
        h.client(ICQCommand.Client.login, seq1: 1, seq2: 1, at: 0)
        h.icmpError(frame: 100, at: 0.01, code: 13, quotesServerPacket: false)
        h.client(ICQCommand.Client.login, seq1: 1, seq2: 1, at: 10)
        h.advance(to: 60)
        #expect(h.findings.summaries == [FindingSummary(.serverPathBlocked, .error, nil, .icmp)])
        #expect(h.findings.first?.frames.last == 100)
    }

    /// A flood of the server's replies held at the gateway: the finding names the most recent
    /// 64, not every one (the evidence kept per session is bounded).
    @Test func repliesHeldAtTheGatewayAreListedUpToTheRecent64() {
        let h = H()
        h.acknowledgedRequest(seq1: 1, seq2: 1, at: 0)
        h.client(seq1: 2, seq2: 2, at: 5)
        for k in 0..<1_000 { h.gatewayDropped(frame: 10_000 + UInt64(k), at: 5.001 + 0.001 * Double(k), fromServer: true, gap: 0) }
        h.client(seq1: 2, seq2: 2, at: 15)
        h.advance(to: 60)
        let explanation = h.findings.first { $0.kind == .droppedReply }?.explanation ?? ""
        #expect(explanation.contains("(frames 10936, 10937, "), "\(explanation)")
        #expect(explanation.contains(", 10999) and were not forwarded"))
        #expect(!explanation.contains("10935"))
    }

    /// The capture ends more than the ack wait after the last attempt: the server never spoke.
    @Test func serverNeverHeardUntilTheEndIsAPathBlocked() {
        let h = H()
        h.client(ICQCommand.Client.login, seq1: 1, seq2: 1, at: 0)
        h.client(ICQCommand.Client.login, seq1: 1, seq2: 1, at: 10)
        h.advance(to: 23)
        h.finish()
        #expect(h.findings.summaries == [FindingSummary(.serverPathBlocked, .error, nil, .noAnswer)])
    }

    /// Near miss: one attempt only, then the capture ends.
    @Test func singleUnansweredAttemptIsNothing() {
        let h = H()
        h.client(ICQCommand.Client.login, seq1: 1, seq2: 1, at: 0)
        h.advance(to: 30)
        h.finish()
        #expect(h.findings.isEmpty)
    }

    // MARK: keep-alive against the firewall timeout

    @Test func keepAliveCloseToTheFirewallTimeoutWarns() {
        let h = H()
        h.acknowledgedRequest(seq1: 1, seq2: 1, at: 0)
        for (i, t) in [115.0, 230, 345].enumerated() {
            h.client(ICQCommand.Client.keepAlive, seq1: UInt16(2 + i), at: t, parameters: ICQParameters.random(UInt32(i)))
            h.serverAck(seq1: UInt16(2 + i), at: t + 0.05)
        }
        h.finish()
        #expect(h.findings.summaries == [FindingSummary(.keepaliveExceedsFirewallTimeout, .warning)])
        #expect(h.findings.first?.requirement == .sessionTimeout)
    }

    @Test func keepAliveDictatedByTheLoginReplyWarns() {
        let h = H()
        h.client(ICQCommand.Client.login, seq1: 1, seq2: 1, at: 0)
        h.server(ICQCommand.Server.loginReply, seq1: 0, seq2: 1, at: 0.05,
                 parameters: ICQParameters.loginReply(externalIP: 0xC633_6402, keepAlive: 240))
        h.clientAck(seq1: 0, seq2: 1, at: 0.1)
        h.finish()
        #expect(h.findings.summaries == [FindingSummary(.keepaliveExceedsFirewallTimeout, .warning)])
    }

    /// Near miss: keep-alives every 100 s leave more than the 10 s margin under 120 s.
    @Test func keepAliveWellUnderTheFirewallTimeoutIsNothing() {
        let h = H()
        h.acknowledgedRequest(seq1: 1, seq2: 1, at: 0)
        for (i, t) in [100.0, 200, 300].enumerated() {
            h.client(ICQCommand.Client.keepAlive, seq1: UInt16(2 + i), at: t, parameters: ICQParameters.random(UInt32(i)))
            h.serverAck(seq1: UInt16(2 + i), at: t + 0.05)
        }
        h.finish()
        #expect(h.findings.isEmpty)
    }
}
