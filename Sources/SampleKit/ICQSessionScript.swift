import Bytes
import Wire

/// A deterministic, seeded classic ICQ v5 conversation between one client and an iserverd-like
/// server on UDP 4000, rendered into frames with real timing (docs/flow-semantics.md#icq-timing,
/// docs/protocol.md#reliability).
///
/// The client encrypts every packet as a real client does (a fresh random checkcode on every send,
/// retransmissions included, so copies differ in bytes); SEQ1 counts every packet but CMD_ACK,
/// SEQ2 starts at 1 at login and stays 0 on CMD_ACK, CMD_KEEP_ALIVE and CMD_SEND_TEXT_CODE. The
/// server sends plain packets; its SEQ1 is its own counter from 0 (the login reply), its SEQ2 is 0
/// on pushes and the request's SEQ2 on direct replies. Server acks echo session, SEQ1 and SEQ2 and
/// go to the request's source address; pushes go to the address recorded at login (iserverd).
///
/// The client may sit behind a gateway that translates its address (NAT). The capture sees the
/// inside, the outside, or both (one pcapng interface per side, like `GatewaySample`). Time flows
/// on one clock: a client packet is seen inside at its send time and outside 120 µs later; the
/// server is 18 ms beyond the gateway.
///
/// Scripts call the methods in the client's time order; each call emits its frames (and the
/// retransmissions, acks and ICMP errors its fate implies) and `capture()` sorts and numbers them.
public struct ICQSessionScript {
    public enum Vantage: Sendable {
        /// One interface on the client's side of the gateway.
        case inside
        /// One interface on the public side of the gateway.
        case outside
        /// Two interfaces, inside0 and outside0: each forwarded packet is seen twice.
        case gateway
    }

    public struct Setup: Sendable {
        public var uin: UInt32 = 1001
        public var password = "pass1001"
        public var sessionID: UInt32 = 0x2A5F_1C03
        public var firstSeq1: UInt16 = 0x1A2B
        /// The client host (192.168.1.2) and its UDP port.
        public var clientIP: UInt32 = 0xC0A8_0102
        public var clientPort: UInt16 = 1100
        /// The gateway's inside address, source of its own ICMP errors and forged resets inside.
        public var gatewayInsideIP: UInt32 = 0xC0A8_0101
        /// The gateway's public address when it translates (203.0.113.5); nil: a firewall that
        /// routes without NAT, so the client's address is the same on both sides.
        public var natIP: UInt32? = 0xCB00_7105
        public var natPort: UInt16 = 61001
        /// The ISP's router beyond the gateway (203.0.113.1), source of routing errors.
        public var upstreamRouterIP: UInt32 = 0xCB00_7101
        public var serverIP: UInt32 = 0xC633_6404
        public var serverPort: UInt16 = 4000
        /// The TCP port the client advertises in CMD_LOGIN for direct connections.
        public var tcpPort: UInt16 = 3456
        /// The client's keep-alive interval (the clones' fixed 120 s by default).
        public var keepAliveInterval: Int64 = 120 * ICQSessionScript.second
        /// iserverd's `ping_time`: the login reply carries ping_time − 10 (default 120 → 110).
        public var serverPingTime: UInt16 = 120
        /// Client: retransmit after 10 s, at most 6 transmissions (the Mirabilis client).
        public var clientRetransmitTimeout: Int64 = 10 * ICQSessionScript.second
        public var clientMaxTransmissions = 6
        /// Server: retransmit pushes every 10 s, 5 times (iserverd defaults).
        public var serverRetransmitTimeout: Int64 = 10 * ICQSessionScript.second
        public var serverRetries = 5
        public var vantage: Vantage = .inside
        /// ICQ through a SOCKS5 UDP relay (inside vantage, no NAT): client datagrams go to the
        /// relay with the 10-byte RFC 1928 header.
        public var socksRelay: Endpoint? = nil
        /// ICQ through a UDP mapping on the gateway (a DNAT of this endpoint, on the gateway's
        /// inside, to the server): inside, the client talks to the mapping; outside, the server's
        /// packets are the same as without it.
        public var udpMapping: Endpoint? = nil
        /// Capture start: 2024-11-24 14:00:00 UTC.
        public var start: Int64 = 1_732_456_800 * ICQSessionScript.second
        public var seed: UInt64 = 1

