import Bytes

/// The guide's UDP mapping proxy: the gateway maps its own inside port 4000 to the ICQ server
/// (DNAT), and the client is set to talk to the gateway.
extension ICQScenarios {
    /// A healthy session through the mapping, captured on both sides (inside: client ↔ gateway
    /// 192.168.1.1:4000; outside: the NAT's address ↔ the server), or on one.
    public static func udpMappingSession(_ vantage: ICQSessionScript.Vantage = .gateway) -> ScenarioCapture {
        var setup = setup(vantage, seed: 81)
        setup.udpMapping = Endpoint(address: IPAddress(ipv4: setup.gatewayInsideIP), port: 4000)
        var s = ICQSessionScript(setup)
        s.login(contacts: [1010], online: [peerA])
        s.advance(seconds: 4)
        s.sendMessage(to: peerA.uin, "through the mapping", name: "message_out")
        s.advance(seconds: 20)
        s.keepAlive()
        s.advance(seconds: 5)
        s.logout()
        s.expectAbsent("dropped_reply", "push_unacknowledged", "firewall_session_timeout", "server_path_blocked",
                       "socks_association_lost")
        return s.capture(name: vantage == .gateway ? "udp_mapping_session" : "udp_mapping_session_\(vantage)")
    }
}
