import Bytes

/// How a direct (peer-to-peer) TCP connection attempt is answered (docs/flow-semantics.md#icmp,
/// #r4-blocked-peer-port).
public enum PeerAnswer: Sendable, Equatable {
    /// The peer accepts: SYN, SYN-ACK, ACK, then both close with FIN.
    case synAck
    /// The peer is not listening: RST-ACK from the peer itself, with the peer's TTL, forwarded by
    /// the gateway (seen on both sides).
    case rstFromPeer
    /// The gateway forges a RST-ACK in the peer's name (nft/iptables "reject with tcp reset"): the
    /// SYN never leaves, the RST is seen inside only, with the gateway's TTL 64 and IP id 0.
    case rstFromGateway
    /// The gateway rejects with ICMP 3/code from its inside address: 13 administratively
    /// prohibited, 3 port unreachable (iptables REJECT's default), 9, 10.
    case icmpFromGateway(code: UInt8)
    /// The SYN leaves the gateway and a router beyond it answers ICMP 3/code (1 host
    /// unreachable, 0 net unreachable: routing, not a block).
    case icmpFromRouter(code: UInt8)
    /// Nothing: the SYN is retransmitted at 3 and 9 s (Windows: initial RTO 3 s, 2 retries) and
    /// the attempt is abandoned at 21 s. The gateway drops the SYNs silently.
    case noAnswerDroppedAtGateway
    /// Nothing, but the SYNs leave the gateway (filtered beyond it, or the peer's firewall).
    case noAnswerBeyondGateway
}

extension ICQSessionScript {
    static let peerOneWay: Int64 = 35 * millisecond
    static let synOptions: [UInt8] = [2, 4, 0x05, 0xB4, 1, 1, 4, 2]  // MSS 1460, NOP, NOP, SACK permitted

