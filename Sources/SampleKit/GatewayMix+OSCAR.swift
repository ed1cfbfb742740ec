/// A user's OSCAR connection to a BOS server on TCP 5190 (docs/protocol.md#oscar-login,
/// #oscar-dc-info): long-lived, picked up mid-way when the capture starts; after
/// `exchangesPerConnection` exchanges the user signs off (FLAP channel 4, FIN) and its next OSCAR
/// episode connects again from a new port.
struct MixOSCARState {
    static let exchangesPerConnection = 200

    var connection: MixConnection? = nil
    var snacID: UInt32
    var exchange: Int
    /// While it connects and signs on, the user has no other OSCAR exchange.
    var readyAt: Int64 = .min

    init(random: inout SeededRandom) {
        snacID = UInt32(truncatingIfNeeded: random.next()) & 0x7FFF_FFFF
        // 0: connect first; 1...exchangesPerConnection: already connected, this far into its life.
        exchange = Int(random.next() % UInt64(Self.exchangesPerConnection + 1))
    }
}

extension GatewayMix {
    static let oscarServerTTL: UInt8 = 49
    static let delayedACK: Int64 = 40 * ICQSessionScript.millisecond

    func bosServer(_ user: Int) -> UInt32 { 0xC633_640B &+ UInt32(user % 8) }  // 198.51.100.11–18

    func oscarEpisode(_ user: Int, at time: Int64) {
        if users[user].oscar.connection == nil && users[user].oscar.exchange > 0 {
            // Established before the mix began: only its sequence numbers are known.
            users[user].oscar.connection = connection(user, to: bosServer(user), 5190, serverTTL: Self.oscarServerTTL)
        }
        guard let c = users[user].oscar.connection else {
            oscarConnect(user, at: time)
            return
        }
        let rtt = users[user].rtt
        if users[user].oscar.exchange >= MixOSCARState.exchangesPerConnection {
            // Sign-off and FINs, after what is still under way on the connection.
            let t = max(time, c.lastQueued + ICQSessionScript.millisecond)
            sendFLAPs(c, at: t, fromClient: true, [(4, [])])
            send(c, at: t + 300_000, fromClient: true, [.fin, .ack], .oscar)
            send(c, at: t + 300_000 + rtt, fromClient: false, [.fin, .ack], .oscar)
            send(c, at: t + 500_000 + rtt, fromClient: true, [.ack], .oscar)
            users[user].oscar.connection = nil
            users[user].oscar.exchange = 0
            return
        }
        users[user].oscar.snacID &+= 1
        let id = users[user].oscar.snacID
        let peer = contact(of: user, randomBelow(4))
        switch users[user].oscar.exchange % 4 {
        case 0:
            // A message out on ICBM channel 1 (SNAC 04,06); the server's host ack (04,0C).
            var header: [UInt8] = []
            header.appendBE32(randomU32())
            header.appendBE32(randomU32())
            let name = Array(String(peer.uin).utf8)
            header += [0x00, 0x01, UInt8(name.count)] + name
            let out = header + OSCARBytes.channel1Text(messageText()) + OSCARBytes.tlv(0x0006, [])
            sendFLAPs(c, at: time, fromClient: true, [(2, OSCARBytes.snac(0x04, 0x06, id: id, out))])
            sendFLAPs(c, at: time + rtt, fromClient: false, [(2, OSCARBytes.snac(0x04, 0x0C, id: id, header))])
        case 1:
            // A message in (04,07), acknowledged by the client's delayed ACK.
            var incoming: [UInt8] = []
            incoming.appendBE32(randomU32())
            incoming.appendBE32(randomU32())
            incoming += [0x00, 0x01]
            incoming += OSCARBytes.userInfo(uin: peer.uin, tlvs: [OSCARBytes.tlv16(0x0001, 0x0050),
                                                                  OSCARBytes.tlv32(0x0006, 0)])
            incoming += OSCARBytes.channel1Text(messageText())
            sendFLAPs(c, at: time, fromClient: false, [(2, OSCARBytes.snac(0x04, 0x07, id: 0x8000_0000 | id, incoming))])
            send(c, at: time + Self.delayedACK, fromClient: true, [.ack], .oscar)
        case 2:
            // A keep-alive on channel 5 and the server's ACK.
            sendFLAPs(c, at: time, fromClient: true, [(5, [])])
            send(c, at: time + rtt, fromClient: false, [.ack], .oscar)
        default:
            // A buddy arrives (03,0B) with its DC info: another advertised peer endpoint.
            let tlvs = [
                OSCARBytes.tlv16(0x0001, 0x0050),
                OSCARBytes.tlv32(0x0006, 0),
                OSCARBytes.tlv32(0x000A, peer.externalIP),
                OSCARBytes.dcInfo(lanIP: peer.lanIP, port: peer.tcpPort, version: 8, cookie: randomU32(),
                                  times: 0x6743_2B10),
            ]
            sendFLAPs(c, at: time, fromClient: false,
                      [(2, OSCARBytes.snac(0x03, 0x0B, id: 0x8000_0000 | id, OSCARBytes.userInfo(uin: peer.uin, tlvs: tlvs)))])
            send(c, at: time + Self.delayedACK, fromClient: true, [.ack], .oscar)
        }
        users[user].oscar.exchange += 1
    }

