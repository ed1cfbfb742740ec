import Capture
import Wire

/// Exchanges: each packet that expects an ack, its copies, and how it resolves (acked, given
/// up, ignored by the client, or still waiting when its session ends); and the order in which
/// what resolves together is reported.
extension ICQSessionTable {
    /// Returns true when the packet is a copy of a pending exchange (a retransmission).
    @discardableResult
    mutating func record(_ key: ExchangeKey, command: UInt16, frame: UInt64, time: Int64, gap: Int64,
                        sessionsCounted: Int) -> Bool {
        let i = Int(key.session)
        let keyHash = hash(key)
        if let x = findExchange(key, keyHash) {
            if exchanges[Int(x)].exchange.command == command {
                // A copy of a request the server already acked: the ack never reached the client.
                exchanges[Int(x)].exchange.reopen()
                exchanges[Int(x)].exchange.addCopy(frame: frame, time: time)
                if key.fromClient {
                    SessionSlot.count(&sessions[i].clientRetransmissions)
                } else {
                    SessionSlot.count(&sessions[i].serverRetransmissions)
                }
                giveUpDeadlines.schedule(x, at: giveUpDeadline(x), order: exchanges[Int(x)].serial)
                return true
            }
            // The same seq reused for another command: the old exchange is over.
            conclude(x)
        }
        guard exchangeIndex.count < configuration.maximumPendingPerSession * max(1, sessionsCounted) else { return false }
        var exchange = ICQExchange(command: command, seq1: key.seq1, seq2: key.seq2, frame: frame, time: time)
        exchange.gapBefore = gap
        exchange.otherPartyCountAtStart = UInt64(key.fromClient ? sessions[i].serverPackets : sessions[i].clientPackets)
        exchangeSerials += 1
        var slot = ExchangeSlot(exchange: exchange, key: key, serial: exchangeSerials)
        // Linked at the head of its session's list (the order is restored by sorting).
        let head = key.fromClient ? sessions[i].clientExchanges : sessions[i].serverExchanges
        slot.next = head
        let x = exchanges.store(slot, reusing: &freeExchanges)
        if head >= 0 { exchanges[Int(head)].previous = x }
        if key.fromClient { sessions[i].clientExchanges = x } else { sessions[i].serverExchanges = x }
        exchangeIndex.insert(x, hash: keyHash)
        giveUpDeadlines.schedule(x, at: giveUpDeadline(x), order: exchangeSerials)
        return false
    }

    /// How long a client may take to ack a push before its next packet shows it never got it.
    static let clientAckGrace: Int64 = 2_000_000_000

    /// Walks only this session's pending pushes.
    mutating func resolvePushesIgnored(by header: ICQHeader, session s: Int32, time: Int64) {
        let i = Int(s)
        var x = sessions[i].serverExchanges
        guard x >= 0 else { return }
        let isAck = header.command == ICQCommand.ack
        let acking = (header.seq1, header.seq2 ?? 0)
        expiring.removeAll(keepingCapacity: true)
        while x >= 0 {
            if time > CaptureTime.after(exchanges[Int(x)].exchange.lastTime, Self.clientAckGrace)
                && !(isAck && acking == (exchanges[Int(x)].exchange.seq1, exchanges[Int(x)].exchange.seq2)) {
                expiring.append(order(of: x))
            }
            x = exchanges[Int(x)].next
        }
        sortExpiring()
        for entry in expiring {
            var exchange = removeExchange(entry.slot)
            settle(&exchange, session: s, fromClient: false)
            outbox.append(.push(facts(s), exchange, acked: false))
        }
    }

    /// An ack resolves its exchange at once. A client request then stays in the table, acked,
    /// until its give-up deadline: a copy the client sends meanwhile did not get the ack (lost
    /// after the capture point), joins it, and it is judged again when its time is up.
    mutating func resolveAck(for key: ExchangeKey, frame: UInt64, time: Int64) {
        let keyHash = hash(key)
        guard let x = findExchange(key, keyHash), exchanges[Int(x)].exchange.ack == nil else { return }
        exchanges[Int(x)].exchange.ack = (frame, time)
        // Resent after an earlier ack: reported with every copy when its time is up.
        if exchanges[Int(x)].exchange.resentAfterAck { return }
        if exchanges[Int(x)].exchange.copyCount == 1 {
            noteRoundTrip(key.session, time &- exchanges[Int(x)].exchange.firstTime)
        }
        let lingers = key.fromClient && exchangeIndex.count < configuration.maximumPendingPerSession * max(1, sessionIndex.count) / 2
        var exchange: ICQExchange
        if lingers {
            exchange = exchanges[Int(x)].exchange
        } else {
            exchangeIndex.remove(x, hash: keyHash)
            exchange = takeExchange(x)
        }
        settle(&exchange, session: key.session, fromClient: key.fromClient)
        let facts = facts(key.session)
        outbox.append(key.fromClient ? .request(facts, exchange, acked: true) : .push(facts, exchange, acked: true))
    }

