import Bytes
import Capture

/// Sessions: their start, end and idle expiry, the client's endpoints, and the lists that grow
/// with a session (round trips, keep-alives).
extension ICQSessionTable {
    mutating func startSession(_ key: ICQSession.Key, version: UInt8, client: Endpoint, server: Endpoint,
                               time: Int64) -> Int32 {
        if sessionIndex.count >= configuration.maximumSessions, let oldest = leastRecentlyActive() {
            evictedSessions += 1
            endSession(oldest, reason: .idleTimeout)
        }
        if sessions.capacity == 0 {
            // The whole table at once: untouched pages are not backed, and it never moves.
            let most = min(configuration.maximumSessions, 1 << 28) + 1
            sessions.reserveCapacity(most)
            history.capacity = most * Self.blocksPerSessionAtMost
        }
        sessionSerials &+= 1
        var slot = SessionSlot()
        slot.key = key
        slot.version = version
        slot.firstSide = addresses.retain(client)
        slot.server = addresses.retain(server)
        slot.firstTime = time
        slot.lastTime = time
        slot.serial = sessionSerials
        slot.flags = .inUse
        let s = sessions.store(slot, reusing: &freeSessions)
        sessionIndex.insert(s, hash: hash(key))
        idleDeadlines.schedule(s, at: idleDeadline(s), order: UInt64(sessionSerials))
        return s
    }

    /// The session whose last packet is the oldest (the earliest created among equals): the
    /// queue's head once the entries in front of it are corrected to their real deadlines.
    mutating func leastRecentlyActive() -> Int32? {
        while let top = idleDeadlines.first {
            let deadline = idleDeadline(top.id)
            if deadline == top.deadline { return top.id }
            idleDeadlines.schedule(top.id, at: deadline, order: UInt64(sessions[Int(top.id)].serial))
        }
        return nil
    }

    @inline(__always)
    func idleDeadline(_ s: Int32) -> Int64 {
        CaptureTime.after(sessions[Int(s)].lastTime, configuration.idleTimeout)
    }

    /// A packet of the session at `time`. A capture's clock can step back (merged interfaces): a
    /// last time that moves earlier moves the queued deadline with it, so none is ever late.
    mutating func touch(_ s: Int32, time: Int64) {
        let earlier = time < sessions[Int(s)].lastTime
        sessions[Int(s)].lastTime = time
        if earlier, let queued = idleDeadlines.deadline(of: s) {
            let deadline = idleDeadline(s)
            if deadline < queued { idleDeadlines.schedule(s, at: deadline, order: UInt64(sessions[Int(s)].serial)) }
        }
    }

    mutating func endSession(_ s: Int32, reason: ICQSession.EndReason) {
        let i = Int(s)
        sessionIndex.remove(s, hash: hash(sessions[i].key))
        idleDeadlines.remove(s)
        expiring.removeAll(keepingCapacity: true)
        // Acked requests kept only for late copies go first, unreported and unsorted.
        var x = sessions[i].clientExchanges
        while x >= 0 {
            let next = exchanges[Int(x)].next
            if isKeptOnlyForLateCopies(x) { _ = removeExchange(x) }
            x = next
        }
        collect(from: sessions[i].clientExchanges)
        collect(from: sessions[i].serverExchanges)
        sortExpiring()
        for entry in expiring {
            let fromClient = exchanges[Int(entry.slot)].key.fromClient
            if exchanges[Int(entry.slot)].exchange.ack != nil {
                // Acked, and kept for late copies: judged now if any came.
                conclude(entry.slot)
                continue
            }
            var exchange = removeExchange(entry.slot)
            settle(&exchange, session: s, fromClient: fromClient)
            let facts = facts(s)
            let waited = clock &- exchange.lastTime
            if reason == .endOfCapture && waited > giveUp(copies: exchange.copyCount) {
                outbox.append(fromClient ? .request(facts, exchange, acked: false) : .push(facts, exchange, acked: false))
            } else if reason == .logout && fromClient && exchange.copyCount >= 2 && facts.serverPackets == 0 {
                // A request the client retransmitted and then logged out on, the server never
                // heard from: it gave the request up (a real client resends its login, then logs
                // out and exits). Once the server has spoken, an unacknowledged request before a
                // logout may be one the server ignores (IServerd leaves CMD_LOGIN_1 unacked): it
                // stays unresolved.
                outbox.append(.request(facts, exchange, acked: false))
            } else {
                outbox.append(.unresolved(facts, exchange, fromClient: fromClient,
                                          atEndOfCapture: reason == .endOfCapture, waited: waited))
            }
        }
        var ended = makeSession(s)
        ended.endReason = reason
        release(s)
        outbox.append(.sessionEnded(ended))
    }

