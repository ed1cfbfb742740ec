/// One user of the gateway mix: a Windows host on the inside (TTL 128, IP identification counting
/// up per packet), its ICQ identity and the state of its long-lived conversations.
struct MixUser {
    let address: UInt32
    let mac: UInt64
    let uin: UInt32
    /// Round trip from the capture point to the Internet servers and back.
    let rtt: Int64
    /// The TCP port the user's client listens on for direct connections (ICQ login, OSCAR DC info).
    let dcPort: UInt16
    var ipID: UInt16
    var nextEphemeralPort: UInt16
    /// The contact most recently announced online to this user: where its next peer call goes.
    var contact = 0
    var icq: MixICQState
    var oscar: MixOSCARState

    init(index: Int, random: inout SeededRandom) {
        // 10.1.0.1, 10.1.0.2, ... : 254 hosts per /24, so no address ends in .0 or .255.
        let subnet = UInt32(index / 254)
        address = 0x0A01_0000 &+ (subnet << 8) &+ UInt32(index % 254 + 1)
        mac = 0x0200_0A00_0000 | UInt64(index)
        uin = 200_000 + UInt32(index)
        rtt = (20 + Int64(random.next() % 60)) * ICQSessionScript.millisecond
        dcPort = 1024 + UInt16(random.next() % 30_000)
        ipID = UInt16(truncatingIfNeeded: random.next())
        nextEphemeralPort = 32_768 + UInt16(random.next() % 28_000)
        icq = MixICQState(random: &random)
        oscar = MixOSCARState(random: &random)
    }
}

/// A TCP connection between a user and a server or peer as the capture point on the user's LAN
/// sees it: the next sequence number and FLAP sequence each side sends, advanced as its frames
/// are built (in time order). A class: the frames queued for it share it.
final class MixConnection {
    let user: Int
    let clientPort: UInt16
    let server: UInt32
    let serverPort: UInt16
    let serverTTL: UInt8
    let clientISN: UInt32
    var clientNext: UInt32
    var serverNext: UInt32
    var clientFLAP: FLAPCounter
    var serverFLAP: FLAPCounter
    /// The time of the latest frame queued for it.
    var lastQueued: Int64 = .min
    /// Whether its first SYN was captured (rather than sent before the capture started).
    var synCaptured = false

    init(user: Int, clientPort: UInt16, server: UInt32, serverPort: UInt16, serverTTL: UInt8, random: inout SeededRandom) {
        self.user = user
        self.clientPort = clientPort
        self.server = server
        self.serverPort = serverPort
        self.serverTTL = serverTTL
        clientISN = UInt32(truncatingIfNeeded: random.next())
        clientNext = clientISN
        serverNext = UInt32(truncatingIfNeeded: random.next())
        clientFLAP = FLAPCounter(next: UInt16(truncatingIfNeeded: random.next()) & 0x7FFF)
        serverFLAP = FLAPCounter(next: UInt16(truncatingIfNeeded: random.next()) & 0x7FFF)
    }
}

extension GatewayMix {
    static let gatewayMAC: UInt64 = 0x0200_5E00_0001
    static let synOptions: [UInt8] = [2, 4, 0x05, 0xB4, 1, 1, 4, 2]  // MSS 1460, NOP, NOP, SACK permitted
    static let synAckOptions: [UInt8] = [2, 4, 0x05, 0xB4]

    /// The user's next IP identification.
    func identification(_ user: Int) -> UInt16 {
        defer { users[user].ipID &+= 1 }
        return users[user].ipID
    }

    /// The user's next ephemeral TCP port (counting up, as Windows does, and wrapping).
    func ephemeralPort(_ user: Int) -> UInt16 {
        let port = users[user].nextEphemeralPort
        users[user].nextEphemeralPort = port >= 60_999 ? 32_768 : port + 1
        return port
    }

    func ethernet(_ ipPacket: [UInt8], user: Int, fromUser: Bool) -> [UInt8] {
        let mac = users[user].mac
        return FrameBuilder.ethernet(source: fromUser ? mac : Self.gatewayMAC, destination: fromUser ? Self.gatewayMAC : mac,
                                     etherType: 0x0800, payload: ipPacket)
    }

    /// A UDP datagram between the user's `port` and `server:serverPort`.
    func udpFrame(user: Int, port: UInt16, server: UInt32, serverPort: UInt16, fromUser: Bool, serverTTL: UInt8,
                  payload: [UInt8]) -> [UInt8] {
        let address = users[user].address
        let packet = fromUser
            ? SimPacket.udp(from: address, port, to: server, serverPort, payload: payload, ttl: 128, id: identification(user))
            : SimPacket.udp(from: server, serverPort, to: address, port, payload: payload, ttl: serverTTL, id: randomU16())
        return ethernet(packet, user: user, fromUser: fromUser)
    }

