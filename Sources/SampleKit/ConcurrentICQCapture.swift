import Wire

/// The memory measurement's capture for ICQ sessions (issue 10): `sessions` classic ICQ v5
/// sessions that are all open at once, each seen both ways: the client's CMD_LOGIN and the
/// server's ack, the server's login reply and the client's ack, then `keepalives` rounds of a
/// CMD_KEEP_ALIVE and its ack. Clients come from 10.0.0.0/8 (one address per 50,000 ports), the
/// server is 198.51.100.4:4000 — only numbers written into a file. Deterministic.
///
/// With `icq: false` the same frames carry zeros instead of ICQ: the same UDP flows and packets
/// with no session, the baseline that leaves a session's own cost when subtracted.
public enum ConcurrentICQCapture {
    public static func pcap(sessions: Int, keepalives: Int, icq: Bool = true) -> [UInt8] {
        var file = PcapBuilder(nanosecond: true)
        let server: UInt32 = 0xC633_6404
        var time: Int64 = 1_732_456_800_000_000_000
        func client(_ i: Int) -> (address: UInt32, port: UInt16) {
            (0x0A00_0001 + UInt32(i / 50_000), UInt16(10_000 + i % 50_000))
        }
        func add(_ i: Int, fromClient: Bool, _ packet: [UInt8]) {
            let (address, port) = client(i)
            let payload = icq ? packet : [UInt8](repeating: 0, count: packet.count)
            let frame = fromClient
                ? FrameBuilder.udpFrame(from: address, port, to: server, 4000, payload: payload)
                : FrameBuilder.udpFrame(from: server, 4000, to: address, port, payload: payload)
            file.add(nanoseconds: time, frame: frame)
            time += 2_000
        }
        func uin(_ i: Int) -> UInt32 { 100_000 + UInt32(i) }
        func sessionID(_ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: i &* 2_654_435_761) | 1 }
        func clientPacket(_ i: Int, _ command: UInt16, seq1: UInt16, seq2: UInt16, _ parameters: [UInt8]) -> [UInt8] {
            ICQEncoder.v5Client(uin: uin(i), session: sessionID(i), command: command, seq1: seq1, seq2: seq2,
                                parameters: parameters,
                                r1: ICQEncoder.clientR1(random: UInt32(truncatingIfNeeded: i), length: 24 + parameters.count),
                                r2: UInt8(truncatingIfNeeded: i))
        }
        func serverPacket(_ i: Int, _ command: UInt16, seq1: UInt16, seq2: UInt16, _ parameters: [UInt8]) -> [UInt8] {
            ICQEncoder.v5Server(session: sessionID(i), command: command, seq1: seq1, seq2: seq2, uin: uin(i),
                                parameters: parameters, r1: 0, r2: 0)
        }
        for i in 0..<sessions {
            let login = ICQParameters.login(time: 1_732_456_800, tcpPort: 0, password: "pw", lanIP: client(i).address)
            add(i, fromClient: true, clientPacket(i, ICQCommand.Client.login, seq1: 1, seq2: 1, login))
            add(i, fromClient: false, serverPacket(i, ICQCommand.Server.ack, seq1: 1, seq2: 1, []))
        }
        for i in 0..<sessions {
            add(i, fromClient: false, serverPacket(i, ICQCommand.Server.loginReply, seq1: 0, seq2: 1,
                                                   ICQParameters.loginReply(externalIP: client(i).address, keepAlive: 70)))
            add(i, fromClient: true, clientPacket(i, ICQCommand.ack, seq1: 0, seq2: 1, ICQParameters.random(0)))
        }
        for round in 0..<keepalives {
            let seq1 = UInt16(2 + round)
            for i in 0..<sessions {
                add(i, fromClient: true, clientPacket(i, ICQCommand.Client.keepAlive, seq1: seq1, seq2: 0, ICQParameters.random(0)))
                add(i, fromClient: false, serverPacket(i, ICQCommand.Server.ack, seq1: seq1, seq2: 0, []))
            }
        }
        return file.bytes
    }
}