    /// Frees the slot and everything it holds: the client endpoints that lead to it (those it
    /// had on each side and before a NAT rebinding, unless another session took one over since),
    /// its endpoints' IPv6 addresses, its lists and extras.
    private mutating func release(_ s: Int32) {
        var slot = SessionSlot.vacant
        swap(&slot, &sessions[Int(s)])
        // The first side's endpoint is held from the start (before the client's first packet,
        // as the server's packet named it).
        forgetEndpoint(slot.firstSide, of: s)
        addresses.release(slot.firstSide)
        if slot.has(.hasSecondSide) {
            forgetEndpoint(slot.secondSide, of: s)
            addresses.release(slot.secondSide)
        }
        if slot.extras >= 0 {
            var rare = SessionExtras()
            swap(&rare, &extras[Int(slot.extras)])
            freeExtras.append(slot.extras)
            for side in rare.moreSides {
                forgetEndpoint(side.client, of: s)
                addresses.release(side.client)
            }
            for rebinding in rare.rebindings {
                forgetEndpoint(rebinding.from, of: s)
                addresses.release(rebinding.from)
                addresses.release(rebinding.to)
            }
        }
        addresses.release(slot.server)
        history.release(&slot.roundTripBlocks)
        history.release(&slot.keepaliveFrameBlocks)
        history.release(&slot.keepaliveTimeBlocks)
        freeSessions.append(s)
    }

    /// Queues every exchange of one of a session's lists for reporting.
    mutating func collect(from head: Int32) {
        var x = head
        while x >= 0 {
            expiring.append(order(of: x))
            x = exchanges[Int(x)].next
        }
    }

    // MARK: the client's endpoints

    /// A client packet from `endpoint` on capture side `side`: a new endpoint on a side already
    /// seen is a NAT rebinding; the endpoint becomes the session's client, found by it from now.
    mutating func clientSpoke(_ s: Int32, from endpoint: Endpoint, side: Int32, frame: UInt64, time: Int64) {
        let i = Int(s)
        let compact = addresses.find(endpoint)
        if let previous = sideEndpoint(s, side), previous != compact {
            let e = Int(extrasSlot(s))
            if extras[e].rebindings.count < Self.keptRebindings {
                let held = addresses.retain(endpoint)
                let from = addresses.retain(addresses.endpoint(previous))
                extras[e].rebindings.append((frame, from, held))
            }
            outbox.append(.rebinding(facts(s), frame: frame, time: time, from: addresses.endpoint(previous), to: endpoint))
        }
        // The client as it was before this packet (setting the side may change it).
        let before = client(s)
        let (client, index) = setSideEndpoint(s, side, endpoint, compact)
        if !(sessions[i].has(.ownsClientEntry) && before == client) { claim(client, for: s) }
        sessions[i].clientSide = index
    }

    /// The client's endpoint as last seen (see `SessionSlot.clientSide`).
    @inline(__always)
    func client(_ s: Int32) -> CompactEndpoint {
        let slot = sessions[Int(s)]
        switch slot.clientSide {
        case 0: return slot.firstSide
        case 1: return slot.secondSide
        default: return extras[Int(slot.extras)].moreSides[Int(slot.clientSide) - 2].client
        }
    }

