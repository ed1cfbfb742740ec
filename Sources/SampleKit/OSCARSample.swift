/// `oscar-session.pcapng`: an ICQ 2001-style OSCAR session seen on the client's LAN
/// (docs/protocol.md#oscar-login, #oscar-dc-info). UIN 1001 on 192.168.1.2 signs on at the login
/// server 198.51.100.10:5190 with a roasted password (FLAP channel 1), is redirected to the BOS
/// 198.51.100.11:5190 (TLV 5) with a 256-byte cookie (TLV 6), presents the cookie there, then:
/// families, rate info (split over two segments, as real captures show), rate ack and SSI request
/// in one segment, the SSI list, its activation with the status and DC info (LAN IP, TCP port 3456)
/// and client ready in one segment, peer A (UIN 1002) arriving with its DC info (LAN 10.0.0.20,
/// port 3457), a channel 1 message each way, a keep-alive on channel 5 a minute later, and sign-off
/// with FIN.
public enum OSCARSample {
    public static let uin: UInt32 = 1001
    public static let password = "pass1001"
    public static let clientIP: UInt32 = 0xC0A8_0102
    public static let loginServerIP: UInt32 = 0xC633_640A  // 198.51.100.10
    public static let bosIP: UInt32 = 0xC633_640B  // 198.51.100.11
    /// The client's own DC port, advertised in SNAC(01,1E).
    public static let dcPort: UInt16 = 3456
    public static let messageOut = "Hi Anna, are you there?"
    public static let messageIn = "Yes! I'll send you the notes over a direct connection."

