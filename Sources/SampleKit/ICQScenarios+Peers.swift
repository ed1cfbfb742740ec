import Bytes

/// R4 (`blocked_peer_port`, and `outgoing_tcp_blocked` from a client inside): direct TCP connections to the port a peer advertised in
/// SRV_USER_ONLINE, all two-sided captures (inside0, outside0) so that a reset forged by the
/// gateway can be told from one the peer sent. The client is a Windows ICQ 99 client (TTL 128,
/// SYN retransmissions at 3 and 9 s); peers are 12 hops away (TTL 116 outside, 115 inside).
extension ICQScenarios {
    /// Login with `online` contacts, then `attempts` at login + 3 s, + 4 s, ..., then (at
    /// login + 30 s) the message goes through the server instead, as climm does when the direct
    /// connection fails; that packet also carries the capture past the 21 s deadline.
    static func peerScenario(seed: UInt64, online: [ICQContact],
                             attempts: [(ip: UInt32, port: UInt16, answer: PeerAnswer, name: String)],
                             fallbackAt: Int64 = 30) -> (ICQSessionScript, [Endpoint]) {
        var s = ICQSessionScript(setup(.gateway, seed: seed))
        s.login(contacts: [1010], online: online)
        var locals: [Endpoint] = []
        for (i, attempt) in attempts.enumerated() {
            s.at(s.setup.start + Int64(3 + i) * second)
            locals.append(s.connectToPeer(ip: attempt.ip, port: attempt.port, answer: attempt.answer, name: attempt.name))
        }
        s.at(s.setup.start + fallbackAt * second)
        s.sendMessage(to: online[0].uin, "sent through the server: could not connect to you directly", name: "message_out")
        return (s, locals)
    }

    /// Peer A (UIN 1002) advertises 198.51.100.20:3457 in SRV_USER_ONLINE; 3 s after login the
    /// client's SYN to it is answered as `answer` says. Frames: `user_online.1002`, `peer`
    /// (every frame of the attempt), `peer.syn`, `peer.answer`, `message_out` (the fallback at
    /// login + 30 s).
    /// The client logged in, so it is inside: its connection out is judged by the guide's
    /// outgoing-TCP requirement (the scenarios keep their `blocked_peer_*` names).
    /// Must report `outgoing_tcp_blocked` with client = the client's TCP endpoint inside
    /// (192.168.1.2:1031), peer 198.51.100.20:3457, UIN 1001, server null, level `final`, and:
    /// - `.rstFromPeer`: severity warning, detail `rst_from_peer` (the RST is seen on both sides,
    ///   TTL 116/115 like a host 12 hops away): the peer is not listening; frames `peer.syn`,
    ///   `peer.answer`.
    /// - `.rstFromGateway`: severity error, detail `rst_from_middlebox` (the SYN never left; the
    ///   RST, seen inside only, has TTL 64 and IP id 0); frames `peer.syn`, `peer.answer`.
    /// - `.icmpFromGateway(code: 13)`: error, `icmp_admin_prohibited` (ICMP 3/13 from 192.168.1.1).
    /// - `.icmpFromGateway(code: 3)`: error, `icmp_port_unreachable` (ICMP 3/3 answering a TCP SYN).
    /// - `.noAnswerDroppedAtGateway`: error, `no_answer`, SYNs at +0, +3, +9 s inside only, nothing
    ///   back; frames = the 3 `peer.syn`. (An analyzer that reports findings as they are
    ///   established also emits the provisional one, warning, at SYN + 3.5 s.)
    /// Other answers (`.synAck`, `.icmpFromRouter`, `.noAnswerBeyondGateway`) are not blocks at
    /// the gateway; use the near-miss scenarios for them.
    public static func blockedPeerPort(_ answer: PeerAnswer) -> ScenarioCapture {
        let (detail, severity): (String, String)
        switch answer {
        case .rstFromPeer: (detail, severity) = ("rst_from_peer", "warning")
        case .rstFromGateway: (detail, severity) = ("rst_from_middlebox", "error")
        case .icmpFromGateway(let code) where code == 3: (detail, severity) = ("icmp_port_unreachable", "error")
        case .icmpFromGateway: (detail, severity) = ("icmp_admin_prohibited", "error")
        case .noAnswerDroppedAtGateway, .noAnswerBeyondGateway: (detail, severity) = ("no_answer", "error")
        default: preconditionFailure("\(answer) is not a blocked peer port; see the near-miss scenarios")
        }
        var (s, locals) = peerScenario(seed: 61, online: [peerA],
                                       attempts: [(peerA.externalIP, peerA.tcpPort, answer, "peer")])
        let evidence = answer == .noAnswerDroppedAtGateway || answer == .noAnswerBeyondGateway
            ? ["peer.syn"] : ["peer.syn", "peer.answer"]
        s.expect("outgoing_tcp_blocked", severity: severity, level: "final", detail: detail, client: locals[0],
                 server: .some(nil), peer: peerA.endpoint, evidence: evidence)
        return s.capture(name: "blocked_peer_\(detail)")
    }

