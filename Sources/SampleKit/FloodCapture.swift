import Wire

/// Hostile traffic for the bounded-memory benchmarks (scripts/bench-floods.sh): each flood makes
/// one of the tables grow as fast as a capture can, so that a peak RSS within `--memcap` shows
/// the table bounded and the summary's evictions show it counted. Deterministic for a seed.
///
/// Every flood carries one real ICQ v5 session (the witness, `FloodWitness`) from its first
/// packet to its last, active every `witnessEvery` flood packets: a conversation the memory
/// budget must not evict, whose session record must count every one of its packets.
public enum Flood: String, CaseIterable, Sendable {
    /// SYNs from random addresses and ports to random ports of one server, never answered.
    case syn
    /// SYNs from random addresses and ports to the witness's advertised direct-connection port
    /// (a scan of an ICQ user), each refused with a reset: every one a failed peer connection.
    case peerSyn = "peer-syn"
    /// Classic ICQ v5 logins (login, ack, login reply, ack) of random UINs from random
    /// addresses and ports, never heard from again.
    case icqSessions = "icq-sessions"
    /// IPv4 fragments of UDP datagrams whose other fragments never come: first fragments and
    /// fragments from anywhere in a 64 KiB datagram, alternately.
    case fragments
    /// Connections whose first data segment never comes: after the handshakes, each sends
    /// segments beyond the hole, some near, some a megabyte ahead, in descending order.
    case tcpOutOfOrder = "tcp-out-of-order"
    /// OSCAR connections (port 5190, the server's FLAP hello) whose client announces a FLAP of
    /// 65,535 bytes and sends 200 of them.
    case oscarStalled = "oscar-stalled"

    /// What `count` counts, and its default (the sizes issue 16 names).
    public var unit: String {
        switch self {
        case .syn, .peerSyn: "SYNs"
        case .icqSessions: "sessions"
        case .fragments: "fragments"
        case .tcpOutOfOrder, .oscarStalled: "connections"
        }
    }

    public var defaultCount: Int {
        switch self {
        case .syn: 2_000_000
        case .peerSyn: 1_000_000
        case .icqSessions: 1_000_000
        case .fragments: 1_000_000
        case .tcpOutOfOrder: 100_000
        case .oscarStalled: 100_000
        }
    }
}

public enum FloodFile {
    public struct Written: Sendable {
        public var packets: Int
        public var witnessClientPackets: Int
        public var witnessServerPackets: Int
    }

    /// Flood packets are this far apart (100,000 a second).
    static let spacing: Int64 = 10_000
    /// The witness exchanges a keep-alive once in this many flood packets (every 10 ms).
    static let witnessEvery = 1_000
    /// Data segments each connection of `tcpOutOfOrder` sends after its hole.
    static let outOfOrderSegments = 8

    public static func write(_ flood: Flood, count: Int, seed: UInt64 = 1, to path: String) throws -> Written {
        let file = try PcapFileStream(path: path)
        var writer = FloodWriter(file: file, seed: seed)
        try writer.witnessLogin()
        switch flood {
        case .syn: try writer.syn(count)
        case .peerSyn: try writer.peerSyn(count)
        case .icqSessions: try writer.icqSessions(count)
        case .fragments: try writer.fragments(count)
        case .tcpOutOfOrder: try writer.tcpOutOfOrder(count)
        case .oscarStalled: try writer.oscarStalled(count)
        }
        try writer.witnessLogOff()
        try file.finish()
        return Written(packets: file.packets, witnessClientPackets: writer.witness.clientPackets,
                       witnessServerPackets: writer.witness.serverPackets)
    }
}

/// Writes a flood's packets one `spacing` apart and the witness's exchanges between them.
struct FloodWriter {
    let file: PcapFileStream
    let seed: UInt64
    var random: SeededRandom
    var time: Int64 = 1_732_456_800 * ICQSessionScript.second
    var floodPackets = 0
    var witness: FloodWitness

    static let server: UInt32 = 0xC633_6450  // 198.51.100.80

    init(file: PcapFileStream, seed: UInt64) {
        self.file = file
        self.seed = seed
        random = SeededRandom(seed: seed)
        witness = FloodWitness(seed: seed)
    }

    /// One flood packet; the witness's keep-alive comes after every `witnessEvery`-th.
    mutating func emit(_ frame: [UInt8]) throws {
        try file.add(time, frame)
        time += FloodFile.spacing
        floodPackets += 1
        if floodPackets % FloodFile.witnessEvery == 0 {
            for (offset, frame) in witness.keepAlive(time: time) { try file.add(time + offset, frame) }
            time += FloodFile.spacing
        }
    }

