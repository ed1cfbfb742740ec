/// TCP connections for the stream samples (OSCAR, peer-to-peer), seen from one capture point on
/// the client's LAN: a real three-way handshake, sequence and acknowledgement numbers that stay
/// consistent as data flows, segments cut at the MSS (or where a script asks, to split a PDU as
/// real captures do), and a FIN exchange. Frames go into a `Timeline` on one interface.
struct SampleTCPNetwork {
    var timeline = Timeline(interfaceNames: ["eth0"])
    var random: SeededRandom
    /// The capture clock: every frame is stamped with it, and it moves as the script goes.
    var now: Int64
    var hosts: [UInt32: SimHost] = [:]
    /// Largest segment payload (Ethernet MTU 1500 − 40).
    static let mss = 1460

    init(seed: UInt64, start: Int64) {
        random = SeededRandom(seed: seed)
        now = start
    }

    /// An IPv4 host with its TTL and a seeded IP identification counter.
    mutating func addHost(_ address: UInt32, ttl: UInt8) {
        hosts[address] = SimHost(address: address, ttl: ttl, nextID: UInt16(truncatingIfNeeded: random.next()))
    }

    mutating func advance(seconds: Double) { now += ICQSessionScript.seconds(seconds) }

    /// One segment stamped `now`.
    mutating func emit(_ c: SampleTCPConnection, fromClient: Bool, sequence: UInt32, acknowledgement: UInt32,
                       flags: FrameBuilder.TCPFlags, options: [UInt8] = [], payload: [UInt8] = []) {
        let (src, sport, dst, dport) = fromClient
            ? (c.clientIP, c.clientPort, c.serverIP, c.serverPort) : (c.serverIP, c.serverPort, c.clientIP, c.clientPort)
        guard var host = hosts[src] else { preconditionFailure("unknown host") }
        let id = host.identification()
        hosts[src] = host
        let packet = SimPacket.tcp(from: src, sport, to: dst, dport, sequence: sequence, acknowledgement: acknowledgement,
                                   flags: flags, options: options, payload: payload, ttl: host.ttl, id: id)
        timeline.add(time: now, interface: 0, frame: SimPacket.frame(packet))
    }

    /// SYN, SYN-ACK, ACK; `rtt` is the round trip from the capture point to the server.
    mutating func connect(from clientIP: UInt32, _ clientPort: UInt16, to serverIP: UInt32, _ serverPort: UInt16,
                          rtt: Double) -> SampleTCPConnection {
        var c = SampleTCPConnection(clientIP: clientIP, clientPort: clientPort, serverIP: serverIP, serverPort: serverPort,
                                    clientNext: UInt32(truncatingIfNeeded: random.next()),
                                    serverNext: UInt32(truncatingIfNeeded: random.next()), rtt: rtt)
        emit(c, fromClient: true, sequence: c.clientNext, acknowledgement: 0, flags: [.syn],
             options: ICQSessionScript.synOptions)
        c.clientNext &+= 1
        advance(seconds: rtt)
        emit(c, fromClient: false, sequence: c.serverNext, acknowledgement: c.clientNext, flags: [.syn, .ack],
             options: [2, 4, 0x05, 0xB4, 1, 1, 4, 2])
        c.serverNext &+= 1
        advance(seconds: 0.0002)
        emit(c, fromClient: true, sequence: c.clientNext, acknowledgement: c.serverNext, flags: [.ack])
        advance(seconds: 0.001)
        return c
    }

    /// Sends `payload` from one side: one segment per MSS, and also cut at each offset of
    /// `splitAt` (a PDU split over segments). The other side acknowledges the last segment
    /// (delayed ACK) unless `acknowledged` is false (its next data segment carries the ACK).
    mutating func send(_ c: inout SampleTCPConnection, fromClient: Bool, _ payload: [UInt8], splitAt: [Int] = [],
                       acknowledged: Bool = true) {
        var cuts = Set(splitAt.filter { $0 > 0 && $0 < payload.count })
        var offset = 0
        while offset < payload.count {
            let next = cuts.filter { $0 > offset }.min() ?? payload.count
            let end = min(next, offset + Self.mss)
            cuts.remove(end)
            let chunk = Array(payload[offset..<end])
            if fromClient {
                emit(c, fromClient: true, sequence: c.clientNext, acknowledgement: c.serverNext, flags: [.psh, .ack],
                     payload: chunk)
                c.clientNext &+= UInt32(chunk.count)
            } else {
                emit(c, fromClient: false, sequence: c.serverNext, acknowledgement: c.clientNext, flags: [.psh, .ack],
                     payload: chunk)
                c.serverNext &+= UInt32(chunk.count)
            }
            offset = end
            advance(seconds: 0.0003)
        }
        guard acknowledged else { return }
        // The capture point is at the client: the server's ACK comes back a round trip later.
        advance(seconds: fromClient ? c.rtt : 0.0005)
        emit(c, fromClient: !fromClient, sequence: fromClient ? c.serverNext : c.clientNext,
             acknowledgement: fromClient ? c.clientNext : c.serverNext, flags: [.ack])
        advance(seconds: 0.001)
    }

    /// FIN from one side, FIN-ACK from the other, the last ACK.
    mutating func close(_ c: inout SampleTCPConnection, clientFirst: Bool = true) {
        func fin(_ fromClient: Bool) {
            let (seq, ack) = fromClient ? (c.clientNext, c.serverNext) : (c.serverNext, c.clientNext)
            emit(c, fromClient: fromClient, sequence: seq, acknowledgement: ack, flags: [.fin, .ack])
            if fromClient { c.clientNext &+= 1 } else { c.serverNext &+= 1 }
        }
        fin(clientFirst)
        advance(seconds: clientFirst ? c.rtt : 0.0004)
        fin(!clientFirst)
        advance(seconds: clientFirst ? 0.0003 : c.rtt)
        emit(c, fromClient: clientFirst, sequence: clientFirst ? c.clientNext : c.serverNext,
             acknowledgement: clientFirst ? c.serverNext : c.clientNext, flags: [.ack])
        advance(seconds: 0.001)
    }

    /// The pcapng bytes, frames in time order.
    func render() -> [UInt8] { timeline.render().bytes }
}

/// One TCP connection's endpoints and the next sequence number each side sends.
struct SampleTCPConnection {
    let clientIP: UInt32
    let clientPort: UInt16
    let serverIP: UInt32
    let serverPort: UInt16
    var clientNext: UInt32
    var serverNext: UInt32
    /// Round trip from the capture point to the server, in seconds.
    let rtt: Double
}
