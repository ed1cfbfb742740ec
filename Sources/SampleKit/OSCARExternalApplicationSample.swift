/// An OSCAR session on the client's LAN in which peer A (UIN 1002) proposes a voice chat, an
/// external application in the firewall guide's sense: SNAC(04,07) on ICBM channel 2, its
/// rendezvous block (TLV 5) naming the "Voice Chat" capability 09461341-4C7F-11D1-8222-
/// 444553540000 (docs/protocol.md#oscar-external-applications), the peer's LAN address
/// 10.0.0.20 (TLV 3), its external address 198.51.100.20 (TLV 4, as the server adds it) and port
/// 4021 (TLV 5). Three seconds later the client (192.168.1.2) calls 198.51.100.20:4021:
/// answered (`blocked: false`: SYN-ACK, ACK, a FIN exchange) or never answered (its SYN and the
/// retransmissions at 3 and 9 s). A keep-alive on the BOS connection 40 s after the call carries
/// the capture past every deadline.
public enum OSCARExternalApplicationSample {
    public static let clientIP: UInt32 = 0xC0A8_0102
    public static let bosIP: UInt32 = 0xC633_640B  // 198.51.100.11
    public static let applicationPort: UInt16 = 4021
    /// Voice Chat (Pidgin's OSCAR_CAPABILITY_TALK; Wireshark "Voice Chat").
    public static let voiceCapability: [UInt8] = [0x09, 0x46, 0x13, 0x41, 0x4C, 0x7F, 0x11, 0xD1,
                                                  0x82, 0x22, 0x44, 0x45, 0x53, 0x54, 0x00, 0x00]

    public static func pcapng(blocked: Bool, seed: UInt64 = 21) -> [UInt8] {
        var net = SampleTCPNetwork(seed: seed, start: 1_732_460_400 * ICQSessionScript.second)
        let peer = ICQScenarios.peerA
        net.addHost(clientIP, ttl: 128)
        net.addHost(bosIP, ttl: 49)
        net.addHost(peer.externalIP, ttl: 116)
        var bos = net.connect(from: clientIP, 1033, to: bosIP, 5190, rtt: 0.042)
        var c = FLAPCounter(next: 0x1204)
        var s = FLAPCounter(next: 0x6A10)
        net.send(&bos, fromClient: false, s.flap(1, [0, 0, 0, 1]), acknowledged: false)
        net.send(&bos, fromClient: true, c.flap(1, [0, 0, 0, 1] + OSCARBytes.tlv(0x0006, Array(repeating: 0x5A, count: 64))))

        // The proposal, as the server relays it: cookie, channel 2, the sender's info, TLV 5.
        net.advance(seconds: 2)
        let cookie: [UInt8] = [0x3B, 0x61, 0x0D, 0x72, 0x19, 0x44, 0x0E, 0x07]
        var block: [UInt8] = [0x00, 0x00] + cookie + voiceCapability
        block += OSCARBytes.tlv16(0x000A, 1)
        block += OSCARBytes.tlv32(0x0003, peer.lanIP)
        block += OSCARBytes.tlv32(0x0004, peer.externalIP)
        block += OSCARBytes.tlv16(0x0005, applicationPort)
        var incoming = cookie + [0x00, 0x02]
        incoming += OSCARBytes.userInfo(uin: peer.uin, tlvs: [OSCARBytes.tlv16(0x0001, 0x0050), OSCARBytes.tlv32(0x0006, 0)])
        incoming += OSCARBytes.tlv(0x0005, block)
        net.send(&bos, fromClient: false, s.flap(2, OSCARBytes.snac(0x04, 0x07, id: 0x8000_0011, incoming)))

        // The client calls the port the proposal named.
        net.advance(seconds: 3)
        var call = SampleTCPConnection(clientIP: clientIP, clientPort: 1034, serverIP: peer.externalIP,
                                       serverPort: applicationPort, clientNext: 0x1F2E_3D4C, serverNext: 0x7788_9900, rtt: 0.06)
        if blocked {
            for wait in [3.0, 6.0, 0.0] {
                net.emit(call, fromClient: true, sequence: call.clientNext, acknowledgement: 0, flags: [.syn],
                         options: GatewayMix.synOptions)
                net.advance(seconds: wait)
            }
        } else {
            call = net.connect(from: clientIP, 1034, to: peer.externalIP, applicationPort, rtt: 0.06)
            net.advance(seconds: 5)
            net.close(&call)
        }
        net.advance(seconds: 40)
        net.send(&bos, fromClient: true, c.flap(5, []))
        return net.render()
    }
}