    /// The client's endpoint on a capture side, if seen there.
    @inline(__always)
    private func sideEndpoint(_ s: Int32, _ side: Int32) -> CompactEndpoint? {
        let slot = sessions[Int(s)]
        if slot.has(.hasFirstSide) && slot.firstSideID == side { return slot.firstSide }
        if slot.has(.hasSecondSide) && slot.secondSideID == side { return slot.secondSide }
        guard slot.extras >= 0 else { return nil }
        return extras[Int(slot.extras)].moreSides.first { $0.side == side }?.client
    }

    /// Sets the client's endpoint on a side (`compact`: the endpoint as held, if anything holds
    /// it yet) and returns it as held, with the side's place (`SessionSlot.clientSide`).
    private mutating func setSideEndpoint(_ s: Int32, _ side: Int32, _ endpoint: Endpoint,
                                          _ compact: CompactEndpoint?) -> (CompactEndpoint, UInt8) {
        let i = Int(s)
        let slot = sessions[i]
        if !slot.has(.hasFirstSide) || slot.firstSideID == side {
            sessions[i].firstSideID = side
            sessions[i].flags.insert(.hasFirstSide)
            if slot.firstSide != compact {
                addresses.release(slot.firstSide)
                sessions[i].firstSide = addresses.retain(endpoint)
            }
            return (sessions[i].firstSide, 0)
        }
        if !slot.has(.hasSecondSide) || slot.secondSideID == side {
            if slot.has(.hasSecondSide) {
                if slot.secondSide == compact { return (slot.secondSide, 1) }
                addresses.release(slot.secondSide)
            }
            sessions[i].secondSide = addresses.retain(endpoint)
            sessions[i].secondSideID = side
            sessions[i].flags.insert(.hasSecondSide)
            return (sessions[i].secondSide, 1)
        }
        let e = Int(extrasSlot(s))
        if let k = extras[e].moreSides.firstIndex(where: { $0.side == side }) {
            let old = extras[e].moreSides[k].client
            if old != compact {
                addresses.release(old)
                extras[e].moreSides[k].client = addresses.retain(endpoint)
            }
            return (extras[e].moreSides[k].client, UInt8(truncatingIfNeeded: 2 + k))
        }
        let held = addresses.retain(endpoint)
        if extras[e].moreSides.count == Self.keptSides - 2 {
            // Crafted input naming ever more sides: the last place is reused.
            forgetEndpoint(extras[e].moreSides[Self.keptSides - 3].client, of: s)
            addresses.release(extras[e].moreSides[Self.keptSides - 3].client)
            extras[e].moreSides[Self.keptSides - 3] = (side, held)
            return (held, UInt8(Self.keptSides - 1))
        }
        extras[e].moreSides.append((side, held))
        return (held, UInt8(1 + extras[e].moreSides.count))
    }

    /// A session keeps the client's endpoint on at most this many capture sides, and lists at
    /// most this many NAT rebindings (each is still reported as it happens): bounded memory
    /// whatever the input.
    static var keptSides: Int { 64 }
    static var keptRebindings: Int { 256 }

    private mutating func forgetEndpoint(_ endpoint: CompactEndpoint, of s: Int32) {
        if sessionByClient[endpoint] == s { sessionByClient.removeValue(forKey: endpoint) }
    }

    /// The session's extras, made on first need.
    private mutating func extrasSlot(_ s: Int32) -> Int32 {
        if sessions[Int(s)].extras < 0 {
            sessions[Int(s)].extras = extras.store(SessionExtras(), reusing: &freeExtras)
        }
        return sessions[Int(s)].extras
    }

