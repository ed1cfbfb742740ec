import Bytes
import Capture
import Tracking
import Wire

/// What each packet tells rule R4: a SYN to an advertised port opens an attempt; the answer,
/// an ICMP error or the gateway matcher's verdict closes it.
extension PeerPortState {
    mutating func tcp(_ header: TCPHeader, decoded: DecodedPacket, frame: UInt64, time: Int64, twoSided: Bool,
                      isCopy: Bool, maximumAttempts: Int, emit: (Finding) -> Void) {
        advance(to: time, emit: emit)
        guard let src = decoded.sourceAddress, let dst = decoded.destinationAddress else { return }
        let ttl = decoded.ipv4?.ttl ?? decoded.ipv6?.hopLimit ?? 0
        let source = Endpoint(address: src, port: header.sourcePort)
        let destination = Endpoint(address: dst, port: header.destinationPort)
        if header.isSYN && !header.isACK {
            let key = AttemptKey(client: source, peer: destination)
            if let slot = findAttempt(key) {
                if attempts[Int(slot)].isn == header.sequenceNumber && !isCopy {
                    attempts[Int(slot)].retransmissions += 1
                    // A real stack sends a SYN a handful of times; a replayed one is counted, not listed.
                    if attempts[Int(slot)].frames.count < PeerPortState.maximumFramesPerAttempt {
                        attempts[Int(slot)].frames.append(frame)
                    }
                    schedule(slot)
                }
                return
            }
            guard !isCopy, destination.port > 1023, let entry = advertised.lookup(destination),
                  !PeerPortDiagnosis.isForeignLANAttempt(entry, from: src), index.count < maximumAttempts else { return }
            open(key, time: time, frame: frame, isn: header.sequenceNumber, advertised: entry)
            return
        }
        let key = AttemptKey(client: destination, peer: source)
        guard let slot = findAttempt(key) else {
            if !header.isRST { lastTTL.set(ttl, for: src) }
            return
        }
        if header.isSYN && header.isACK {
            let attempt = close(slot)  // open: the peer answered
            ledger.reached(attempt.key.peer, frames: [attempt.frames[0], frame])
            lastTTL.set(ttl, for: src)
            return
        }
        guard header.isRST, attempts[Int(slot)].pendingReset == nil else { return }
        attempts[Int(slot)].frames.append(frame)
        if isCopy {
            // This reset is the forwarded copy of one seen on the other side: it crossed the
            // gateway, so the peer's own host sent it.
            let attempt = close(slot)
            report(attempt, detail: .rstFromPeer, time: time, emit: emit,
                   proof: "the peer's own host answered with a reset (seen on both sides of the gateway): nothing listens on that port")
            return
        }
        if twoSided {
            attempts[Int(slot)].pendingReset = (frame, time, ttl)
            byFrame.insert(slot, hash: hasher.hash(frame, 0))
            // Suspended: the verdict decides, whatever the time.
            deadlines.remove(slot)
            return
        }
        let attempt = close(slot)
        // One vantage only: the TTL tells whether the reset came as far as the peer's packets do.
        if let usual = lastTTL[src], Self.isForged(resetTTL: ttl, usualTTL: usual) {
            report(attempt, detail: .rstFromMiddlebox, time: time, emit: emit,
                   proof: "a reset came back with TTL \(ttl), where the peer's own packets arrive with TTL \(usual): something on the way forged it in the peer's name")
        } else {
            report(attempt, detail: .rstFromPeer, time: time, emit: emit,
                   proof: "the peer's own host answered with a reset: nothing listens on that port")
        }
    }

    /// A reset that arrives with a higher TTL than the address's other packets came from nearer
    /// than that host (a gateway forging it answers with its own initial TTL: 64 where the peer's
    /// packets, forwarded once, have 63). One lower may be a route one hop longer; more is forged.
    static func isForged(resetTTL ttl: UInt8, usualTTL usual: UInt8) -> Bool {
        ttl > usual || Int(usual) - Int(ttl) > 1
    }

    mutating func noteLogin(uin: UInt32, from address: IPAddress) {
        if let known = uinByAddress[address], known != uin { uinByAddress.set(UInt32?.none, for: address) }
        else { uinByAddress.set(uin, for: address) }
    }

    mutating func gatewayVerdict(frame: UInt64, forwarded: Bool, time: Int64, emit: (Finding) -> Void) {
        guard !byFrame.isEmpty, let slot = byFrame.find(hasher.hash(frame, 0), where: { slot in
            attempts[Int(slot)].frames.first == frame || attempts[Int(slot)].pendingReset?.frame == frame
        }) else { return }
        if let reset = attempts[Int(slot)].pendingReset, reset.frame == frame {
            let attempt = close(slot)
            if forwarded {
                report(attempt, detail: .rstFromPeer, time: reset.time, emit: emit,
                       proof: "the peer's own host answered with a reset (seen on both sides of the gateway): nothing listens on that port")
            } else {
                report(attempt, detail: .rstFromMiddlebox, time: reset.time, emit: emit,
                       proof: "a reset came back on one side of the gateway only: the gateway forged it in the peer's name")
            }
            return
        }
        if !forwarded && attempts[Int(slot)].frames.first == frame {
            attempts[Int(slot)].notForwarded = true
        }
    }

    mutating func icmp(_ message: ICMPMessage, frame: UInt64, time: Int64, reporter: IPAddress, emit: (Finding) -> Void) {
        guard message.type == 3, let q = message.quoted, q.protocolNumber == IPProtocol.tcp,
              let sport = q.sourcePort, let dport = q.destinationPort else { return }
        let key = AttemptKey(client: Endpoint(address: q.source, port: sport), peer: Endpoint(address: q.destination, port: dport))
        guard let slot = findAttempt(key) else { return }
        var attempt = close(slot)
        attempt.frames.append(frame)
        switch message.code {
        case 9, 10, 13:
            report(attempt, detail: .icmpAdminProhibited, time: time, emit: emit,
                   proof: "\(reporter) answered with ICMP destination unreachable code \(message.code) (communication administratively prohibited): a filter refused it")
        case 3:
            report(attempt, detail: .icmpPortUnreachable, time: time, emit: emit,
                   proof: "\(reporter) answered the SYN with ICMP port unreachable; a TCP stack answers a closed port with a reset, so this is a firewall's reject rule")
        default:
            // Network or host unreachable (and the rest): a routing problem, not a block.
            break
        }
    }
}
