/// The guide's "I am behind a firewall or proxy" setting (connection mode 1) against what the
/// capture shows: peers that still try the port of a client in firewall mode are noted on the
/// `peer-tcp-ports` requirement.
extension ICQScenarios {
    /// Peer A as the server announces it: in firewall mode (1).
    static let firewalledPeerA = ICQContact(uin: peerA.uin, externalIP: peerA.externalIP, tcpPort: peerA.tcpPort,
                                            lanIP: peerA.lanIP, mode: 0x01)

    /// Two-sided capture. Peer A comes online in firewall mode (SRV_USER_ONLINE mode 1), yet the
    /// client connects to its port (at login + 3 s; the message goes through the server at + 30 s) and the answer decides: the peer's SYN-ACK
    /// (the port was reached) or the gateway's silence (blocked: `outgoing_tcp_blocked`).
    /// Must report, on `peer-tcp-ports`, that peers still tried a port announced in firewall
    /// mode (the note names UIN 1002 and `peer`'s frames).
    public static func firewallModePortTried(blocked: Bool) -> ScenarioCapture {
        var (s, locals) = peerScenario(seed: blocked ? 72 : 71, online: [firewalledPeerA], attempts: [
            (peerA.externalIP, peerA.tcpPort, blocked ? .noAnswerDroppedAtGateway : .synAck, "peer"),
        ])
        if blocked {
            s.expect("outgoing_tcp_blocked", severity: "error", level: "final", detail: "no_answer", client: locals[0],
                     server: .some(nil), peer: peerA.endpoint, evidence: ["peer.syn"])
        } else {
            s.expectAbsent("outgoing_tcp_blocked", "blocked_peer_port", "direct_mode_port_blocked")
        }
        return s.capture(name: blocked ? "firewall_mode_port_tried_blocked" : "firewall_mode_port_tried")
    }
}