    public static func pcapng(seed: UInt64 = 11) -> [UInt8] {
        var net = SampleTCPNetwork(seed: seed, start: 1_732_460_400 * ICQSessionScript.second)
        net.addHost(clientIP, ttl: 128)
        net.addHost(loginServerIP, ttl: 49)
        net.addHost(bosIP, ttl: 49)
        let peer = ICQScenarios.peerA
        let rtt = 0.042

        // Sign-on at the login server.
        var login = net.connect(from: clientIP, 1032, to: loginServerIP, 5190, rtt: rtt)
        var c = FLAPCounter(next: UInt16(truncatingIfNeeded: net.random.next()) & 0x7FFF)
        var s = FLAPCounter(next: UInt16(truncatingIfNeeded: net.random.next()) & 0x7FFF)
        net.send(&login, fromClient: false, s.flap(1, [0, 0, 0, 1]), acknowledged: false)
        var ident: [UInt8] = [0, 0, 0, 1]
        ident += OSCARBytes.tlv(0x0001, Array(String(uin).utf8))
        ident += OSCARBytes.tlv(0x0002, OSCARBytes.roast(password))
        ident += OSCARBytes.tlv(0x0003, Array("ICQ Inc. - Product of ICQ (TM).2001b.5.17.1.3642.85".utf8))
        ident += OSCARBytes.tlv16(0x0016, 0x010A) + OSCARBytes.tlv16(0x0017, 5) + OSCARBytes.tlv16(0x0018, 17)
        ident += OSCARBytes.tlv16(0x0019, 1) + OSCARBytes.tlv16(0x001A, 3642) + OSCARBytes.tlv32(0x0014, 85)
        ident += OSCARBytes.tlv(0x000F, Array("en".utf8)) + OSCARBytes.tlv(0x000E, Array("us".utf8))
        net.advance(seconds: 0.01)
        net.send(&login, fromClient: true, c.flap(1, ident), acknowledged: false)
        let cookie = (0..<256).map { _ in UInt8(truncatingIfNeeded: net.random.next()) }
        var reply = OSCARBytes.tlv(0x0001, Array(String(uin).utf8))
        reply += OSCARBytes.tlv(0x0005, Array("198.51.100.11:5190".utf8))
        reply += OSCARBytes.tlv(0x0006, cookie)
        net.advance(seconds: rtt + 0.03)
        net.send(&login, fromClient: false, s.flap(4, reply))
        net.send(&login, fromClient: true, c.flap(4, []), acknowledged: false)
        net.close(&login)

        // The BOS connection: the cookie, then the SNACs of docs/protocol.md#oscar-login, step 5.
        var bos = net.connect(from: clientIP, 1033, to: bosIP, 5190, rtt: rtt)
        c = FLAPCounter(next: UInt16(truncatingIfNeeded: net.random.next()) & 0x7FFF)
        s = FLAPCounter(next: UInt16(truncatingIfNeeded: net.random.next()) & 0x7FFF)
        var id: UInt32 = 0x0001_0000
        func nextID() -> UInt32 { id += 1; return id }
        net.send(&bos, fromClient: false, s.flap(1, [0, 0, 0, 1]), acknowledged: false)
        net.send(&bos, fromClient: true, c.flap(1, [0, 0, 0, 1] + OSCARBytes.tlv(0x0006, cookie)), acknowledged: false)
        var families: [UInt8] = []
        for f: UInt16 in [0x01, 0x02, 0x03, 0x04, 0x09, 0x13, 0x15] { families.appendBE16(f) }
        net.advance(seconds: rtt)
        net.send(&bos, fromClient: false, s.flap(2, OSCARBytes.snac(0x01, 0x03, id: 0x8000_0001, families)))

        net.send(&bos, fromClient: true, c.flap(2, OSCARBytes.snac(0x01, 0x06, id: nextID(), [])), acknowledged: false)
        let rateFLAP = s.flap(2, OSCARBytes.snac(0x01, 0x07, id: id, rateInfo()))
        net.advance(seconds: rtt)
        net.send(&bos, fromClient: false, rateFLAP, splitAt: [40])

        // Several FLAPs in one segment: rate ack and the SSI request.
        var groups: [UInt8] = []
        groups.appendBE16(1)
        let ackAndRequest = c.flap(2, OSCARBytes.snac(0x01, 0x08, id: nextID(), groups))
            + c.flap(2, OSCARBytes.snac(0x13, 0x05, id: nextID(), [0, 0, 0, 0, 0, 0]))
        net.send(&bos, fromClient: true, ackAndRequest, acknowledged: false)
        net.advance(seconds: rtt)
        net.send(&bos, fromClient: false, s.flap(2, OSCARBytes.snac(0x13, 0x06, id: id, ssiList(contact: peer.uin))))

        // Activate the list, status with DC info, client ready: one segment.
        let times: UInt32 = 0x6743_2B10
        var status = OSCARBytes.tlv32(0x0006, 0x0003_0000)
        status += OSCARBytes.tlv16(0x0008, 0)
        status += OSCARBytes.dcInfo(lanIP: clientIP, port: dcPort, version: 8, cookie: 0x5E1C_73A2, times: times)
        var ready: [UInt8] = []
        for (family, version) in [(0x01, 3), (0x02, 1), (0x03, 1), (0x04, 1), (0x13, 4), (0x15, 1)] as [(UInt16, UInt16)] {
            ready.appendBE16(family)
            ready.appendBE16(version)
            ready.appendBE32(0x0110_047B)
        }
        let burst = c.flap(2, OSCARBytes.snac(0x13, 0x07, id: nextID(), []))
            + c.flap(2, OSCARBytes.snac(0x01, 0x1E, id: nextID(), status))
            + c.flap(2, OSCARBytes.snac(0x01, 0x02, id: nextID(), ready))
        net.advance(seconds: 0.2)
        net.send(&bos, fromClient: true, burst)

        // Peer A comes online, advertising its LAN address and DC port.
        let peerTLVs = [
            OSCARBytes.tlv16(0x0001, 0x0050),
            OSCARBytes.tlv32(0x0006, 0x0000_0000),
            OSCARBytes.tlv32(0x000A, peer.externalIP),
            OSCARBytes.dcInfo(lanIP: peer.lanIP, port: peer.tcpPort, version: 8, cookie: 0x4C4F_4897, times: times &+ 77),
            OSCARBytes.tlv32(0x0003, 0x6743_2A00),
        ]
        net.advance(seconds: 0.8)
        net.send(&bos, fromClient: false,
                 s.flap(2, OSCARBytes.snac(0x03, 0x0B, id: 0x8000_0002, OSCARBytes.userInfo(uin: peer.uin, tlvs: peerTLVs))))

        // A message each way on ICBM channel 1.
        net.advance(seconds: 6.4)
        let peerName = Array(String(peer.uin).utf8)
        var out: [UInt8] = [0x51, 0x2C, 0x09, 0x77, 0x13, 0x00, 0x6E, 0x42, 0x00, 0x01, UInt8(peerName.count)] + peerName
        out += OSCARBytes.channel1Text(messageOut) + OSCARBytes.tlv(0x0006, [])
        net.send(&bos, fromClient: true, c.flap(2, OSCARBytes.snac(0x04, 0x06, id: nextID(), out)))
        net.advance(seconds: 9.1)
        var incoming: [UInt8] = [0x2F, 0x91, 0x04, 0x5A, 0x66, 0x00, 0x13, 0x08, 0x00, 0x01]
        incoming += OSCARBytes.userInfo(uin: peer.uin, tlvs: [OSCARBytes.tlv16(0x0001, 0x0050), OSCARBytes.tlv32(0x0006, 0)])
        incoming += OSCARBytes.channel1Text(messageIn)
        net.send(&bos, fromClient: false, s.flap(2, OSCARBytes.snac(0x04, 0x07, id: 0x8000_0003, incoming)))

        // A keep-alive a minute later, then sign-off.
        net.advance(seconds: 60)
        net.send(&bos, fromClient: true, c.flap(5, []))
        net.advance(seconds: 12.5)
        net.send(&bos, fromClient: true, c.flap(4, []), acknowledged: false)
        net.close(&bos)
        return net.render()
    }