        public init() {}
    }

    public static let second: Int64 = 1_000_000_000
    public static let millisecond: Int64 = 1_000_000
    /// Seconds (may be fractional) in nanoseconds.
    public static func seconds(_ s: Double) -> Int64 { Int64((s * 1e9).rounded()) }

    /// Gateway forwarding delay, one-way delay between the gateway and the server, and how long
    /// each end takes to answer.
    static let forwardDelay: Int64 = 120_000
    static let wanDelay: Int64 = 18 * millisecond
    static let serverTurnaround: Int64 = 250_000
    static let clientTurnaround: Int64 = 700_000

    public let setup: Setup
    var timeline: Timeline
    var random: SeededRandom
    var clientHost: SimHost
    var serverHost: SimHost
    var gatewayIDs: UInt16 = 0x4000
    /// The client's UDP port inside and its current mapping outside (changes on a NAT rebinding).
    public internal(set) var clientPort: UInt16
    public internal(set) var natPort: UInt16
    /// Where the server sends pushes: the client's address as it saw it at login.
    public internal(set) var recordedClient: Endpoint
    var clientSeq1: UInt16
    var clientSeq2: UInt16 = 1
    var serverSeq1: UInt16 = 0
    /// The client's own clock: the time of its latest packet, which later requests may not precede.
    public internal(set) var now: Int64
    var expected: [PendingFinding] = []
    var absentKinds: [String] = []
    var nextEphemeralTCPPort: UInt16 = 1031
    var nextNATTCPPort: UInt16 = 62001
    var socksControl: SOCKSControl? = nil

    public init(_ setup: Setup) {
        precondition(setup.socksRelay == nil || setup.vantage == .inside, "SOCKS scripts see the client's side only")
        self.setup = setup
        random = SeededRandom(seed: setup.seed)
        let names: [String]
        switch setup.vantage {
        case .inside: names = ["inside0"]
        case .outside: names = ["outside0"]
        case .gateway: names = ["inside0", "outside0"]
        }
        timeline = Timeline(interfaceNames: names)
        clientHost = SimHost(address: setup.clientIP, ttl: 128, nextID: 0x1F40)
        serverHost = SimHost(address: setup.serverIP, ttl: 52, nextID: 0x7A10)
        clientPort = setup.clientPort
        natPort = setup.natIP == nil ? setup.clientPort : setup.natPort
        clientSeq1 = setup.firstSeq1
        now = setup.start
        recordedClient = Endpoint(address: IPAddress(ipv4: setup.natIP ?? setup.clientIP),
                                  port: setup.natIP == nil ? setup.clientPort : setup.natPort)
        if let relay = setup.socksRelay { recordedClient = relay }
    }

    // MARK: Clock

    public mutating func advance(by nanoseconds: Int64) { now += nanoseconds }
    public mutating func advance(seconds: Double) { now += Self.seconds(seconds) }
    /// Moves the client's clock to an absolute time (never backwards).
    public mutating func at(_ time: Int64) {
        precondition(time >= now, "the script must run in time order")
        now = time
    }

    // MARK: Endpoints

    var hasInside: Bool { setup.vantage != .outside }
    var hasOutside: Bool { setup.vantage != .inside }
    var insideInterface: Int { 0 }
    var outsideInterface: Int { setup.vantage == .gateway ? 1 : 0 }
    var publicClientIP: UInt32 { setup.natIP ?? setup.clientIP }
    /// The address the client's UDP goes to: the server, or the SOCKS relay.
    var udpPeerIP: UInt32 { setup.socksRelay.map { $0.address.ipv4Value } ?? setup.serverIP }
    var udpPeerPort: UInt16 { setup.socksRelay?.port ?? setup.serverPort }
    /// The server as the client addresses it inside: the UDP mapping, when there is one.
    var insidePeerIP: UInt32 { setup.udpMapping.map { $0.address.ipv4Value } ?? udpPeerIP }
    var insidePeerPort: UInt16 { setup.udpMapping?.port ?? udpPeerPort }