    /// Points the client endpoint at session `s`, taking it from the session that had it.
    private mutating func claim(_ client: CompactEndpoint, for s: Int32) {
        if let previous = sessionByClient.updateValue(s, forKey: client), previous != s,
           self.client(previous) == client {
            sessions[Int(previous)].flags.remove(.ownsClientEntry)
        }
        sessions[Int(s)].flags.insert(.ownsClientEntry)
    }

    // MARK: what grows with a session

    /// The most blocks one session's lists take: round trips after the first two, keep-alive
    /// frames, and keep-alive times after their median.
    static var blocksPerSessionAtMost: Int {
        func blocks(_ values: Int) -> Int { (values + ValueBlockPool.valuesPerBlock - 1) / ValueBlockPool.valuesPerBlock }
        return blocks(ICQSession.keptTimes - 2) + blocks(ICQSession.keptTimes) + blocks(1 + ICQSession.keptTimes)
    }

    /// The first round trips are kept, up to `ICQSession.keptTimes`.
    mutating func noteRoundTrip(_ s: Int32, _ value: Int64) {
        let i = Int(s)
        let count = Int(sessions[i].roundTripCount)
        guard count < ICQSession.keptTimes else { return }
        if sessions[i].has(.roundTripsInBlocks) {
            history.append(UInt64(bitPattern: value), to: &sessions[i].roundTripBlocks, count: count)
        } else if count >= 2 {
            history.append(UInt64(bitPattern: value), to: &sessions[i].roundTripBlocks, count: count - 2)
        } else if let fits = UInt32(exactly: value) {
            if count == 0 { sessions[i].firstRoundTrips.0 = fits } else { sessions[i].firstRoundTrips.1 = fits }
        } else {
            // Too long (or negative) for the inline pair: every round trip goes to blocks.
            if count == 1 {
                history.append(UInt64(sessions[i].firstRoundTrips.0), to: &sessions[i].roundTripBlocks, count: 0)
            }
            history.append(UInt64(bitPattern: value), to: &sessions[i].roundTripBlocks, count: count)
            sessions[i].flags.insert(.roundTripsInBlocks)
        }
        sessions[i].roundTripCount += 1
    }

    /// The first keep-alive frames are kept (the evidence of the interval), and the last times,
    /// whose intervals' median is the observed interval (the times list's first value).
    mutating func noteKeepalive(_ s: Int32, time: Int64, frame: UInt64) {
        let i = Int(s)
        let kept = ICQSession.keptTimes
        let frames = Int(sessions[i].keepaliveFrameCount)
        if frames < kept {
            history.append(frame, to: &sessions[i].keepaliveFrameBlocks, count: frames)
            sessions[i].keepaliveFrameCount += 1
        }
        let times = Int(sessions[i].keepaliveTimeCount)
        if times == 0 {
            history.append(UInt64(bitPattern: Int64.min), to: &sessions[i].keepaliveTimeBlocks, count: 0)
        }
        if times < kept {
            history.append(UInt64(bitPattern: time), to: &sessions[i].keepaliveTimeBlocks, count: 1 + times)
            sessions[i].keepaliveTimeCount += 1
        } else {
            let oldest = Int(sessions[i].keepaliveTimeOldest)
            history.set(UInt64(bitPattern: time), at: 1 + oldest, from: sessions[i].keepaliveTimeBlocks)
            sessions[i].keepaliveTimeOldest = UInt8((oldest + 1) % kept)
        }
        let head = sessions[i].keepaliveTimeBlocks
        let count = Int(sessions[i].keepaliveTimeCount)
        let start = Int(sessions[i].keepaliveTimeOldest)
        let median = ICQSession.medianInterval(count: count) { k in
            Int64(bitPattern: history.value(at: 1 + (start + k) % count, from: head))
        }
        history.set(UInt64(bitPattern: median ?? .min), at: 0, from: head)
    }

    /// The median keep-alive interval observed, if the client has sent three.
    @inline(__always)
    func observedKeepaliveInterval(_ s: Int32) -> Int64? {
        let head = sessions[Int(s)].keepaliveTimeBlocks
        guard head >= 0 else { return nil }
        let median = Int64(bitPattern: history.value(at: 0, from: head))
        return median == .min ? nil : median
    }

