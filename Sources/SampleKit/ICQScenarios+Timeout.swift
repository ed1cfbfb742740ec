import Bytes

/// R3 (`firewall_session_timeout`) and the keep-alive check.
///
/// The timeout scenarios use the official client's behaviour: the server's login reply says
/// ping 250 s (hint 240, as in the Mirabilis hello kept in Licq's source) and the client honours
/// it, so after the login exchange (over about 1.2 s after login) the flow is quiet until the
/// keep-alive at login + 240 s. A push from the server arrives `gap` seconds after the last
/// packet of the flow. With F = 120 s every one of them (the near miss included) also gets
/// `keepalive_exceeds_firewall_timeout` (K = 240 ≥ F − 10), which is expected.
extension ICQScenarios {
    static func timeoutBase(_ vantage: ICQSessionScript.Vantage, seed: UInt64) -> ICQSessionScript {
        var s = ICQSessionScript(setup(vantage, keepAlive: 240, seed: seed))
        s.login(contacts: [1010], online: [peerA])
        return s
    }

    /// The push after the idle gap: a message from peer A, `gap` s after the flow's last packet.
    static func pushAfterGap(_ s: inout ICQSessionScript, gap: Double, copies: [PushCopy]) {
        let quietSince = s.lastFrameTime
        s.at(quietSince + ICQSessionScript.seconds(gap))
        s.receiveMessage(from: peerA.uin, "are you there? (sent after a long quiet spell)", name: "push", copies: copies)
    }

    static func keepaliveFinding(_ s: inout ICQSessionScript, keepalives: [String] = []) {
        s.expect("keepalive_exceeds_firewall_timeout", severity: "warning", evidence: ["login_reply"] + keepalives)
    }

    /// Outside capture. A push 180 s after the flow went quiet; the capture ends 5 s later, before
    /// any retransmission could be due: only the gap is known.
    /// Must report: `firewall_session_timeout`, severity warning, level `suspected`, detail null,
    /// client 203.0.113.5:61001, frames = `push`; and `keepalive_exceeds_firewall_timeout`
    /// (warning, frames `login_reply`). The ack deadline is open at the end of the capture.
    public static func firewallTimeoutSuspected() -> ScenarioCapture {
        var s = timeoutBase(.outside, seed: 41)
        pushAfterGap(&s, gap: 180, copies: [.droppedAtGateway])
        s.expect("firewall_session_timeout", severity: "warning", level: "suspected", evidence: ["push"])
        keepaliveFinding(&s)
        return s.capture(name: "firewall_timeout_suspected")
    }

    /// Outside capture. The push after a 180 s gap is sent 6 times 10 s apart, never acked (the
    /// gateway has forgotten the mapping and drops it silently); the client's keep-alive at login
    /// + 240 s leaves from the same public port (a port-preserving NAT) and is acked.
    /// Must report: `firewall_session_timeout`, severity error, level `probable`, detail
    /// `server_retransmits`, client 203.0.113.5:61001, frames = the 6 copies of `push`; and
    /// `keepalive_exceeds_firewall_timeout` (frames `login_reply`, `keepalive`).
    public static func firewallTimeoutProbable() -> ScenarioCapture {
        var s = timeoutBase(.outside, seed: 42)
        pushAfterGap(&s, gap: 180, copies: Array(repeating: .droppedAtGateway, count: 6))
        s.at(s.setup.start + 240 * second)
        s.keepAlive()
        s.expect("firewall_session_timeout", severity: "error", level: "probable", detail: "server_retransmits",
                 evidence: ["push"])
        keepaliveFinding(&s, keepalives: ["keepalive"])
        return s.capture(name: "firewall_timeout_probable")
    }

    /// Outside capture. As `probable`, but the gateway answers every copy of the push with ICMP
    /// 3/3 (port unreachable) from its public address 203.0.113.5, quoting the push (the whole
    /// ICQ header is inside the quote).
    /// Must report: `firewall_session_timeout`, severity error, level `confirmed`, detail
    /// `icmp_from_client_side`, frames = the 6 copies of `push` and the 6 `push.icmp`; and
    /// `keepalive_exceeds_firewall_timeout`.
    public static func firewallTimeoutConfirmedICMP() -> ScenarioCapture {
        var s = timeoutBase(.outside, seed: 43)
        pushAfterGap(&s, gap: 180, copies: Array(repeating: .droppedAtGatewayWithICMP(code: 3), count: 6))
        s.at(s.setup.start + 240 * second)
        s.keepAlive()
        s.expect("firewall_session_timeout", severity: "error", level: "confirmed", detail: "icmp_from_client_side",
                 evidence: ["push", "push.icmp"])
        keepaliveFinding(&s, keepalives: ["keepalive"])
        return s.capture(name: "firewall_timeout_confirmed_icmp")
    }

    /// Outside capture. As `probable`, then the client's keep-alive at login + 240 s leaves from a
    /// NEW public port, 61777 (the NAT made a new mapping); the server acks it there (acks go to
    /// the request's source) while its pushes went to the port recorded at login.
    /// Must report: `firewall_session_timeout`, severity error, level `confirmed`, detail
    /// `nat_rebinding`, client 203.0.113.5:61001, frames = the 6 copies of `push` and `keepalive`
    /// (the packet from the new port); and `keepalive_exceeds_firewall_timeout`. The session
    /// (UIN 1001, session 0x2A5F1C03) continues on 203.0.113.5:61777.
    public static func firewallTimeoutConfirmedNATRebinding() -> ScenarioCapture {
        var s = timeoutBase(.outside, seed: 44)
        pushAfterGap(&s, gap: 180, copies: Array(repeating: .droppedAtGateway, count: 6))
        s.at(s.setup.start + 240 * second)
        s.rebindNAT(to: 61777)
        s.keepAlive()
        s.expect("firewall_session_timeout", severity: "error", level: "confirmed", detail: "nat_rebinding",
                 client: Endpoint(address: IPAddress(ipv4: 0xCB00_7105), port: 61001), evidence: ["push", "keepalive"])
        keepaliveFinding(&s, keepalives: ["keepalive"])
        return s.capture(name: "firewall_timeout_confirmed_nat_rebinding")
    }

