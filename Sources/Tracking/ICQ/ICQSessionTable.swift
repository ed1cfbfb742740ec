import Bytes
import Capture
import Wire

/// The session tracker's state and every step it takes, as a value: the tracker holds one and
/// calls into it once per packet, so the per-packet work touches plain struct fields (no
/// exclusivity check per field, as a class's stored properties would need).
///
/// Sessions and exchanges live in pools of slots found through hash indexes; each session links
/// its own pending exchanges; give-ups and idle expiry come from deadline queues, never from
/// walking the tables; a full table evicts the head of the idle queue.
///
/// The read-only helpers that its steps call are `@inline(__always)`: a non-mutating method
/// called from a mutating one is handed a copy of the whole table (368 bytes, and a retain and
/// release of each of its arrays), at every packet.
struct ICQSessionTable {
    var configuration: ICQSessionTracker.Configuration

    /// Reserved at the table's full size with the first session, so it never grows by copying
    /// (the reservation is backed only as slots are used).
    var sessions: [SessionSlot] = []
    var freeSessions: [Int32] = []
    var sessionIndex = SlotIndex()
    /// The rare parts of sessions (`SessionSlot.extras`), the lists that grow with a session
    /// (round trips, keep-alives) and the IPv6 addresses its endpoints name.
    var extras: [SessionExtras] = []
    var freeExtras: [Int32] = []
    var history = ValueBlockPool()
    var addresses = IPv6AddressPool()
    /// Per session slot, a deadline no later than its idle deadline (last packet + idle
    /// timeout): packets only move a session's last time forward, so the queue is corrected when
    /// its entry comes up rather than on every packet.
    var idleDeadlines = DeadlineHeap()

    var exchanges: [ExchangeSlot] = []
    var freeExchanges: [Int32] = []
    var exchangeIndex = SlotIndex()
    /// Per exchange slot, its give-up deadline, kept exact.
    var giveUpDeadlines = DeadlineHeap()

    let hasher = SlotHasher()
    /// The session slot a client endpoint belongs to, for server packets that carry only a
    /// session id and for ICMP errors. Each endpoint here is one its session holds (a side's, or
    /// one it was rebound from), and is removed when the session ends.
    var sessionByClient: [CompactEndpoint: Int32] = [:]
    var outbox: [ICQSessionTracker.Event] = []
    /// Reused scratch for what resolves at one instant, sorted into the order it is reported.
    var expiring: [ExchangeOrder] = []
    var idle: [SessionOrder] = []
    /// The session slots the end of the capture ends, in order of key, and the next to end.
    var closing: [Int32] = []
    var closingNext: Int? = nil
    var sessionSerials: UInt32 = 0
    var exchangeSerials: UInt64 = 0
    var evictedSessions: UInt64 = 0
    /// The latest capture time seen.
    var clock: Int64 = .min

    /// See `ICQSessionTracker.approximateBytesPerSession`.
    /// A session's slot; its index entries (8 bytes at most half full), its idle deadline (24
    /// bytes), its client endpoint's entry (12 bytes at most three quarters full); three blocks
    /// of history (a few round trips and keep-alives); and one pending exchange with its index
    /// entry and deadline.
    static var approximateBytesPerSession: Int {
        MemoryLayout<SessionSlot>.stride + 2 * 8 + 24 + 2 * 12
            + 3 * MemoryLayout<ValueBlockPool.Block>.stride
            + MemoryLayout<ExchangeSlot>.stride + 2 * 8 + 24
    }

    init(configuration: ICQSessionTracker.Configuration) {
        self.configuration = configuration
    }

    // MARK: the outbox

    /// Whether events wait in the outbox.
    var hasEvents: Bool { !outbox.isEmpty }

    /// Hands over the events since the last drain, in the order they happened: `buffer` is
    /// emptied (keeping its capacity) and swapped with the outbox, so once both have grown
    /// nothing is allocated.
    mutating func drainEvents(into buffer: inout [ICQSessionTracker.Event]) {
        buffer.removeAll(keepingCapacity: true)
        swap(&buffer, &outbox)
    }

    // MARK: packets

