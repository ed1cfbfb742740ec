/// The firewall's UDP timeout bounded by NAT mappings alone (no server packet after an idle gap):
/// a client packet that leaves from its old public port after an idle gap shows the mapping
/// outlived it; one that leaves from a new port shows the NAT had forgotten it.
extension ICQScenarios {
    static func natMappingBase(_ vantage: ICQSessionScript.Vantage, natPort: UInt16, seed: UInt64,
                               sessionID: UInt32? = nil) -> ICQSessionScript {
        var setup = setup(vantage, seed: seed)
        setup.natPort = natPort
        if let sessionID { setup.sessionID = sessionID }
        var s = ICQSessionScript(setup)
        s.login(contacts: [1010], online: [peerA])
        return s
    }

    /// Two-sided capture of a NAT that gives every new mapping another port (inside
    /// 192.168.1.2:1100, public 203.0.113.5:61001). 20 s after the flow went quiet the client
    /// sends a message: it leaves from 61001 again (`message_out`, the mapping outlived 20 s idle).
    /// 60 s after that message its keep-alive leaves from 61777 (`keepalive`: the NAT forgot the
    /// mapping within 60 s), which also shows this NAT gives a forgotten mapping a new port.
    /// Must report no finding; `session-timeout`'s bracket: more than 20 s (frames: the last
    /// packet outside before the gap, `message_out` outside), at most 60 s (`message_out` and
    /// `keepalive`, outside).
    public static func udpTimeoutNATMappings() -> ScenarioCapture {
        var s = natMappingBase(.gateway, natPort: 61001, seed: 61)
        s.at(s.lastFrameTime + 20 * second)
        s.sendMessage(to: peerA.uin, "still there?", name: "message_out")
        s.at(s.now + 60 * second)
        s.rebindNAT(to: 61777)
        s.keepAlive()
        s.expectAbsent("firewall_session_timeout", "dropped_reply", "push_unacknowledged")
        return s.capture(name: "udp_timeout_nat_mappings")
    }

    /// Near miss: as `udpTimeoutNATMappings`, but the NAT keeps the client's own port (1100 on
    /// both sides, as Linux masquerade does when the port is free). A reuse of that port proves
    /// nothing (a forgotten mapping would get it again), so only the new port bounds the timeout.
    /// Must report no finding; the bracket: `more_than` null, at most 60 s.
    /// (`sessionID`: another session, for a capture merged with another gateway's.)
    public static func udpTimeoutNATPortPreserved(sessionID: UInt32? = nil) -> ScenarioCapture {
        var s = natMappingBase(.gateway, natPort: 1100, seed: 62, sessionID: sessionID)
        s.at(s.lastFrameTime + 20 * second)
        s.sendMessage(to: peerA.uin, "still there?", name: "message_out")
        s.at(s.now + 60 * second)
        s.rebindNAT(to: 1101)
        s.keepAlive()
        s.expectAbsent("firewall_session_timeout", "dropped_reply", "push_unacknowledged")
        return s.capture(name: "udp_timeout_nat_port_preserved")
    }

    /// Outside capture: 60 s after the flow went quiet the client's keep-alive leaves from a new
    /// public port (61777) and the server answers it there. The session tracker follows the
    /// session across the rebinding; the bracket: `more_than` null, at most 60 s (`keepalive`).
    public static func udpTimeoutNATRebindingOutside() -> ScenarioCapture {
        var s = natMappingBase(.outside, natPort: 61001, seed: 63)
        s.at(s.lastFrameTime + 60 * second)
        s.rebindNAT(to: 61777)
        s.keepAlive()
        s.expectAbsent("firewall_session_timeout", "dropped_reply", "push_unacknowledged")
        return s.capture(name: "udp_timeout_nat_rebinding_outside")
    }
}