    /// As `blockedPeerPort(.noAnswerDroppedAtGateway)`, but the capture ends at SYN + 12 s (a DNS
    /// lookup after the third SYN): past the 3.5 s provisional window, before the 21 s final one.
    /// Must report `outgoing_tcp_blocked`, severity warning, level `provisional`, detail
    /// `no_answer`, frames = the 3 `peer.syn`; and, as the capture ends, the same at level
    /// `final`, severity error: the SYNs arrived on the inside and never left, which proves the
    /// block at the gateway although the final deadline is still open (issue 13).
    public static func blockedPeerPortProvisional() -> ScenarioCapture {
        var s = ICQSessionScript(setup(.gateway, seed: 62))
        s.login(contacts: [1010], online: [peerA])
        s.at(s.setup.start + 3 * second)
        let local = s.connectToPeer(ip: peerA.externalIP, port: peerA.tcpPort, answer: .noAnswerDroppedAtGateway, name: "peer")
        s.at(s.setup.start + 15 * second)
        s.dnsLookup()
        s.expect("outgoing_tcp_blocked", severity: "warning", level: "provisional", detail: "no_answer", client: local,
                 server: .some(nil), peer: peerA.endpoint, evidence: ["peer.syn"])
        s.expect("outgoing_tcp_blocked", severity: "error", level: "final", detail: "no_answer", client: local,
                 server: .some(nil), peer: peerA.endpoint, evidence: ["peer.syn"])
        return s.capture(name: "blocked_peer_no_answer_provisional")
    }

    /// Peers A, B and C come online (ports 3457, 4012, 2749, all above 1023) and the client's
    /// SYNs to each (at login + 3, 4, 5 s) are dropped silently by the gateway.
    /// Must report three `outgoing_tcp_blocked` findings (error, final, `no_answer`; frames
    /// `peer_a.syn`, `peer_b.syn`, `peer_c.syn`), and the escalation: 3 distinct peers blocked
    /// the same way for the same client, i.e. a policy on outgoing TCP above 1023, not a peer's
    /// problem (R4 `peer_ports_blocked_by_policy`; how it is carried is the analyzer's choice).
    public static func blockedPeerPortEscalation() -> ScenarioCapture {
        let peers = [peerA, peerB, peerC]
        let names = ["peer_a", "peer_b", "peer_c"]
        var (s, locals) = peerScenario(
            seed: 63, online: peers,
            attempts: zip(peers, names).map { ($0.externalIP, $0.tcpPort, .noAnswerDroppedAtGateway, $1) })
        for (i, peer) in peers.enumerated() {
            s.expect("outgoing_tcp_blocked", severity: "error", level: "final", detail: "no_answer", client: locals[i],
                     server: .some(nil), peer: peer.endpoint, evidence: [names[i] + ".syn"])
        }
        return s.capture(name: "blocked_peer_escalation")
    }