    public var clientInside: Endpoint { Endpoint(address: IPAddress(ipv4: setup.clientIP), port: clientPort) }
    public var clientOutside: Endpoint { Endpoint(address: IPAddress(ipv4: publicClientIP), port: natPort) }
    /// The client as this capture names it: inside on an inside or two-sided capture.
    public var clientAsSeen: Endpoint { setup.vantage == .outside ? clientOutside : clientInside }
    public var serverEndpoint: Endpoint { Endpoint(address: IPAddress(ipv4: udpPeerIP), port: udpPeerPort) }
    /// Where the server sends its ack to a request: the request's source as it arrives.
    var requestSource: Endpoint { setup.socksRelay ?? clientOutside }

    // MARK: Randomness (seeded: the same script gives the same bytes)

    mutating func randomU32() -> UInt32 { UInt32(truncatingIfNeeded: random.next()) }

    mutating func randomBelow(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }

    // MARK: Datagrams on the wire

    /// Where a client datagram ends.
    enum ClientPath { case delivered, droppedAtGateway, lostBeyondGateway }
    /// Where a server datagram ends.
    enum ServerPath { case delivered, droppedAtGateway, lostBeforeGateway }

    /// Emits a client datagram sent at `time`; returns when the server gets it (nil: never).
    /// `gatewayICMP` makes the gateway answer a dropped datagram with ICMP 3/code from its inside
    /// address, quoting it.
    @discardableResult
    mutating func clientDatagram(_ icq: [UInt8], at time: Int64, path: ClientPath, names: [String],
                                 gatewayICMP: UInt8? = nil, icmpNames: [String] = []) -> Int64? {
        let payload = wrapForRelay(icq, fromClient: true)
        let id = clientHost.identification()
        let inside = SimPacket.udp(from: setup.clientIP, clientPort, to: insidePeerIP, insidePeerPort, payload: payload,
                                   ttl: clientHost.ttl, id: id)
        let relayHop: Int64 = setup.socksRelay == nil ? 0 : 300_000
        if hasInside { timeline.add(time: time, interface: insideInterface, frame: SimPacket.frame(inside), names: names) }
        if path == .droppedAtGateway {
            if let code = gatewayICMP, hasInside {
                let icmp = SimPacket.unreachable(from: setup.gatewayInsideIP, to: setup.clientIP, code: code,
                                                 quoting: inside, ttl: 64, id: gatewayID())
                timeline.add(time: time + 90_000, interface: insideInterface, frame: SimPacket.frame(icmp), names: icmpNames)
            }
            return nil
        }
        if hasOutside {
            let outside = SimPacket.udp(from: publicClientIP, natPort, to: udpPeerIP, udpPeerPort, payload: payload,
                                        ttl: clientHost.ttl - 1, id: id)
            timeline.add(time: time + Self.forwardDelay, interface: outsideInterface, frame: SimPacket.frame(outside), names: names)
        }
        return path == .delivered ? time + Self.forwardDelay + Self.wanDelay + relayHop : nil
    }

    /// Emits a server datagram sent at `time` to `destination` (an outside endpoint: the NAT
    /// mapping). Returns when the client gets it (nil: never). A datagram to a port the NAT no
    /// longer maps is dropped whatever `path` says. `gatewayICMP` makes the gateway answer a
    /// dropped datagram with ICMP 3/code from its public address, quoting the datagram as it
    /// arrived outside.
    @discardableResult
    mutating func serverDatagram(_ icq: [UInt8], at time: Int64, to destination: Endpoint, path: ServerPath,
                                 names: [String], gatewayICMP: UInt8? = nil, icmpNames: [String] = []) -> Int64? {
        guard path != .lostBeforeGateway else { return nil }
        let payload = wrapForRelay(icq, fromClient: false)
        let id = serverHost.identification()
        let arrival = time + Self.wanDelay
        let outside = SimPacket.udp(from: udpPeerIP, udpPeerPort, to: destination.address.ipv4Value, destination.port,
                                    payload: payload, ttl: serverHost.ttl, id: id)
        if hasOutside { timeline.add(time: arrival, interface: outsideInterface, frame: SimPacket.frame(outside), names: names) }
        let mapped = destination.port == natPort && destination.address.ipv4Value == publicClientIP
            || setup.socksRelay != nil
        guard path == .delivered, mapped else {
            if let code = gatewayICMP, hasOutside {
                let icmp = SimPacket.unreachable(from: publicClientIP, to: udpPeerIP, code: code, quoting: outside,
                                                 ttl: 64, id: gatewayID())
                timeline.add(time: arrival + 80_000, interface: outsideInterface, frame: SimPacket.frame(icmp), names: icmpNames)
            }
            return nil
        }
        let relayHop: Int64 = setup.socksRelay == nil ? 0 : 300_000
        let delivered = arrival + Self.forwardDelay + relayHop
        if hasInside {
            let inside = SimPacket.udp(from: insidePeerIP, insidePeerPort, to: setup.clientIP, clientPort, payload: payload,
                                       ttl: serverHost.ttl - 1, id: id)
            timeline.add(time: delivered, interface: insideInterface, frame: SimPacket.frame(inside), names: names)
        }
        return delivered
    }

