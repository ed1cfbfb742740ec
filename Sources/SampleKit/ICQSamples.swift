/// The bundled ICQ samples under samples/: small, deterministic captures for people to try
/// icqscope on (the generator writes them; a test checks the committed files equal its output).
public enum ICQSamples {
    /// `icq-v5-session.pcapng`: a realistic ICQ v5 session seen on the client's LAN (behind NAT),
    /// encrypted as a real client does. mICQ-like timing against iserverd defaults: the login
    /// reply says ping 120 (hint 110) and the client keeps its own 120 s. Login, contact list
    /// with peer A online, a message out whose first copy is lost and retransmitted after 10 s,
    /// a message in, keep-alives at login + 120 s and + 240 s, a last message, logout at about
    /// + 262 s. With the default F = 120 s an analyzer reports `dropped_reply` (recovered) and
    /// `keepalive_exceeds_firewall_timeout` (K = 120 s ≥ F − 10 s) on it.
    public static func icqSession() -> ScenarioCapture {
        var setup = ICQSessionScript.Setup()
        setup.vantage = .inside
        setup.seed = 7
        var s = ICQSessionScript(setup)
        let start = s.now
        s.login(contacts: [1010], online: [ICQScenarios.peerA])
        s.advance(seconds: 7.3)
        s.sendMessage(to: ICQScenarios.peerA.uin, "Hi Anna, lunch at noon?", name: "message_out",
                      copies: [.lostBeyondGateway, .acked])
        s.advance(seconds: 28)
        s.receiveMessage(from: ICQScenarios.peerA.uin, "Sure! The usual place.", name: "message_in")
        for k in 1...2 {
            s.at(start + Int64(k) * 120 * ICQSessionScript.second)
            s.keepAlive()
        }
        s.advance(seconds: 15)
        s.sendMessage(to: ICQScenarios.peerA.uin, "See you there.", name: "message_out_2")
        s.advance(seconds: 7)
        s.logout()
        s.expect("dropped_reply", severity: "warning", detail: "recovered", evidence: ["message_out", "message_out.ack"])
        s.expect("keepalive_exceeds_firewall_timeout", severity: "warning", evidence: ["login_reply", "keepalive"])
        return s.capture(name: "icq-v5-session")
    }

    /// Every ICQ sample file and how it is made.
    public static let files: [(file: String, build: @Sendable () -> ScenarioCapture)] = [
        ("icq-v5-session.pcapng", { icqSession() }),
        ("firewall-timeout.pcapng", { ICQScenarios.firewallTimeoutConfirmedDroppedAtGateway() }),
        ("blocked-peer-port.pcapng", { ICQScenarios.blockedPeerPort(.rstFromGateway) }),
        ("dropped-reply.pcapng", { ICQScenarios.droppedReplyAckDroppedAtGateway() }),
        ("socks-association-lost.pcapng", { ICQScenarios.socksAssociationLost() }),
    ]
}