    /// Near miss: peer D advertises 198.51.100.50:3999 and LAN address 10.0.0.50; the client tries
    /// the LAN address 10.0.0.50:3999, which from outside the peer's network cannot work, and is
    /// refused (RST, seen on both sides). Must NOT report `blocked_peer_port`.
    public static func blockedPeerNearMissPrivateIP() -> ScenarioCapture {
        var (s, _) = peerScenario(seed: 64, online: [peerD],
                                  attempts: [(peerD.lanIP, peerD.tcpPort, .rstFromPeer, "peer")])
        s.expectAbsent("blocked_peer_port")
        s.expectAbsent("outgoing_tcp_blocked")
        return s.capture(name: "blocked_peer_near_miss_private_ip")
    }

    /// Near miss: the SYN to peer A's advertised port leaves the gateway and the ISP's router
    /// 203.0.113.1 answers ICMP 3/1 host unreachable (quoting the outside SYN outside and the
    /// inside SYN inside). A routing problem, not a block: must NOT report `blocked_peer_port`.
    /// Frames `peer.syn`, `peer.answer`.
    public static func blockedPeerNearMissHostUnreachable() -> ScenarioCapture {
        var (s, _) = peerScenario(seed: 65, online: [peerA],
                                  attempts: [(peerA.externalIP, peerA.tcpPort, .icmpFromRouter(code: 1), "peer")])
        s.expectAbsent("blocked_peer_port")
        s.expectAbsent("outgoing_tcp_blocked")
        return s.capture(name: "blocked_peer_near_miss_host_unreachable")
    }

    /// Near miss: SYNs to peer A's host on port 80 (not the advertised 3457; ≤ 1023, not an ICQ
    /// peer port), dropped silently by the gateway, SYNs at +0, +3, +9 s. Must NOT report
    /// `blocked_peer_port`.
    public static func blockedPeerNearMissLowPort() -> ScenarioCapture {
        var (s, _) = peerScenario(seed: 66, online: [peerA],
                                  attempts: [(peerA.externalIP, 80, .noAnswerDroppedAtGateway, "web")])
        s.expectAbsent("blocked_peer_port")
        s.expectAbsent("outgoing_tcp_blocked")
        return s.capture(name: "blocked_peer_near_miss_low_port")
    }
}

/// R5 (`server_path_blocked`) and R6 (`socks_association_lost`).
extension ICQScenarios {
    /// Inside capture. The client's CMD_LOGIN is sent 6 times, 10 s apart, and the gateway drops
    /// every copy; nothing ever comes from the server. With `icmp`, the gateway answers each copy
    /// with ICMP 3/13 (administratively prohibited) from 192.168.1.1, quoting it. A DNS lookup
    /// 30 s after the last copy carries the capture past every deadline.
    /// Must report: `server_path_blocked`, severity error, detail `no_answer` (or `icmp`), client
    /// 192.168.1.2:1100, server 198.51.100.4:4000, UIN 1001, frames = the 6 copies of `login`
    /// (and the 6 `login.icmp`).
    public static func serverPathBlocked(icmp: Bool) -> ScenarioCapture {
        var s = ICQSessionScript(setup(.inside, seed: icmp ? 72 : 71))
        s.login(loginCopies: Array(repeating: icmp ? .blockedWithICMP(code: 13) : .droppedAtGateway, count: 6))
        s.at(s.lastFrameTime + 30 * second)
        s.dnsLookup()
        s.expect("server_path_blocked", severity: "error", detail: icmp ? "icmp" : "no_answer",
                 evidence: icmp ? ["login", "login.icmp"] : ["login"])
        return s.capture(name: icmp ? "server_path_blocked_icmp" : "server_path_blocked")
    }