    /// Feeds one classic ICQ packet. `side` is the capture side it was seen on.
    mutating func observe(_ packet: ICQPacket, source: Endpoint, destination: Endpoint, frame: UInt64,
                          time: Int64, side: Int) {
        advance(to: time)
        let header = packet.header
        guard header.version >= 5, let sessionID = header.sessionID, let uin = header.uin else { return }
        let fromClient = header.direction == .clientToServer
        let key = ICQSession.Key(uin: uin, sessionID: sessionID)
        let client = fromClient ? source : destination
        let server = fromClient ? destination : source
        let s: Int32
        let isNew: Bool
        if let found = findSession(key) {
            s = found
            isNew = false
        } else {
            s = startSession(key, version: header.version, client: client, server: server, time: time)
            isNew = true
        }
        let i = Int(s)
        // Idle gap before this packet, measured from the last packet either way (conntrack
        // refreshes on both directions).
        let gap = CaptureTime.elapsed(from: sessions[i].lastTime, to: time)
        if fromClient {
            if gap > configuration.firewallTimeout { sessions[i].flags.insert(.idleBeyondFirewallTimeout) }
            // A client acks a push at once: one that speaks again later without acking a push
            // never got it. Judge those pushes before anything this packet shows (a rebinding).
            resolvePushesIgnored(by: header, session: s, time: time)
            clientSpoke(s, from: client, side: Int32(truncatingIfNeeded: side), frame: frame, time: time)
            SessionSlot.count(&sessions[i].clientPackets)
            sessions[i].lastClientTime = time
        } else {
            SessionSlot.count(&sessions[i].serverPackets)
        }
        touch(s, time: time)
        let command = header.command
        let seq1 = header.seq1
        let seq2 = header.seq2 ?? 0
        if command == ICQCommand.ack {
            // An ack (CMD_ACK from the client, SRV_ACK from the server) answers the other side.
            resolveAck(for: ExchangeKey(session: s, fromClient: !fromClient, seq1: seq1, seq2: seq2),
                       frame: frame, time: time)
        } else {
            if !fromClient {
                // An idle gap longer than the firewall's timeout since the server's last packet
                // (this one's, or one before a client packet since): lost packets in a jump of
                // its sequence were sent into that gap.
                let idleTooLong = sessions[i].has(.idleBeyondFirewallTimeout) || gap > configuration.firewallTimeout
                sessions[i].flags.remove(.idleBeyondFirewallTimeout)
                let hasLast = sessions[i].has(.hasLastServerSeq)
                let last = sessions[i].lastServerSeq
                if hasLast, idleTooLong, seq1 &- last > 1, seq1 &- last < 0x8000 {
                    outbox.append(.serverSequenceGap(facts(s), frame: frame, time: time, expected: last &+ 1, got: seq1))
                }
                if !hasLast || seq1 &- last < 0x8000 {
                    sessions[i].lastServerSeq = seq1
                    sessions[i].lastServerSeqFrame = frame
                    sessions[i].flags.insert(.hasLastServerSeq)
                }
            }
            // The session being started by this packet does not count yet towards the cap on
            // pending exchanges (it joins the table once its first packet is handled).
            let isCopy = record(ExchangeKey(session: s, fromClient: fromClient, seq1: seq1, seq2: seq2), command: command,
                                frame: frame, time: time, gap: gap, sessionsCounted: sessionIndex.count - (isNew ? 1 : 0))
            // A retransmitted keep-alive is the same keep-alive: its interval is the client's
            // retransmission timer, not its keep-alive timer.
            if !isCopy && fromClient && (command == ICQCommand.Client.keepAlive || command == ICQCommand.Client.keepAlive2) {
                noteKeepalive(s, time: time, frame: frame)
            }
        }
        if case .loginReply(let reply) = packet.body, let hint = reply.keepAliveHint, hint > 0 {
            sessions[i].keepaliveHintSeconds = hint
            sessions[i].loginReplyFrame = frame
            sessions[i].flags.insert(.hasLoginReply)
        }
        if fromClient && command == ICQCommand.Client.sendTextCode {
            sessions[i].flags.insert(.loggedOut)
            endSession(s, reason: .logout)
        }
    }

    /// `advance` has nothing to resolve up to this time (`.max`: nothing waits). A mutating
    /// getter: the tracker's table is then read in place, where a plain getter called from
    /// another module copied the whole table (368 bytes) at every ask.
    var nextDeadline: Int64 {
        mutating get { min(giveUpDeadlines.first?.deadline ?? .max, idleDeadlines.first?.deadline ?? .max) }
    }

    /// What `advance` does when nothing is due: the clock moves.
    mutating func moveClock(to time: Int64) {
        clock = max(clock, time)
    }

    /// Resolves every exchange whose deadline has passed and ends idle sessions. What resolves
    /// at one instant is reported in a fixed order: exchanges by first copy (then seq1), then
    /// sessions by UIN and session id.
    mutating func advance(to time: Int64) {
        moveClock(to: time)
        if let top = giveUpDeadlines.first, top.deadline < time {
            expiring.removeAll(keepingCapacity: true)
            while let top = giveUpDeadlines.first, top.deadline < time {
                _ = giveUpDeadlines.popFirst()
                // An acked request kept for late copies that did not come: nothing to report,
                // so nothing to order.
                if isKeptOnlyForLateCopies(top.id) {
                    _ = removeExchange(top.id)
                    continue
                }
                expiring.append(order(of: top.id))
            }
            sortExpiring()
            for entry in expiring { conclude(entry.slot) }
        }
        if let top = idleDeadlines.first, top.deadline < time {
            idle.removeAll(keepingCapacity: true)
            while let top = idleDeadlines.first, top.deadline < time {
                let deadline = idleDeadline(top.id)
                if deadline < time {
                    _ = idleDeadlines.popFirst()
                    idle.append(SessionOrder(key: sessions[Int(top.id)].key, slot: top.id))
                } else {
                    // Active since it was queued: requeued at its real deadline, after `time`.
                    idleDeadlines.schedule(top.id, at: deadline, order: UInt64(sessions[Int(top.id)].serial))
                }
            }
            idle.sort()
            for entry in idle { endSession(entry.slot, reason: .idleTimeout) }
        }
    }

