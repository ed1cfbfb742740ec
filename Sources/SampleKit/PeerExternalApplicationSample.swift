/// An ICQ direct connection, TCP v8, seen on the client's LAN, in which the client (UIN 1001,
/// 192.168.1.2) asks peer A (UIN 1002, 198.51.100.20) to start an external application: a plugin
/// message (type 0x1A) naming ICQ's External plugin, {393436BC-07A4-40A2-900C-35A9F003BE09} in
/// Shutko's list, written as on the wire (docs/protocol.md#peer-plugins). Peer A accepts with an
/// acknowledgement whose plugin data names port 4022 in climm's layout (port u16 BE, u16, LNTS,
/// u32, port u32 LE). Two seconds later the client calls 198.51.100.20:4022: answered (SYN-ACK,
/// ACK, a FIN exchange) or never answered (its SYN and the retransmissions at 3 and 9 s). The
/// message connection closes 40 s later, past every deadline.
///
/// The plugin name and the request's text are the sample's own: no source shows what the External
/// plugin writes there, and icqscope knows the plugin by its GUID alone.
public enum PeerExternalApplicationSample {
    public static let clientIP: UInt32 = PeerSample.clientIP
    public static let applicationPort: UInt16 = 4022
    /// ICQ's External plugin, {393436BC-07A4-40A2-900C-35A9F003BE09}: the first three groups
    /// little-endian, as Windows stores a GUID.
    public static let externalPluginGUID: [UInt8] = [0xBC, 0x36, 0x34, 0x39, 0xA4, 0x07, 0xA2, 0x40,
                                                     0x90, 0x0C, 0x35, 0xA9, 0xF0, 0x03, 0xBE, 0x09]
    public static let pluginName = "External Application"

    public static func pcapng(blocked: Bool, seed: UInt64 = 23) -> [UInt8] {
        var net = SampleTCPNetwork(seed: seed, start: 1_732_461_000 * ICQSessionScript.second)
        let peer = ICQScenarios.peerA
        net.addHost(clientIP, ttl: 128)
        net.addHost(peer.externalIP, ttl: 113)
        let rtt = 0.071

        var dc = net.connect(from: clientIP, 1040, to: peer.externalIP, peer.tcpPort, rtt: rtt)
        net.send(&dc, fromClient: true,
                 PeerBytes.peerInit(version: 8, destinationUIN: peer.uin, port: PeerSample.clientListenPort,
                                    uin: PeerSample.clientUIN, externalIP: PeerSample.natIP, internalIP: clientIP,
                                    cookie: PeerSample.cookie), acknowledged: false)
        net.advance(seconds: rtt)
        net.send(&dc, fromClient: false,
                 PeerBytes.initAck + PeerBytes.peerInit(version: 8, destinationUIN: PeerSample.clientUIN, port: peer.tcpPort,
                                                        uin: peer.uin, externalIP: peer.externalIP, internalIP: peer.lanIP,
                                                        cookie: PeerSample.cookie), acknowledged: false)
        net.send(&dc, fromClient: true, PeerBytes.initAck + PeerBytes.init2(fromCaller: true), acknowledged: false)
        net.advance(seconds: rtt)
        net.send(&dc, fromClient: false, PeerBytes.init2(fromCaller: false))

        // The request, and the acknowledgement that accepts it and names the port.
        net.advance(seconds: 2)
        let request = PeerBytes.pluginExtras(guid: externalPluginGUID, name: pluginName, text: "Shall we play?", data: [])
        var m = PeerBytes.message(PeerBytes.messageBody(command: PeerMessageCommand.message, sequence: 0xFFFF, type: 0x1A,
                                                        text: "", extras: request), random: &net.random)
        net.send(&dc, fromClient: true, m, acknowledged: false)
        net.advance(seconds: rtt + 1.8)
        let accept = PeerBytes.pluginExtras(guid: externalPluginGUID, name: pluginName, text: "",
                                            data: PeerBytes.pluginAckData(port: applicationPort))
        m = PeerBytes.message(PeerBytes.messageBody(command: PeerMessageCommand.ack, sequence: 0xFFFF, type: 0x1A,
                                                    text: "", extras: accept), random: &net.random)
        net.send(&dc, fromClient: false, m)

        // The client calls the port the acknowledgement named.
        net.advance(seconds: 2)
        if blocked {
            let call = SampleTCPConnection(clientIP: clientIP, clientPort: 1041, serverIP: peer.externalIP,
                                           serverPort: applicationPort, clientNext: 0x2A3B_4C5D, serverNext: 0x6677_8899,
                                           rtt: rtt)
            for wait in [3.0, 6.0, 0.0] {
                net.emit(call, fromClient: true, sequence: call.clientNext, acknowledgement: 0, flags: [.syn],
                         options: GatewayMix.synOptions)
                net.advance(seconds: wait)
            }
        } else {
            var call = net.connect(from: clientIP, 1041, to: peer.externalIP, applicationPort, rtt: rtt)
            net.advance(seconds: 5)
            net.close(&call)
        }
        net.advance(seconds: 40)
        net.close(&dc)
        return net.render()
    }
}