    // MARK: what is handed out

    /// What the rules read of a live session when one of its events is reported.
    @inline(__always)
    func facts(_ s: Int32) -> ICQSessionFacts {
        let slot = sessions[Int(s)]
        let hint: Int64? = slot.keepaliveHintSeconds > 0 ? Int64(slot.keepaliveHintSeconds) * 1_000_000_000 : nil
        let observed = observedKeepaliveInterval(s)
        return ICQSessionFacts(
            key: slot.key, client: addresses.endpoint(client(s)), server: addresses.endpoint(slot.server),
            firstTime: slot.firstTime, lastTime: slot.lastTime,
            lastClientTime: slot.lastClientTime == .min ? nil : slot.lastClientTime,
            serverPackets: UInt64(slot.serverPackets),
            lastServerSeqFrame: slot.has(.hasLastServerSeq) ? slot.lastServerSeqFrame : nil,
            keepaliveInterval: observed ?? hint, keepaliveObserved: observed != nil)
    }

    /// The whole session as a value, with its lists (when it ends, or when asked for).
    func makeSession(_ s: Int32) -> ICQSession {
        let slot = sessions[Int(s)]
        // One allocation a list, none for an empty one.
        var roundTrips: [Int64] = []
        let rtts = Int(slot.roundTripCount)
        if rtts > 0 { roundTrips.reserveCapacity(rtts) }
        let inline = slot.has(.roundTripsInBlocks) ? 0 : min(rtts, 2)
        if inline > 0 { roundTrips.append(Int64(slot.firstRoundTrips.0)) }
        if inline > 1 { roundTrips.append(Int64(slot.firstRoundTrips.1)) }
        history.forEach(from: slot.roundTripBlocks, count: rtts - inline) { roundTrips.append(Int64(bitPattern: $0)) }
        var rebindings: [(frame: UInt64, from: Endpoint, to: Endpoint)] = []
        if slot.extras >= 0 {
            rebindings = extras[Int(slot.extras)].rebindings.map {
                ($0.frame, addresses.endpoint($0.from), addresses.endpoint($0.to))
            }
        }
        return ICQSession(
            key: slot.key, version: slot.version, client: addresses.endpoint(client(s)),
            server: addresses.endpoint(slot.server), firstTime: slot.firstTime, lastTime: slot.lastTime,
            lastClientTime: slot.lastClientTime == .min ? nil : slot.lastClientTime,
            clientPackets: UInt64(slot.clientPackets), serverPackets: UInt64(slot.serverPackets),
            keepaliveHint: slot.keepaliveHintSeconds > 0 ? Int64(slot.keepaliveHintSeconds) * 1_000_000_000 : nil,
            observedKeepaliveInterval: observedKeepaliveInterval(s), roundTrips: roundTrips,
            clientRetransmissions: UInt64(slot.clientRetransmissions),
            serverRetransmissions: UInt64(slot.serverRetransmissions),
            lastServerSeqFrame: slot.has(.hasLastServerSeq) ? slot.lastServerSeqFrame : nil,
            loginReplyFrame: slot.has(.hasLoginReply) ? slot.loginReplyFrame : nil,
            keepaliveFrames: history.values(from: slot.keepaliveFrameBlocks, count: Int(slot.keepaliveFrameCount)),
            rebindings: rebindings, endReason: nil, loggedOut: slot.has(.loggedOut))
    }

    /// Fills in what the other party sent while the exchange waited.
    @inline(__always)
    func settle(_ exchange: inout ICQExchange, session s: Int32, fromClient: Bool) {
        let slot = sessions[Int(s)]
        exchange.settle(otherPartyPackets: UInt64(fromClient ? slot.serverPackets : slot.clientPackets))
    }
}