    /// SYN, SYN-ACK, ACK; the server's FLAP hello; the client's hello with the BOS cookie; the
    /// families (01,03); rate request and info (01,06 / 01,07); rate ack with the SSI request
    /// (one segment) and the list (13,06); activation, status with DC info and client ready in
    /// one segment, and the server's ACK: 12 packets over five round trips.
    func oscarConnect(_ user: Int, at time: Int64) {
        let u = users[user]
        let c = connection(user, to: bosServer(user), 5190, serverTTL: Self.oscarServerTTL)
        var id = users[user].oscar.snacID
        let rtt = u.rtt
        var t = handshake(c, at: time, rtt: rtt, .oscar)
        send(c, at: t, fromClient: true, [.ack], .oscar)
        t += rtt / 2
        sendFLAPs(c, at: t, fromClient: false, [(1, [0, 0, 0, 1])])
        t += 2 * ICQSessionScript.millisecond
        sendFLAPs(c, at: t, fromClient: true, [(1, [0, 0, 0, 1] + OSCARBytes.tlv(0x0006, opaqueBytes(256)))])
        t += rtt
        var families: [UInt8] = []
        for f: UInt16 in [0x01, 0x02, 0x03, 0x04, 0x09, 0x13, 0x15] { families.appendBE16(f) }
        sendFLAPs(c, at: t, fromClient: false, [(2, OSCARBytes.snac(0x01, 0x03, id: 0x8000_0001, families))])
        t += ICQSessionScript.millisecond
        id &+= 1
        sendFLAPs(c, at: t, fromClient: true, [(2, OSCARBytes.snac(0x01, 0x06, id: id, []))])
        t += rtt
        sendFLAPs(c, at: t, fromClient: false, [(2, OSCARBytes.snac(0x01, 0x07, id: id, OSCARSample.rateInfo()))])
        t += ICQSessionScript.millisecond
        var groups: [UInt8] = []
        groups.appendBE16(1)
        sendFLAPs(c, at: t, fromClient: true, [(2, OSCARBytes.snac(0x01, 0x08, id: id &+ 1, groups)),
                                               (2, OSCARBytes.snac(0x13, 0x05, id: id &+ 2, [0, 0, 0, 0, 0, 0]))])
        id &+= 2
        t += rtt
        sendFLAPs(c, at: t, fromClient: false,
                  [(2, OSCARBytes.snac(0x13, 0x06, id: id, OSCARSample.ssiList(contact: contact(of: user, 0).uin)))])
        t += 200 * ICQSessionScript.millisecond
        var status = OSCARBytes.tlv32(0x0006, 0x0003_0000)
        status += OSCARBytes.tlv16(0x0008, 0)
        status += OSCARBytes.dcInfo(lanIP: u.address, port: u.dcPort, version: 8, cookie: randomU32(), times: 0x6743_2B10)
        var ready: [UInt8] = []
        for (family, version) in [(0x01, 3), (0x02, 1), (0x03, 1), (0x04, 1), (0x13, 4), (0x15, 1)] as [(UInt16, UInt16)] {
            ready.appendBE16(family)
            ready.appendBE16(version)
            ready.appendBE32(0x0110_047B)
        }
        sendFLAPs(c, at: t, fromClient: true, [(2, OSCARBytes.snac(0x13, 0x07, id: id &+ 1, [])),
                                               (2, OSCARBytes.snac(0x01, 0x1E, id: id &+ 2, status)),
                                               (2, OSCARBytes.snac(0x01, 0x02, id: id &+ 3, ready))])
        id &+= 3
        send(c, at: t + rtt, fromClient: false, [.ack], .oscar)
        users[user].oscar.connection = c
        users[user].oscar.snacID = id
        users[user].oscar.exchange = 0
        users[user].oscar.readyAt = t + rtt
    }
}