    mutating func witnessLogin() throws {
        for (offset, frame) in witness.login(time: time) { try file.add(time + offset, frame) }
        time += FloodFile.spacing
    }

    mutating func witnessLogOff() throws {
        for (offset, frame) in witness.logOff(time: time) { try file.add(time + offset, frame) }
    }

    /// A public-looking IPv4 address: 11.0.0.0 to 126.255.255.255.
    mutating func randomAddress() -> UInt32 {
        0x0B00_0000 + UInt32(random.next() % (0x7F00_0000 - 0x0B00_0000))
    }

    mutating func randomPort(from low: UInt16 = 1024) -> UInt16 {
        low + UInt16(random.next() % UInt64(65_536 - Int(low)))
    }

    /// A connection's attributes, from its number alone (no table of a million connections).
    func hash(_ i: Int, _ salt: UInt64) -> UInt64 {
        var r = SeededRandom(seed: seed &* 0x9E37_79B9 ^ UInt64(i) &* 0xBF58_476D_1CE4_E5B9 ^ salt)
        return r.next()
    }

    mutating func syn(_ count: Int) throws {
        for _ in 0..<count {
            try emit(FrameBuilder.tcpFrame(
                from: randomAddress(), randomPort(), to: Self.server, randomPort(from: 1),
                sequence: UInt32(truncatingIfNeeded: random.next()), acknowledgement: 0, flags: [.syn]))
        }
    }

    mutating func peerSyn(_ count: Int) throws {
        for _ in 0..<count {
            let source = randomAddress(), port = randomPort(), isn = UInt32(truncatingIfNeeded: random.next())
            try emit(FrameBuilder.tcpFrame(from: source, port, to: FloodWitness.client, FloodWitness.tcpPort,
                                           sequence: isn, acknowledgement: 0, flags: [.syn]))
            // The witness's own reset: the TTL its ICQ datagrams arrive with, so it reads as the
            // peer's (a different one would read as forged on the way).
            try emit(FrameBuilder.tcpFrame(from: FloodWitness.client, FloodWitness.tcpPort, to: source, port,
                                           sequence: 0, acknowledgement: isn &+ 1, flags: [.rst, .ack], ttl: 64))
        }
    }

    mutating func icqSessions(_ count: Int) throws {
        for _ in 0..<count {
            let client = 0x0A00_0000 | UInt32(random.next() & 0x00FF_FFFF)
            let port = randomPort()
            let server = 0xC633_6404 + UInt32(random.next() % 4)
            let uin = 10_000 + UInt32(random.next() % 2_000_000_000)
            let session = UInt32(truncatingIfNeeded: random.next())
            let seq1 = UInt16(truncatingIfNeeded: random.next()) & 0x7FFF
            let login = ICQParameters.login(time: UInt32(time / ICQSessionScript.second), tcpPort: UInt32(randomPort()),
                                            password: "pw\(uin)", lanIP: client,
                                            dcCookie: UInt32(truncatingIfNeeded: random.next()))
            let packets = FloodWitness.loginPackets(uin: uin, session: session, seq1: seq1, login: login, random: &random)
            try emit(FrameBuilder.udpFrame(from: client, port, to: server, 4000, payload: packets.login))
            try emit(FrameBuilder.udpFrame(from: server, 4000, to: client, port, payload: packets.ack))
            try emit(FrameBuilder.udpFrame(from: server, 4000, to: client, port, payload: packets.reply))
            try emit(FrameBuilder.udpFrame(from: client, port, to: server, 4000, payload: packets.replyAck))
        }
    }

    mutating func fragments(_ count: Int) throws {
        for i in 0..<count {
            let source = randomAddress()
            let id = UInt16(truncatingIfNeeded: random.next())
            let payload: [UInt8]
            let offset: Int
            if i % 2 == 0 {
                // The first fragment: a UDP header announcing 3,000 bytes, then 1,472 of them.
                var udp: [UInt8] = []
                udp.appendBE16(randomPort())
                udp.appendBE16(4000)
                udp.appendBE16(3_008)
                udp.appendBE16(0)
                payload = udp + [UInt8](repeating: 0x5A, count: 1_472)
                offset = 0
            } else {
                // Anywhere up to 64,000: reassembly would hold up to 64 KiB for it.
                payload = [UInt8](repeating: 0xA5, count: 512)
                offset = 8 * (1 + Int(random.next() % 8_000))
            }
            let packet = FrameBuilder.ipv4(source: source, destination: Self.server, protocolNumber: 17,
                                           identification: id, dontFragment: false, moreFragments: true,
                                           fragmentOffset: offset, payload: payload)
            try emit(FrameBuilder.ethernet(etherType: 0x0800, payload: packet))
        }
    }