    /// Inside capture. The client connects to a peer through a SOCKS4 proxy (192.168.1.5:1080;
    /// SOCKS4 carries TCP only), then logs in over direct UDP as `serverPathBlocked(icmp: false)`:
    /// the gateway drops every copy of CMD_LOGIN.
    /// Must report: `server_path_blocked` (`no_answer`, frames the 6 `login`), and
    /// `socks4_udp_blocked`, severity error, detail `no_answer`, client 192.168.1.2:1100, server
    /// 198.51.100.4:4000, UIN 1001, frames the SOCKS4 request and the 6 `login`.
    public static func socks4UDPBlocked() -> ScenarioCapture {
        var s = ICQSessionScript(setup(.inside, seed: 73))
        s.socks4Connect(proxy: socksProxy, to: peerA.endpoint)
        s.login(loginCopies: Array(repeating: .droppedAtGateway, count: 6))
        s.at(s.lastFrameTime + 30 * second)
        s.dnsLookup()
        s.expect("server_path_blocked", severity: "error", detail: "no_answer", evidence: ["login"])
        s.expect("socks4_udp_blocked", severity: "error", detail: "no_answer", evidence: ["socks4.request", "login"])
        return s.capture(name: "socks4_udp_blocked")
    }

    static let socksProxy = Endpoint(address: IPAddress(ipv4: 0xC0A8_0105), port: 1080)  // 192.168.1.5:1080
    static let socksRelay = Endpoint(address: IPAddress(ipv4: 0xC0A8_0105), port: 40500)

    static func socksBase(seed: UInt64) -> ICQSessionScript {
        var setup = setup(.inside, seed: seed)
        setup.natIP = nil
        setup.socksRelay = socksRelay
        var s = ICQSessionScript(setup)
        s.socksAssociate(proxy: socksProxy)
        s.login(contacts: [1010], online: [peerA])
        s.advance(seconds: 5)
        s.sendMessage(to: peerA.uin, "hi from behind the proxy", name: "message_out")
        s.advance(seconds: 4)
        s.receiveMessage(from: peerA.uin, "hi!", name: "message_in")
        return s
    }

    /// Inside capture of ICQ through a SOCKS5 proxy (control 192.168.1.5:1080, relay
    /// 192.168.1.5:40500): TCP control connection, method negotiation, UDP ASSOCIATE (DST
    /// 0.0.0.0:1100) and its reply; login, messages, all as datagrams with the 10-byte header
    /// naming 198.51.100.4:4000. At login + 60 s the proxy closes the control connection (FIN
    /// from the proxy, then the client's); the client keeps using UDP: its keep-alive at login +
    /// 100 s is sent 6 times to the relay and nothing comes back. A DNS lookup 30 s later ends it.
    /// Must report: `socks_association_lost`, severity error, client 192.168.1.2:1100, server
    /// 192.168.1.5:40500 (the relay), UIN 1001, frames = the `socks.fin` frames and the 6
    /// `keepalive` copies.
    public static func socksAssociationLost() -> ScenarioCapture {
        var s = socksBase(seed: 81)
        s.at(s.setup.start + 60 * second)
        s.socksClose(byProxy: true)
        s.at(s.setup.start + 100 * second)
        s.keepAlive(copies: Array(repeating: .lostBeyondGateway, count: 6))
        s.at(s.lastFrameTime + 30 * second)
        s.dnsLookup()
        s.expect("socks_association_lost", severity: "error", evidence: ["socks.fin", "keepalive"])
        return s.capture(name: "socks_association_lost")
    }

    /// Near miss: as above, but the client logs off (CMD_SEND_TEXT_CODE through the relay) at
    /// login + 60 s and then closes the control connection itself: no UDP after the FIN. Must NOT
    /// report `socks_association_lost`.
    public static func socksNearMissUDPStops() -> ScenarioCapture {
        var s = socksBase(seed: 82)
        s.at(s.setup.start + 60 * second)
        s.logout()
        s.advance(seconds: 0.5)
        s.socksClose(byProxy: false)
        s.expectAbsent("socks_association_lost")
        return s.capture(name: "socks_near_miss_udp_stops")
    }
}