    /// SNAC(01,07): one rate class in the current 35-byte form and its group of pairs.
    static func rateInfo() -> [UInt8] {
        var v: [UInt8] = []
        v.appendBE16(1)
        v.appendBE16(1)  // class id
        for level: UInt32 in [80, 2500, 2000, 1500, 800, 5800, 6000] { v.appendBE32(level) }  // window … max
        v.appendBE32(0)  // last time
        v.append(0)  // state
        v.appendBE16(1)
        let pairs: [(UInt16, UInt16)] = [(0x01, 0x06), (0x01, 0x08), (0x01, 0x1E), (0x03, 0x0B), (0x04, 0x06), (0x04, 0x07), (0x13, 0x05)]
        v.appendBE16(UInt16(pairs.count))
        for (family, subtype) in pairs {
            v.appendBE16(family)
            v.appendBE16(subtype)
        }
        return v
    }

    /// SNAC(13,06): version 0, a group "General" and the contact in it, last change time.
    static func ssiList(contact: UInt32) -> [UInt8] {
        func item(_ name: String, group: UInt16, item: UInt16, type: UInt16, tlvs: [UInt8]) -> [UInt8] {
            var v: [UInt8] = []
            v.appendBE16(UInt16(name.utf8.count))
            v += Array(name.utf8)
            v.appendBE16(group)
            v.appendBE16(item)
            v.appendBE16(type)
            v.appendBE16(UInt16(tlvs.count))
            return v + tlvs
        }
        var v: [UInt8] = [0]
        v.appendBE16(2)
        var members: [UInt8] = []
        members.appendBE16(0x2F41)
        v += item("General", group: 0x0001, item: 0, type: 1, tlvs: OSCARBytes.tlv(0x00C8, members))
        v += item(String(contact), group: 0x0001, item: 0x2F41, type: 0, tlvs: OSCARBytes.tlv(0x0131, Array("Anna".utf8)))
        v.appendBE32(0x6742_F0C0)
        return v
    }
}