    /// Client and server of connection `i`: 50,000 ports an address from 10.0.0.1, servers
    /// 198.51.100.16–23; even connections go to OSCAR's 5190, odd ones to a random high port.
    func connection(_ i: Int) -> (client: UInt32, port: UInt16, server: UInt32, serverPort: UInt16, isn: UInt32, serverISN: UInt32) {
        let h = hash(i, 1)
        return (0x0A00_0001 + UInt32(i / 50_000), UInt16(10_000 + i % 50_000), 0xC633_6410 + UInt32(i % 8),
                i % 2 == 0 ? 5190 : 1024 + UInt16(h % 60_000), UInt32(truncatingIfNeeded: h >> 16),
                UInt32(truncatingIfNeeded: h >> 32) ^ 0x5A5A_5A5A)
    }

    mutating func handshake(_ c: (client: UInt32, port: UInt16, server: UInt32, serverPort: UInt16, isn: UInt32, serverISN: UInt32)) throws {
        try emit(FrameBuilder.tcpFrame(from: c.client, c.port, to: c.server, c.serverPort,
                                       sequence: c.isn, acknowledgement: 0, flags: [.syn]))
        try emit(FrameBuilder.tcpFrame(from: c.server, c.serverPort, to: c.client, c.port,
                                       sequence: c.serverISN, acknowledgement: c.isn &+ 1, flags: [.syn, .ack]))
        try emit(FrameBuilder.tcpFrame(from: c.client, c.port, to: c.server, c.serverPort,
                                       sequence: c.isn &+ 1, acknowledgement: c.serverISN &+ 1, flags: [.ack]))
    }

    mutating func tcpOutOfOrder(_ connections: Int) throws {
        for i in 0..<connections { try handshake(connection(i)) }
        let segments = FloodFile.outOfOrderSegments
        let payload = [UInt8](repeating: 0x2A, count: 256)
        for r in 0..<segments {
            for i in 0..<connections {
                let c = connection(i)
                // Never byte 1: near segments come last first, far ones a megabyte beyond.
                let offset = r % 2 == 0 ? 1_460 * (segments - r) : (1 << 20) + 1_460 * r
                try emit(FrameBuilder.tcpFrame(from: c.client, c.port, to: c.server, c.serverPort,
                                               sequence: c.isn &+ 1 &+ UInt32(offset), acknowledgement: c.serverISN &+ 1,
                                               flags: [.ack, .psh], payload: payload))
            }
        }
    }

    mutating func oscarStalled(_ connections: Int) throws {
        for i in 0..<connections {
            var c = connection(i)
            c.serverPort = 5190
            try handshake(c)
            // The server's FLAP hello: channel 1, version 1.
            let hello: [UInt8] = [0x2A, 0x01, 0x12, 0x34, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01]
            try emit(FrameBuilder.tcpFrame(from: c.server, 5190, to: c.client, c.port, sequence: c.serverISN &+ 1,
                                           acknowledgement: c.isn &+ 1, flags: [.ack, .psh], payload: hello))
            // The client's FLAP on channel 2 announcing 65,535 bytes; 200 come.
            let announced: [UInt8] = [0x2A, 0x02, 0x43, 0x21, 0xFF, 0xFF] + [UInt8](repeating: 0x00, count: 200)
            try emit(FrameBuilder.tcpFrame(from: c.client, c.port, to: c.server, 5190, sequence: c.isn &+ 1,
                                           acknowledgement: c.serverISN &+ 1 &+ UInt32(hello.count),
                                           flags: [.ack, .psh], payload: announced))
        }
    }
}

/// The flood's one legitimate user: UIN 4242 at 192.168.1.2:1100 with the server
/// 198.51.100.4:4000. It logs in, exchanges keep-alives (each acked) while the flood lasts and
/// logs off at the end; `clientPackets` and `serverPackets` are what its session record must count.
struct FloodWitness {
    static let uin: UInt32 = 4242
    static let client: UInt32 = 0xC0A8_0102
    static let clientPort: UInt16 = 1100
    static let server: UInt32 = 0xC633_6404
    /// The direct-connection port its login advertises.
    static let tcpPort: UInt16 = 3456

    var random: SeededRandom
    let session: UInt32
    var seq1: UInt16 = 0x1A2B
    private(set) var clientPackets = 0
    private(set) var serverPackets = 0