    /// Inside capture. The push after the 180 s gap and its 5 retransmissions never arrive inside
    /// (not in this capture). The keep-alive at login + 240 s re-opens the mapping (same port)
    /// and is acked; 10 s later the server's next push arrives and is acked: its SEQ1 is 2 above
    /// the last server packet seen inside before the gap (`offline_done`, SEQ1 3 → `later_push`,
    /// SEQ1 5).
    /// Must report: `firewall_session_timeout`, severity error, level `confirmed`, detail
    /// `server_sequence_gap`, client 192.168.1.2:1100, frames = `offline_done` and `later_push`;
    /// and `keepalive_exceeds_firewall_timeout`.
    public static func firewallTimeoutConfirmedSequenceGap() -> ScenarioCapture {
        var s = timeoutBase(.inside, seed: 45)
        pushAfterGap(&s, gap: 180, copies: Array(repeating: .droppedAtGateway, count: 6))
        s.at(s.setup.start + 240 * second)
        s.keepAlive()
        s.advance(seconds: 10)
        s.receiveMessage(from: peerA.uin, "hello again", name: "later_push")
        s.expect("firewall_session_timeout", severity: "error", level: "confirmed", detail: "server_sequence_gap",
                 evidence: ["offline_done", "later_push"])
        keepaliveFinding(&s, keepalives: ["keepalive"])
        return s.capture(name: "firewall_timeout_confirmed_sequence_gap")
    }

    /// Two-sided capture. The push after the 180 s gap and its 5 retransmissions arrive outside
    /// and never leave inside; the keep-alive at login + 240 s passes both ways.
    /// Must report: `firewall_session_timeout`, severity error, level `confirmed`, detail
    /// `dropped_at_gateway`, client 192.168.1.2:1100, frames = the 6 copies of `push` (all
    /// outside: `push@outside`); and `keepalive_exceeds_firewall_timeout`.
    public static func firewallTimeoutConfirmedDroppedAtGateway() -> ScenarioCapture {
        var s = timeoutBase(.gateway, seed: 46)
        pushAfterGap(&s, gap: 180, copies: Array(repeating: .droppedAtGateway, count: 6))
        s.at(s.setup.start + 240 * second)
        s.keepAlive()
        s.expect("firewall_session_timeout", severity: "error", level: "confirmed", detail: "dropped_at_gateway",
                 evidence: ["push"])
        keepaliveFinding(&s, keepalives: ["keepalive"])
        return s.capture(name: "firewall_timeout_confirmed_dropped_at_gateway")
    }

    /// Near miss, outside capture: the push comes 115 s after the flow went quiet (under F =
    /// 120 s), is delivered and acked at once.
    /// Must NOT report `firewall_session_timeout` (nor `push_unacknowledged`). Still reports
    /// `keepalive_exceeds_firewall_timeout` (K = 240).
    public static func firewallTimeoutNearMiss() -> ScenarioCapture {
        var s = timeoutBase(.outside, seed: 47)
        pushAfterGap(&s, gap: 115, copies: [.acked])
        s.at(s.setup.start + 240 * second)
        s.keepAlive()
        s.expectAbsent("firewall_session_timeout", "push_unacknowledged")
        keepaliveFinding(&s, keepalives: ["keepalive"])
        return s.capture(name: "firewall_timeout_near_miss")
    }

    // MARK: keepalive_exceeds_firewall_timeout

    /// Inside capture. The login reply says ping 160 s (hint 150) and the client sends a
    /// keep-alive every 150 s (at login + 150, 300, 450), each acked; logout at + 460 s.
    /// Must report: `keepalive_exceeds_firewall_timeout`, severity warning, client
    /// 192.168.1.2:1100, frames = `login_reply` and the 3 `keepalive`. Must NOT report
    /// `firewall_session_timeout` (the only server packets after the gaps are acks to the
    /// keep-alives).
    public static func keepaliveExceedsFirewallTimeout() -> ScenarioCapture {
        var s = ICQSessionScript(setup(.inside, keepAlive: 150, seed: 51))
        s.login(contacts: [1010], online: [peerA])
        for k in 1...3 {
            s.at(s.setup.start + Int64(k) * 150 * second)
            s.keepAlive()
        }
        s.advance(seconds: 10)
        s.logout()
        s.expect("keepalive_exceeds_firewall_timeout", severity: "warning", evidence: ["login_reply", "keepalive"])
        s.expectAbsent("firewall_session_timeout")
        return s.capture(name: "keepalive_exceeds_firewall_timeout")
    }

    /// Near miss, inside capture: hint 100 s, keep-alives every 100 s (login + 100 … 400), all
    /// acked; logout at + 410 s. Must NOT report `keepalive_exceeds_firewall_timeout`.
    public static func keepaliveNearMiss() -> ScenarioCapture {
        var s = ICQSessionScript(setup(.inside, keepAlive: 100, seed: 52))
        s.login(contacts: [1010], online: [peerA])
        for k in 1...4 {
            s.at(s.setup.start + Int64(k) * 100 * second)
            s.keepAlive()
        }
        s.advance(seconds: 10)
        s.logout()
        s.expectAbsent("keepalive_exceeds_firewall_timeout", "firewall_session_timeout")
        return s.capture(name: "keepalive_near_miss")
    }
}