    /// An acked request still in the table only so that a late copy would join it, none having
    /// come: it goes without a report.
    @inline(__always)
    func isKeptOnlyForLateCopies(_ x: Int32) -> Bool {
        exchanges[Int(x)].exchange.ack != nil && !exchanges[Int(x)].exchange.resentAfterAck
    }

    /// An exchange whose time is up (its deadline passed, or its seq was reused): reported,
    /// unless it is an acked request kept only for copies that did not come.
    mutating func conclude(_ x: Int32) {
        let key = exchanges[Int(x)].key
        var exchange = removeExchange(x)
        let acked = exchange.ack != nil
        if acked && !exchange.resentAfterAck { return }
        settle(&exchange, session: key.session, fromClient: key.fromClient)
        let facts = facts(key.session)
        outbox.append(key.fromClient ? .request(facts, exchange, acked: acked) : .push(facts, exchange, acked: acked))
    }

    @inline(__always)
    func giveUpDeadline(_ x: Int32) -> Int64 {
        CaptureTime.after(exchanges[Int(x)].exchange.lastTime, giveUp(copies: exchanges[Int(x)].exchange.copyCount))
    }

    /// Takes the exchange out of every index and frees its slot.
    mutating func removeExchange(_ x: Int32) -> ICQExchange {
        exchangeIndex.remove(x, hash: hash(exchanges[Int(x)].key))
        return takeExchange(x)
    }

    /// Takes the exchange out of its session's list and the deadline queue, and frees its slot
    /// (the caller has taken it out of the hash index).
    mutating func takeExchange(_ x: Int32) -> ICQExchange {
        let key = exchanges[Int(x)].key
        let previous = exchanges[Int(x)].previous
        let next = exchanges[Int(x)].next
        giveUpDeadlines.remove(x)
        if previous >= 0 {
            exchanges[Int(previous)].next = next
        } else if key.fromClient {
            sessions[Int(key.session)].clientExchanges = next
        } else {
            sessions[Int(key.session)].serverExchanges = next
        }
        if next >= 0 { exchanges[Int(next)].previous = previous }
        exchanges[Int(x)].previous = -1
        exchanges[Int(x)].next = -1
        freeExchanges.append(x)
        // Moved out, not copied: a free slot holds nothing counted by reference.
        var taken = ICQExchange.vacant
        swap(&taken, &exchanges[Int(x)].exchange)
        return taken
    }


    // MARK: report order

    /// Exchanges resolved together are reported by first copy, then seq1 (then creation).
    struct ExchangeOrder: Comparable {
        var firstTime: Int64
        var seq1: UInt16
        /// The first copy's frame (not the table's own serial): the same order in every shard.
        var firstFrame: UInt64
        var slot: Int32
        static func < (a: ExchangeOrder, b: ExchangeOrder) -> Bool {
            (a.firstTime, a.seq1, a.firstFrame) < (b.firstTime, b.seq1, b.firstFrame)
        }
    }

    /// Sessions ended together are reported by UIN, then session id.
    struct SessionOrder: Comparable {
        var key: ICQSession.Key
        var slot: Int32
        static func < (a: SessionOrder, b: SessionOrder) -> Bool {
            (a.key.uin, a.key.sessionID) < (b.key.uin, b.key.sessionID)
        }
    }

    @inline(__always)
    func order(of x: Int32) -> ExchangeOrder {
        ExchangeOrder(firstTime: exchanges[Int(x)].exchange.firstTime, seq1: exchanges[Int(x)].exchange.seq1,
                      firstFrame: exchanges[Int(x)].exchange.firstFrame, slot: x)
    }

    mutating func sortExpiring() {
        if expiring.count > 1 { expiring.sort() }
    }
}