    /// The client host's port is closed: it answers a server datagram with ICMP port unreachable
    /// quoting it; the gateway translates the error outward (RFC 5508: the quoted header too).
    mutating func clientRefuses(_ icq: [UInt8], deliveredAt time: Int64, names: [String]) {
        let payload = wrapForRelay(icq, fromClient: false)
        let insideQuote = SimPacket.udp(from: insidePeerIP, insidePeerPort, to: setup.clientIP, clientPort, payload: payload,
                                        ttl: serverHost.ttl - 1, id: serverHost.nextID &- 1)
        let id = clientHost.identification()
        let t = time + 60_000
        if hasInside {
            let icmp = SimPacket.unreachable(from: setup.clientIP, to: insidePeerIP, code: 3, quoting: insideQuote,
                                             ttl: clientHost.ttl, id: id)
            timeline.add(time: t, interface: insideInterface, frame: SimPacket.frame(icmp), names: names)
        }
        if hasOutside {
            let outsideQuote = SimPacket.udp(from: udpPeerIP, udpPeerPort, to: publicClientIP, natPort, payload: payload,
                                             ttl: serverHost.ttl, id: serverHost.nextID &- 1)
            let icmp = SimPacket.unreachable(from: publicClientIP, to: udpPeerIP, code: 3, quoting: outsideQuote,
                                             ttl: clientHost.ttl - 1, id: id)
            timeline.add(time: t + Self.forwardDelay, interface: outsideInterface, frame: SimPacket.frame(icmp), names: names)
        }
    }

    mutating func gatewayID() -> UInt16 {
        defer { gatewayIDs &+= 1 }
        return gatewayIDs
    }

    /// The RFC 1928 §7 header (IPv4, 10 bytes) naming the real server, when ICQ goes through a
    /// SOCKS5 relay; otherwise the datagram unchanged.
    func wrapForRelay(_ icq: [UInt8], fromClient: Bool) -> [UInt8] {
        guard setup.socksRelay != nil else { return icq }
        var header: [UInt8] = [0, 0, 0, 1]
        header.appendBE32(setup.serverIP)
        header.appendBE16(setup.serverPort)
        return header + icq
    }

    // MARK: NAT

    /// The gateway forgets the client's mapping and makes a new one on another public port (its
    /// UDP timeout expired and the port was taken, or a port-randomising NAT). Later client
    /// packets leave from `newPort`; the server still sends pushes to the port it recorded.
    public mutating func rebindNAT(to newPort: UInt16) {
        precondition(setup.natIP != nil, "rebinding needs a NAT")
        natPort = newPort
    }

    // MARK: Packets

    mutating func clientPacket(command: UInt16, seq1: UInt16, seq2: UInt16, parameters: [UInt8]) -> [UInt8] {
        let length = 24 + parameters.count
        let r1 = ICQEncoder.clientR1(random: randomU32(), length: length)
        let r2 = UInt8(truncatingIfNeeded: randomU32())
        return ICQEncoder.v5Client(uin: setup.uin, session: setup.sessionID, command: command, seq1: seq1, seq2: seq2,
                                   parameters: parameters, r1: r1, r2: r2)
    }

    mutating func serverPacket(command: UInt16, seq1: UInt16, seq2: UInt16, parameters: [UInt8]) -> [UInt8] {
        let length = 21 + parameters.count
        let r1 = randomBelow(length)
        let r2 = UInt8(truncatingIfNeeded: randomU32())
        return ICQEncoder.v5Server(session: setup.sessionID, command: command, seq1: seq1, seq2: seq2, uin: setup.uin,
                                   parameters: parameters, r1: r1, r2: r2)
    }
}