    /// End of capture: what still waits is reported as unresolved (its deadline is still open),
    /// and sessions end with `end_of_capture`.
    mutating func finish() {
        while finish(upTo: .max) {}
    }

    /// Ends up to `count` more sessions at the end of the capture, oldest key first; true while
    /// some remain. The caller drains the events between calls, so a gateway's hundred thousand
    /// sessions do not all wait in the outbox at once.
    mutating func finish(upTo count: Int) -> Bool {
        if closingNext == nil {
            // Nothing expires any more: the idle queue goes before the list of what is left is
            // made, so the end of a capture does not hold both at once.
            idleDeadlines = DeadlineHeap()
            closing.removeAll(keepingCapacity: true)
            closing.reserveCapacity(sessionIndex.count)
            for s in sessions.indices where sessions[s].has(.inUse) { closing.append(Int32(s)) }
            closing.sort { (sessions[Int($0)].key.uin, sessions[Int($0)].key.sessionID)
                            < (sessions[Int($1)].key.uin, sessions[Int($1)].key.sessionID) }
            closingNext = 0
        }
        let start = closingNext!
        let end = start + min(count, closing.count - start)
        for k in start..<end { endSession(closing[k], reason: .endOfCapture) }
        guard end < closing.count else {
            closingNext = nil
            return false
        }
        closingNext = end
        return true
    }

    var activeSessions: Int { sessionIndex.count }

    /// How long after its last copy an exchange is given up: the ack wait once the sender has
    /// reached the real client's maximum of transmissions, else 2× the retransmission interval
    /// (no further copy came) or the ack wait, whichever is longer.
    @inline(__always)
    func giveUp(copies: Int) -> Int64 {
        copies >= configuration.maximumTransmissions
            ? configuration.ackWait : max(CaptureTime.after(configuration.retransmitInterval, configuration.retransmitInterval),
                                          configuration.ackWait)
    }

    // MARK: indexes

    @inline(__always)
    func hash(_ key: ICQSession.Key) -> UInt64 {
        hasher.hash(UInt64(key.uin) << 32 | UInt64(key.sessionID), 0x4943_5153)
    }

    /// The whole key fits in one word: slot, direction and both sequence numbers.
    @inline(__always)
    func hash(_ key: ExchangeKey) -> UInt64 {
        hasher.hash(UInt64(UInt32(bitPattern: key.session)) << 33 | (key.fromClient ? 1 << 32 : 0)
                        | UInt64(key.seq1) << 16 | UInt64(key.seq2), 0x4943_5158)
    }

    @inline(__always)
    func findSession(_ key: ICQSession.Key) -> Int32? {
        sessionIndex.find(hash(key)) { sessions[Int($0)].key == key }
    }

    @inline(__always)
    func findExchange(_ key: ExchangeKey, _ keyHash: UInt64) -> Int32? {
        exchangeIndex.find(keyHash) { exchanges[Int($0)].key == key }
    }

    // MARK: queries

    func session(for key: ICQSession.Key) -> ICQSession? {
        findSession(key).map { makeSession($0) }
    }

    func isOpen(_ key: ICQSession.Key) -> Bool { findSession(key) != nil }

    func facts(for key: ICQSession.Key) -> ICQSessionFacts? {
        findSession(key).map { facts($0) }
    }

    func sessionKey(forClient endpoint: Endpoint) -> ICQSession.Key? {
        guard let compact = addresses.find(endpoint), let s = sessionByClient[compact] else { return nil }
        return sessions[Int(s)].key
    }

    var occupancy: ICQSessionTracker.Occupancy {
        ICQSessionTracker.Occupancy(
            sessions: sessionIndex.count, pendingExchanges: exchangeIndex.count, clientEndpoints: sessionByClient.count,
            queuedIdleDeadlines: idleDeadlines.count, queuedGiveUps: giveUpDeadlines.count,
            sessionSlots: sessions.count - freeSessions.count, exchangeSlots: exchanges.count - freeExchanges.count,
            historyBlocks: history.blocksInUse, ipv6Addresses: addresses.count)
    }
}