    init(seed: UInt64) {
        random = SeededRandom(seed: seed ^ 0x4242)
        session = UInt32(truncatingIfNeeded: random.next())
    }

    /// A client's login and the server's answers, as the ICQ flood's users and the witness send them.
    static func loginPackets(uin: UInt32, session: UInt32, seq1: UInt16, login: [UInt8], random: inout SeededRandom)
        -> (login: [UInt8], ack: [UInt8], reply: [UInt8], replyAck: [UInt8]) {
        let loginPacket = clientPacket(uin: uin, session: session, command: ICQCommand.Client.login, seq1: seq1, seq2: 1,
                                       login, random: &random)
        let ack = serverPacket(uin: uin, session: session, command: ICQCommand.Server.ack, seq1: seq1, seq2: 1, [],
                               random: &random)
        let reply = serverPacket(uin: uin, session: session, command: ICQCommand.Server.loginReply, seq1: 0, seq2: 1,
                                 ICQParameters.loginReply(externalIP: 0xCB00_7105, keepAlive: 70), random: &random)
        let replyAck = clientPacket(uin: uin, session: session, command: ICQCommand.Client.ack, seq1: 0, seq2: 1,
                                    ICQParameters.random(UInt32(truncatingIfNeeded: random.next())), random: &random)
        return (loginPacket, ack, reply, replyAck)
    }

    static func clientPacket(uin: UInt32, session: UInt32, command: UInt16, seq1: UInt16, seq2: UInt16,
                             _ parameters: [UInt8], random: inout SeededRandom) -> [UInt8] {
        let r = UInt32(truncatingIfNeeded: random.next())
        return ICQEncoder.v5Client(uin: uin, session: session, command: command, seq1: seq1, seq2: seq2,
                                   parameters: parameters, r1: ICQEncoder.clientR1(random: r, length: 24 + parameters.count),
                                   r2: UInt8(truncatingIfNeeded: r >> 24))
    }

    static func serverPacket(uin: UInt32, session: UInt32, command: UInt16, seq1: UInt16, seq2: UInt16,
                             _ parameters: [UInt8], random: inout SeededRandom) -> [UInt8] {
        let r = UInt32(truncatingIfNeeded: random.next())
        return ICQEncoder.v5Server(session: session, command: command, seq1: seq1, seq2: seq2, uin: uin,
                                   parameters: parameters, r1: Int(r % UInt32(21 + parameters.count)),
                                   r2: UInt8(truncatingIfNeeded: r >> 24))
    }

    private mutating func fromClient(_ payload: [UInt8]) -> [UInt8] {
        clientPackets += 1
        return FrameBuilder.udpFrame(from: Self.client, Self.clientPort, to: Self.server, 4000, payload: payload)
    }

    private mutating func fromServer(_ payload: [UInt8]) -> [UInt8] {
        serverPackets += 1
        return FrameBuilder.udpFrame(from: Self.server, 4000, to: Self.client, Self.clientPort, payload: payload)
    }

    /// Frames with their offsets from `time` (all within a flood packet's spacing).
    mutating func login(time: Int64) -> [(Int64, [UInt8])] {
        let parameters = ICQParameters.login(time: UInt32(time / ICQSessionScript.second), tcpPort: UInt32(Self.tcpPort),
                                             password: "pass4242", lanIP: Self.client, dcCookie: 0x4242)
        let p = Self.loginPackets(uin: Self.uin, session: session, seq1: seq1, login: parameters, random: &random)
        seq1 &+= 1
        return [(0, fromClient(p.login)), (2_000, fromServer(p.ack)), (4_000, fromServer(p.reply)),
                (6_000, fromClient(p.replyAck))]
    }

    mutating func keepAlive(time: Int64) -> [(Int64, [UInt8])] {
        let request = Self.clientPacket(uin: Self.uin, session: session, command: ICQCommand.Client.keepAlive, seq1: seq1,
                                        seq2: 0, ICQParameters.random(UInt32(truncatingIfNeeded: random.next())),
                                        random: &random)
        let ack = Self.serverPacket(uin: Self.uin, session: session, command: ICQCommand.Server.ack, seq1: seq1, seq2: 0, [],
                                    random: &random)
        seq1 &+= 1
        return [(0, fromClient(request)), (4_000, fromServer(ack))]
    }

    mutating func logOff(time: Int64) -> [(Int64, [UInt8])] {
        let bye = Self.clientPacket(uin: Self.uin, session: session, command: ICQCommand.Client.sendTextCode, seq1: seq1,
                                    seq2: 0, ICQParameters.textCode(), random: &random)
        return [(0, fromClient(bye))]
    }
}
