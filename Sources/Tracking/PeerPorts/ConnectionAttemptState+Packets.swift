import Bytes
import Wire

/// What each packet tells about attempts: a SYN to an advertised port opens one; the answer, a
/// reset, an ICMP error or the gateway matcher's verdict ends it.
extension ConnectionAttemptState {
    mutating func tcp(_ header: TCPHeader, decoded: DecodedPacket, frame: UInt64, time: Int64, twoSided: Bool,
                      isCopy: Bool) {
        advance(to: time)
        guard let src = decoded.sourceAddress, let dst = decoded.destinationAddress else { return }
        let source = Endpoint(address: src, port: header.sourcePort)
        let destination = Endpoint(address: dst, port: header.destinationPort)
        if header.isSYN && !header.isACK {
            let key = ConnectionAttempt.Key(client: source, peer: destination)
            if let slot = findAttempt(key) {
                if attempts[Int(slot)].isn == header.sequenceNumber && !isCopy {
                    attempts[Int(slot)].retransmissions += 1
                    // A real stack sends a SYN a handful of times; a replayed one is counted, not listed.
                    if attempts[Int(slot)].frames.count < Self.maximumFramesPerAttempt {
                        attempts[Int(slot)].frames.append(frame)
                    }
                    schedule(slot)
                }
                return
            }
            guard !isCopy, destination.port > 1023, let entry = advertised.lookup(destination),
                  !Self.isForeignLANAttempt(entry, from: src), index.count < maximumAttempts,
                  ended[key] != header.sequenceNumber else { return }
            open(key, time: time, frame: frame, isn: header.sequenceNumber, advertised: entry)
            return
        }
        let key = ConnectionAttempt.Key(client: destination, peer: source)
        guard let slot = findAttempt(key) else {
            if !header.isRST { noteSender(decoded, source: src, time: time) }
            return
        }
        if header.isSYN && header.isACK {
            let attempt = close(slot)  // open: the peer answered
            events.append(.answered(attempt, frame: frame))
            noteSender(decoded, source: src, time: time)
            return
        }
        guard header.isRST, attempts[Int(slot)].pendingReset == nil else { return }
        attempts[Int(slot)].frames.append(frame)
        if isCopy {
            // This reset is the forwarded copy of one seen on the other side: it crossed the
            // gateway, so the peer's own host sent it.
            events.append(.reset(close(slot), time: time, origin: .crossedGateway))
            return
        }
        if twoSided {
            attempts[Int(slot)].pendingReset = (frame, time, decoded.ipv4?.ttl ?? decoded.ipv6?.hopLimit ?? 0)
            byFrame.insert(slot, hash: hasher.hash(frame, 0))
            // Suspended: the verdict decides, whatever the time.
            deadlines.remove(slot)
            return
        }
        // One vantage only: its TTL and IP id against the peer's other packets tell whether the
        // peer's host sent it.
        events.append(.reset(close(slot), time: time, origin: .oneVantage(fit(decoded, source: src, time: time))))
    }

    mutating func noteLogin(uin: UInt32, from address: IPAddress) {
        if let known = uinByAddress[address], known != uin { uinByAddress.set(UInt32?.none, for: address) }
        else { uinByAddress.set(uin, for: address) }
    }

    mutating func gatewayVerdict(frame: UInt64, forwarded: Bool, time: Int64) {
        guard !byFrame.isEmpty, let slot = byFrame.find(hasher.hash(frame, 0), where: { slot in
            attempts[Int(slot)].frames.first == frame || attempts[Int(slot)].pendingReset?.frame == frame
        }) else { return }
        if let reset = attempts[Int(slot)].pendingReset, reset.frame == frame {
            events.append(.reset(close(slot), time: reset.time, origin: forwarded ? .crossedGateway : .oneSideOnly))
            return
        }
        if !forwarded && attempts[Int(slot)].frames.first == frame {
            attempts[Int(slot)].notForwarded = true
        }
    }

    mutating func icmp(_ message: ICMPMessage, decoded: DecodedPacket, frame: UInt64, time: Int64, twoSided: Bool) {
        guard message.type == 3, let reporter = decoded.sourceAddress, let q = message.quoted,
              q.protocolNumber == IPProtocol.tcp, let sport = q.sourcePort, let dport = q.destinationPort else { return }
        let key = ConnectionAttempt.Key(client: Endpoint(address: q.source, port: sport), peer: Endpoint(address: q.destination, port: dport))
        guard let slot = findAttempt(key) else { return }
        var attempt = close(slot)
        attempt.frames.append(frame)
        // An error "from" the peer itself (a host firewall's reject, or one forged in its name,
        // as bridge firewalls do): held against the peer's other packets, like a reset.
        let inPeersName = !twoSided && reporter == q.destination ? fit(decoded, source: reporter, time: time) : nil
        events.append(.icmpUnreachable(attempt, time: time, code: message.code, reporter: reporter, inPeersName: inPeersName))
    }
}
