import Bytes

/// Generated captures, one per finding kind of the output contract and its near miss
/// (issue 6 "Tests"), each with real timing and the frames that prove it.
///
/// Conventions every scenario follows:
/// - The client is UIN 1001 on 192.168.1.2:1100 behind a NAT gateway (public 203.0.113.5, UDP
///   mapped to 61001); the server is 198.51.100.4:4000 (iserverd-like). Session 0x2A5F1C03, the
///   client's first SEQ1 0x1A2B. The capture starts 2024-11-24 14:00:00 UTC.
/// - `expected` lists what a correct analyzer with the contract's defaults (F = 120 s, ack wait
///   12 s, RTO 10 s, SYN 3.5 s / 21 s) MUST report; `absent` the kinds it must NOT report. A kind
///   in neither list is left to the analyzer's policy; that is the case for the literal
///   consequences of a lower rule that a more specific finding explains (R2's
///   `push_unacknowledged` for the copies of a push that `firewall_session_timeout` reports; R1's
///   `dropped_reply` for a login that `server_path_blocked` reports, or for a keep-alive sent
///   into a dead SOCKS association).
/// - Client endpoints in `expected` are as the capture sees them: inside on inside and two-sided
///   captures, the NAT's public address on outside ones.
/// - Unless a scenario is about the keep-alive, the server's login reply says ping 110 s (hint
///   100) and the client sends a keep-alive every 100 s: below F − 10 s, so
///   `keepalive_exceeds_firewall_timeout` stays quiet.
public enum ICQScenarios {
    /// Contacts who come online in the scenarios, with the direct-connection ports they advertise.
    public static let peerA = ICQContact(uin: 1002, externalIP: 0xC633_6414, tcpPort: 3457, lanIP: 0x0A00_0014)  // 198.51.100.20, LAN 10.0.0.20
    public static let peerB = ICQContact(uin: 1003, externalIP: 0xC633_641E, tcpPort: 4012, lanIP: 0x0A00_011E)  // 198.51.100.30
    public static let peerC = ICQContact(uin: 1004, externalIP: 0xC633_6428, tcpPort: 2749, lanIP: 0xC0A8_0728)  // 198.51.100.40
    public static let peerD = ICQContact(uin: 1005, externalIP: 0xC633_6432, tcpPort: 3999, lanIP: 0x0A00_0032)  // 198.51.100.50, LAN 10.0.0.50

    static let second = ICQSessionScript.second

    static func setup(_ vantage: ICQSessionScript.Vantage, keepAlive: Int64 = 100, seed: UInt64) -> ICQSessionScript.Setup {
        var s = ICQSessionScript.Setup()
        s.vantage = vantage
        s.keepAliveInterval = keepAlive * second
        s.serverPingTime = UInt16(keepAlive + 10)
        s.seed = seed
        return s
    }