    /// A connection from the user's next ephemeral port (nothing is sent yet).
    func connection(_ user: Int, to server: UInt32, _ port: UInt16, serverTTL: UInt8) -> MixConnection {
        MixConnection(user: user, clientPort: ephemeralPort(user), server: server, serverPort: port, serverTTL: serverTTL,
                      random: &random)
    }

    /// Queues a segment of `c` at `time`. When it is built, its sequence number is the side's
    /// next (then advanced by its payload, SYN and FIN) unless `sequence` says otherwise (a SYN
    /// retransmission repeats the ISN, a RST answering a SYN carries 0), and it acknowledges all
    /// the other side has sent so far. `payload` is made then too (FLAP sequence numbers).
    func send(_ c: MixConnection, at time: Int64, fromClient: Bool, _ flags: FrameBuilder.TCPFlags,
              options: [UInt8] = [], sequence: MixSequence = .next, _ category: Category, carries: Carried = .none,
              opensWebConnection: Bool = false, payload: @escaping () -> [UInt8] = { [] }) {
        c.lastQueued = max(c.lastQueued, time)
        emit(time, category, carries: carries, opensWebConnection: opensWebConnection) { [unowned self] in
            let bytes = payload()
            defer {
                if sequence == .next {
                    let length = UInt32(bytes.count) + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
                    if fromClient { c.clientNext &+= length } else { c.serverNext &+= length }
                }
            }
            guard capturing else { return [] }
            if flags == [.syn] && sequence == .next { c.synCaptured = true }
            builtFromStart = c.synCaptured
            let next = fromClient ? c.clientNext : c.serverNext
            let seq: UInt32
            switch sequence {
            case .next: seq = next
            case .isn: seq = c.clientISN
            case .zero: seq = 0
            }
            let ack = flags.contains(.ack) ? (fromClient ? c.serverNext : c.clientNext) : 0
            let address = users[c.user].address
            let packet = fromClient
                ? SimPacket.tcp(from: address, c.clientPort, to: c.server, c.serverPort, sequence: seq,
                                acknowledgement: ack, flags: flags, options: options, payload: bytes, ttl: 128,
                                id: identification(c.user))
                : SimPacket.tcp(from: c.server, c.serverPort, to: address, c.clientPort, sequence: seq,
                                acknowledgement: ack, flags: flags, window: 65_535, options: options, payload: bytes,
                                ttl: c.serverTTL, id: randomU16())
            return ethernet(packet, user: c.user, fromUser: fromClient)
        }
    }

    /// Queues FLAPs (channel, data) in one segment, numbered by the sending side when built.
    func sendFLAPs(_ c: MixConnection, at time: Int64, fromClient: Bool, _ flaps: [(UInt8, [UInt8])]) {
        send(c, at: time, fromClient: fromClient, [.psh, .ack], .oscar, carries: .oscar) {
            var bytes: [UInt8] = []
            for (channel, data) in flaps {
                bytes += fromClient ? c.clientFLAP.flap(channel, data) : c.serverFLAP.flap(channel, data)
            }
            return bytes
        }
    }

    /// SYN and SYN-ACK from `time`; returns when the client's ACK is due.
    func handshake(_ c: MixConnection, at time: Int64, rtt: Int64, _ category: Category) -> Int64 {
        send(c, at: time, fromClient: true, [.syn], options: Self.synOptions, category,
             opensWebConnection: category == .web)
        send(c, at: time + rtt, fromClient: false, [.syn, .ack], options: Self.synAckOptions, category)
        return time + rtt + 150_000
    }

    /// A contact of `user` on the Internet (k in 0..<4): its UIN, address and the DC port its
    /// client advertises. Derived, not stored: 100,000 users have 400,000 contacts.
    func contact(of user: Int, _ k: Int) -> ICQContact {
        var mixer = SeededRandom(seed: hashSeed ^ (UInt64(user) << 2 | UInt64(k)) &* 0x9E37_79B9_7F4A_7C15)
        let h = mixer.next()
        // 198.18.0.0/15, the benchmarking range, without its first and last address.
        let externalIP = 0xC612_0000 &+ UInt32(h % 131_070) &+ 1
        let port = 1024 + UInt16((h >> 20) % 40_000)
        let lanIP = 0xC0A8_0000 | UInt32((h >> 40) & 0xFF) << 8 | UInt32((h >> 48) % 254 + 1)
        return ICQContact(uin: 50_000_000 + UInt32(user) * 4 + UInt32(k), externalIP: externalIP, tcpPort: port,
                          lanIP: lanIP)
    }
}

/// Where a segment's sequence number comes from.
enum MixSequence {
    /// The sending side's next (and the segment advances it).
    case next
    /// The client's initial sequence number again: a SYN retransmission.
    case isn
    /// 0: a RST answering a SYN.
    case zero
}