    /// A direct connection attempt from the client (a Windows ICQ 99 client: TTL 128) to
    /// `ip:port` at `now`. Frames: every frame of the attempt `name`; the SYNs `name.syn`; the
    /// answer (SYN-ACK, RST or ICMP error) `name.answer`. Returns the client's TCP endpoint as the
    /// capture sees it. The client's clock does not move.
    @discardableResult
    public mutating func connectToPeer(ip: UInt32, port: UInt16, answer: PeerAnswer, name: String) -> Endpoint {
        let localPort = nextEphemeralTCPPort
        nextEphemeralTCPPort &+= 1
        let mappedPort = setup.natIP == nil ? localPort : nextNATTCPPort
        nextNATTCPPort &+= 1
        let isn = randomU32()
        let peerTTL: UInt8 = 116
        var peerIDs = SimHost(address: ip, ttl: peerTTL, nextID: UInt16(truncatingIfNeeded: randomU32()))
        let start = now

        @discardableResult
        func fromClient(_ time: Int64, seq: UInt32, ack: UInt32, flags: FrameBuilder.TCPFlags, options: [UInt8] = [],
                        leaves: Bool, names: [String]) -> [UInt8] {
            let id = clientHost.identification()
            let inside = SimPacket.tcp(from: setup.clientIP, localPort, to: ip, port, sequence: seq, acknowledgement: ack,
                                       flags: flags, options: options, ttl: clientHost.ttl, id: id)
            if hasInside { timeline.add(time: time, interface: insideInterface, frame: SimPacket.frame(inside), names: names) }
            if leaves && hasOutside {
                let outside = SimPacket.tcp(from: publicClientIP, mappedPort, to: ip, port, sequence: seq,
                                            acknowledgement: ack, flags: flags, options: options,
                                            ttl: clientHost.ttl - 1, id: id)
                timeline.add(time: time + Self.forwardDelay, interface: outsideInterface, frame: SimPacket.frame(outside),
                             names: names)
            }
            return inside
        }
        func fromPeer(_ outsideTime: Int64, seq: UInt32, ack: UInt32, flags: FrameBuilder.TCPFlags,
                      options: [UInt8] = [], names: [String]) {
            let id = peerIDs.identification()
            if hasOutside {
                let outside = SimPacket.tcp(from: ip, port, to: publicClientIP, mappedPort, sequence: seq,
                                            acknowledgement: ack, flags: flags, options: options, ttl: peerTTL, id: id)
                timeline.add(time: outsideTime, interface: outsideInterface, frame: SimPacket.frame(outside), names: names)
            }
            if hasInside {
                let inside = SimPacket.tcp(from: ip, port, to: setup.clientIP, localPort, sequence: seq, acknowledgement: ack,
                                           flags: flags, options: options, ttl: peerTTL - 1, id: id)
                timeline.add(time: outsideTime + Self.forwardDelay, interface: insideInterface,
                             frame: SimPacket.frame(inside), names: names)
            }
        }
        let all = [name]
        let syn = all + [name + ".syn"]
        let reply = all + [name + ".answer"]
        let roundTrip = Self.forwardDelay + 2 * Self.peerOneWay

        switch answer {
        case .synAck:
            fromClient(start, seq: isn, ack: 0, flags: [.syn], options: Self.synOptions, leaves: true, names: syn)
            let peerISN = randomU32()
            fromPeer(start + roundTrip, seq: peerISN, ack: isn &+ 1, flags: [.syn, .ack], options: [2, 4, 0x05, 0xB4],
                     names: reply)
            let established = start + roundTrip + Self.forwardDelay + 300_000
            fromClient(established, seq: isn &+ 1, ack: peerISN &+ 1, flags: [.ack], leaves: true, names: all)
            let close = established + 500 * Self.millisecond
            fromClient(close, seq: isn &+ 1, ack: peerISN &+ 1, flags: [.fin, .ack], leaves: true, names: all)
            fromPeer(close + roundTrip, seq: peerISN &+ 1, ack: isn &+ 2, flags: [.fin, .ack], names: all)
            fromClient(close + roundTrip + Self.forwardDelay + 200_000, seq: isn &+ 2, ack: peerISN &+ 2, flags: [.ack],
                       leaves: true, names: all)
        case .rstFromPeer:
            fromClient(start, seq: isn, ack: 0, flags: [.syn], options: Self.synOptions, leaves: true, names: syn)
            fromPeer(start + roundTrip, seq: 0, ack: isn &+ 1, flags: [.rst, .ack], names: reply)
        case .rstFromGateway:
            fromClient(start, seq: isn, ack: 0, flags: [.syn], options: Self.synOptions, leaves: false, names: syn)
            if hasInside {
                let rst = SimPacket.tcp(from: ip, port, to: setup.clientIP, localPort, sequence: 0, acknowledgement: isn &+ 1,
                                        flags: [.rst, .ack], window: 0, ttl: 64, id: 0)
                timeline.add(time: start + 90_000, interface: insideInterface, frame: SimPacket.frame(rst), names: reply)
            }
        case .icmpFromGateway(let code):
            let quoted = fromClient(start, seq: isn, ack: 0, flags: [.syn], options: Self.synOptions, leaves: false,
                                    names: syn)
            if hasInside {
                let icmp = SimPacket.unreachable(from: setup.gatewayInsideIP, to: setup.clientIP, code: code,
                                                 quoting: quoted, ttl: 64, id: gatewayID())
                timeline.add(time: start + 90_000, interface: insideInterface, frame: SimPacket.frame(icmp), names: reply)
            }
        case .icmpFromRouter(let code):
            let id = clientHost.nextID
            let insideQuote = fromClient(start, seq: isn, ack: 0, flags: [.syn], options: Self.synOptions, leaves: true,
                                         names: syn)
            let router = setup.upstreamRouterIP
            let t = start + Self.forwardDelay + 3 * Self.millisecond
            if hasOutside {
                let outsideQuote = SimPacket.tcp(from: publicClientIP, mappedPort, to: ip, port, sequence: isn,
                                                 acknowledgement: 0, flags: [.syn], options: Self.synOptions,
                                                 ttl: clientHost.ttl - 1, id: id)
                let icmp = SimPacket.unreachable(from: router, to: publicClientIP, code: code, quoting: outsideQuote,
                                                 ttl: 255, id: 0x0B00)
                timeline.add(time: t, interface: outsideInterface, frame: SimPacket.frame(icmp), names: reply)
            }
            if hasInside {
                // The gateway reverts the quoted header to the inside tuple (RFC 5508 REQ-4a).
                let icmp = SimPacket.unreachable(from: router, to: setup.clientIP, code: code, quoting: insideQuote,
                                                 ttl: 254, id: 0x0B00)
                timeline.add(time: t + Self.forwardDelay, interface: insideInterface, frame: SimPacket.frame(icmp),
                             names: reply)
            }
        case .noAnswerDroppedAtGateway, .noAnswerBeyondGateway:
            let leaves = answer == .noAnswerBeyondGateway
            for offset in [0, 3, 9] as [Int64] {
                fromClient(start + offset * Self.second, seq: isn, ack: 0, flags: [.syn], options: Self.synOptions,
                           leaves: leaves, names: syn)
            }
        }
        return setup.vantage == .outside
            ? Endpoint(address: IPAddress(ipv4: publicClientIP), port: mappedPort)
            : Endpoint(address: IPAddress(ipv4: setup.clientIP), port: localPort)
    }
}