    /// Every scenario by name, for tests that run them all and for the sample generator.
    public static let all: [(name: String, build: @Sendable () -> ScenarioCapture)] = [
        ("healthy_session", { healthySession() }),
        ("dropped_reply_recovered", { droppedReplyRecovered() }),
        ("dropped_reply_abandoned", { droppedReplyAbandoned() }),
        ("dropped_reply_session_lost", { droppedReplySessionLost() }),
        ("dropped_reply_ack_dropped_at_gateway", { droppedReplyAckDroppedAtGateway() }),
        ("dropped_reply_beyond_gateway", { droppedReplyBeyondGateway() }),
        ("dropped_reply_near_miss_late_ack", { droppedReplyNearMissLateAck() }),
        ("push_unacknowledged_recovered", { pushUnacknowledgedRecovered() }),
        ("push_unacknowledged_undelivered", { pushUnacknowledgedUndelivered() }),
        ("push_unacknowledged_near_miss", { pushUnacknowledgedNearMiss() }),
        ("firewall_timeout_suspected", { firewallTimeoutSuspected() }),
        ("firewall_timeout_probable", { firewallTimeoutProbable() }),
        ("firewall_timeout_confirmed_icmp", { firewallTimeoutConfirmedICMP() }),
        ("firewall_timeout_confirmed_nat_rebinding", { firewallTimeoutConfirmedNATRebinding() }),
        ("firewall_timeout_confirmed_sequence_gap", { firewallTimeoutConfirmedSequenceGap() }),
        ("firewall_timeout_confirmed_dropped_at_gateway", { firewallTimeoutConfirmedDroppedAtGateway() }),
        ("firewall_timeout_near_miss", { firewallTimeoutNearMiss() }),
        ("keepalive_exceeds_firewall_timeout", { keepaliveExceedsFirewallTimeout() }),
        ("keepalive_near_miss", { keepaliveNearMiss() }),
        ("udp_timeout_nat_mappings", { udpTimeoutNATMappings() }),
        ("udp_timeout_nat_port_preserved", { udpTimeoutNATPortPreserved() }),
        ("udp_timeout_nat_rebinding_outside", { udpTimeoutNATRebindingOutside() }),
        ("blocked_peer_rst_from_peer", { blockedPeerPort(.rstFromPeer) }),
        ("blocked_peer_rst_from_gateway", { blockedPeerPort(.rstFromGateway) }),
        ("blocked_peer_icmp_admin_prohibited", { blockedPeerPort(.icmpFromGateway(code: 13)) }),
        ("blocked_peer_icmp_port_unreachable", { blockedPeerPort(.icmpFromGateway(code: 3)) }),
        ("blocked_peer_no_answer_final", { blockedPeerPort(.noAnswerDroppedAtGateway) }),
        ("blocked_peer_no_answer_provisional", { blockedPeerPortProvisional() }),
        ("blocked_peer_escalation", { blockedPeerPortEscalation() }),
        ("blocked_peer_near_miss_private_ip", { blockedPeerNearMissPrivateIP() }),
        ("blocked_peer_near_miss_host_unreachable", { blockedPeerNearMissHostUnreachable() }),
        ("blocked_peer_near_miss_low_port", { blockedPeerNearMissLowPort() }),
        ("firewall_mode_port_tried", { firewallModePortTried(blocked: false) }),
        ("firewall_mode_port_tried_blocked", { firewallModePortTried(blocked: true) }),
        ("server_path_blocked", { serverPathBlocked(icmp: false) }),
        ("server_path_blocked_icmp", { serverPathBlocked(icmp: true) }),
        ("socks4_udp_blocked", { socks4UDPBlocked() }),
        ("socks_association_lost", { socksAssociationLost() }),
        ("socks_near_miss_udp_stops", { socksNearMissUDPStops() }),
    ]

    // MARK: Healthy

    /// A healthy session seen on both sides of the gateway: login, contact list with peers A and B
    /// online, messages both ways, a direct connection to peer A that the peer accepts, keep-alives
    /// every 100 s (hint 100), logout at about 255 s. Every request is acked at once, every push
    /// acked, every packet forwarded. A correct analyzer reports NO finding of any kind.
    /// Frames: `login`, `login_reply`, `user_online.1002`, `message_out` (+`.ack`), `message_in`
    /// (+`.ack`), `peer` (the TCP connection; `peer.syn`, `peer.answer` = SYN-ACK), `keepalive`
    /// (+`.ack`), `message_out_2`, `logout`.
    public static func healthySession() -> ScenarioCapture {
        var s = ICQSessionScript(setup(.gateway, seed: 11))
        let start = s.now
        s.login(contacts: [1010], online: [peerA, peerB])
        s.advance(seconds: 4.2)
        s.sendMessage(to: peerA.uin, "hi, are you there?", name: "message_out")
        s.advance(seconds: 6.5)
        s.receiveMessage(from: peerA.uin, "yes, sending you the file now", name: "message_in")
        s.advance(seconds: 3)
        s.connectToPeer(ip: peerA.externalIP, port: peerA.tcpPort, answer: .synAck, name: "peer")
        for k in 1...2 {
            s.at(start + Int64(k) * 100 * second)
            s.keepAlive()
        }
        s.advance(seconds: 31)
        s.sendMessage(to: peerB.uin, "bye for now", name: "message_out_2")
        s.advance(seconds: 24)
        s.logout()
        s.expectAbsent("dropped_reply", "push_unacknowledged", "firewall_session_timeout",
                       "keepalive_exceeds_firewall_timeout", "blocked_peer_port", "server_path_blocked",
                       "socks_association_lost")
        return s.capture(name: "healthy_session")
    }

    /// Login with peer A online, 5 s of quiet: the base of the request/push scenarios.
    static func loggedIn(_ vantage: ICQSessionScript.Vantage, seed: UInt64, online: [ICQContact] = [peerA]) -> ICQSessionScript {
        var s = ICQSessionScript(setup(vantage, seed: seed))
        s.login(contacts: [1010], online: online)
        s.advance(seconds: 5)
        return s
    }
}
