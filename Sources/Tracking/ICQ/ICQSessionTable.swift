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
struct ICQSessionTable {
    /// An exchange is known by its session's slot (a slot is reused only after every exchange
    /// of its session is gone), the direction and both sequence numbers.
    struct ExchangeKey: Hashable {
        var session: Int32
        var fromClient: Bool
        var seq1: UInt16
        var seq2: UInt16
    }

    struct SessionSlot {
        var session: ICQSession
        /// Creation order: breaks ties between sessions that went quiet at the same instant.
        var serial: UInt64 = 0
        /// Heads of the session's pending exchanges, linked through `ExchangeSlot.previous/next`.
        var clientExchanges: Int32 = -1
        var serverExchanges: Int32 = -1
        var inUse = false
        /// Whether `sessionByClient[session.client]` is this session: a client packet from the
        /// same endpoint then needs no hash. Cleared when another session takes the endpoint over.
        var ownsClientEntry = false
    }

    struct ExchangeSlot {
        var exchange: ICQExchange
        var key: ExchangeKey
        /// Creation order: breaks ties in the order exchanges are reported.
        var serial: UInt64 = 0
        var previous: Int32 = -1
        var next: Int32 = -1
    }

    var configuration: ICQSessionTracker.Configuration

    private var sessions: [SessionSlot] = []
    private var freeSessions: [Int32] = []
    private var sessionIndex = SlotIndex()
    /// Per session slot, a deadline no later than its idle deadline (last packet + idle
    /// timeout): packets only move a session's last time forward, so the queue is corrected when
    /// its entry comes up rather than on every packet.
    private var idleDeadlines = DeadlineHeap()

    private var exchanges: [ExchangeSlot] = []
    private var freeExchanges: [Int32] = []
    private var exchangeIndex = SlotIndex()
    /// Per exchange slot, its give-up deadline, kept exact.
    private var giveUpDeadlines = DeadlineHeap()

    private let hasher = SlotHasher()
    /// The session a client endpoint belongs to, for server packets that carry only a session id.
    private var sessionByClient: [Endpoint: ICQSession.Key] = [:]
    private var outbox: [ICQSessionTracker.Event] = []
    /// Reused scratch for what resolves at one instant, sorted into the order it is reported.
    private var expiring: [ExchangeOrder] = []
    private var idle: [SessionOrder] = []
    /// The sessions the end of the capture ends, in order, and the next to end.
    private var closing: [SessionOrder] = []
    private var closingNext: Int? = nil
    private var serials: UInt64 = 0
    private(set) var evictedSessions: UInt64 = 0
    /// The latest capture time seen.
    private var clock: Int64 = .min

    /// See `ICQSessionTracker.approximateBytesPerSession`.
    static var approximateBytesPerSession: Int {
        MemoryLayout<SessionSlot>.stride
            + 2 * (MemoryLayout<ICQSession.Key>.stride + MemoryLayout<Int32>.stride)
            + 2 * (MemoryLayout<Endpoint>.stride + MemoryLayout<ICQSession.Key>.stride)
            + 16
            + 4 * (MemoryLayout<ExchangeSlot>.stride + 2 * (MemoryLayout<ExchangeKey>.stride + MemoryLayout<Int32>.stride) + 16)
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
            s = startSession(key, version: header.version, client: client, server: server, frame: frame, time: time)
            isNew = true
        }
        let i = Int(s)
        // Idle gap before this packet, measured from the last packet either way (conntrack
        // refreshes on both directions).
        let gap = CaptureTime.elapsed(from: sessions[i].session.lastTime, to: time)
        if fromClient {
            sessions[i].session.longestIdleSinceServerPacket = max(sessions[i].session.longestIdleSinceServerPacket, gap)
            // A client acks a push at once: one that speaks again later without acking a push
            // never got it. Judge those pushes before anything this packet shows (a rebinding).
            resolvePushesIgnored(by: header, session: s, time: time)
            if let previous = sessions[i].session.clientBySide[side], previous != client {
                sessions[i].session.rebindings.append((frame, previous, client))
                outbox.append(.rebinding(sessions[i].session.facts, frame: frame, time: time, from: previous, to: client))
            }
            sessions[i].session.clientBySide[side] = client
            if !(sessions[i].ownsClientEntry && sessions[i].session.client == client) { claim(client, for: s) }
            sessions[i].session.client = client
            sessions[i].session.clientPackets += 1
            sessions[i].session.lastClientTime = time
        } else {
            sessions[i].session.serverPackets += 1
            sessions[i].session.lastServerTime = time
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
                // The longest idle gap since the server's last packet: lost packets in a jump
                // of its sequence were sent into that gap.
                let idle = max(sessions[i].session.longestIdleSinceServerPacket, gap)
                sessions[i].session.longestIdleSinceServerPacket = 0
                if let last = sessions[i].session.lastServerSeq, idle > configuration.firewallTimeout,
                   seq1 &- last > 1, seq1 &- last < 0x8000 {
                    outbox.append(.serverSequenceGap(sessions[i].session.facts, frame: frame, time: time,
                                                     expected: last &+ 1, got: seq1))
                }
                if sessions[i].session.lastServerSeq.map({ seq1 &- $0 < 0x8000 }) ?? true {
                    sessions[i].session.lastServerSeq = seq1
                    sessions[i].session.lastServerSeqFrame = frame
                }
            }
            // The session being started by this packet does not count yet towards the cap on
            // pending exchanges (it joins the table once its first packet is handled).
            record(ExchangeKey(session: s, fromClient: fromClient, seq1: seq1, seq2: seq2), command: command,
                   frame: frame, time: time, gap: gap, sessionsCounted: sessionIndex.count - (isNew ? 1 : 0))
            if fromClient && (command == ICQCommand.Client.keepAlive || command == ICQCommand.Client.keepAlive2) {
                sessions[i].session.noteKeepalive(time, frame: frame)
            }
        }
        if case .loginReply(let reply) = packet.body, let hint = reply.keepAliveHint, hint > 0 {
            sessions[i].session.keepaliveHint = Int64(hint) * 1_000_000_000
            sessions[i].session.loginReplyFrame = frame
        }
        if fromClient && command == ICQCommand.Client.sendTextCode {
            sessions[i].session.loggedOut = true
            endSession(s, reason: .logout)
        }
    }

    /// Resolves every exchange whose deadline has passed and ends idle sessions. What resolves
    /// at one instant is reported in a fixed order: exchanges by first copy (then seq1), then
    /// sessions by UIN and session id.
    mutating func advance(to time: Int64) {
        clock = max(clock, time)
        if let top = giveUpDeadlines.first, top.deadline < time {
            expiring.removeAll(keepingCapacity: true)
            while let top = giveUpDeadlines.first, top.deadline < time {
                _ = giveUpDeadlines.popFirst()
                expiring.append(order(of: top.id))
            }
            sortExpiring()
            for entry in expiring {
                let key = exchanges[Int(entry.slot)].key
                var exchange = removeExchange(entry.slot)
                exchange.settle(in: sessions[Int(key.session)].session, fromClient: key.fromClient)
                let facts = sessions[Int(key.session)].session.facts
                outbox.append(key.fromClient ? .request(facts, exchange, acked: false) : .push(facts, exchange, acked: false))
            }
        }
        if let top = idleDeadlines.first, top.deadline < time {
            idle.removeAll(keepingCapacity: true)
            while let top = idleDeadlines.first, top.deadline < time {
                let deadline = idleDeadline(top.id)
                if deadline < time {
                    _ = idleDeadlines.popFirst()
                    idle.append(SessionOrder(key: sessions[Int(top.id)].session.key, slot: top.id))
                } else {
                    // Active since it was queued: requeued at its real deadline, after `time`.
                    idleDeadlines.schedule(top.id, at: deadline, order: sessions[Int(top.id)].serial)
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
            closing.removeAll(keepingCapacity: true)
            for s in sessions.indices where sessions[s].inUse {
                closing.append(SessionOrder(key: sessions[s].session.key, slot: Int32(s)))
            }
            closing.sort()
            closingNext = 0
        }
        let start = closingNext!
        let end = start + min(count, closing.count - start)
        for k in start..<end { endSession(closing[k].slot, reason: .endOfCapture) }
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
    func giveUp(copies: Int) -> Int64 {
        copies >= configuration.maximumTransmissions
            ? configuration.ackWait : max(Self.adding(configuration.retransmitInterval, configuration.retransmitInterval),
                                          configuration.ackWait)
    }

    // MARK: sessions

    private mutating func startSession(_ key: ICQSession.Key, version: UInt8, client: Endpoint, server: Endpoint,
                              frame: UInt64, time: Int64) -> Int32 {
        if sessionIndex.count >= configuration.maximumSessions, let oldest = leastRecentlyActive() {
            evictedSessions += 1
            endSession(oldest, reason: .idleTimeout)
        }
        let session = ICQSession(key: key, version: version, client: client, server: server, firstTime: time,
                                 lastTime: time, firstFrame: frame)
        serials += 1
        let s = sessions.store(SessionSlot(session: session, serial: serials), reusing: &freeSessions)
        sessions[Int(s)].inUse = true
        sessionIndex.insert(s, hash: hash(key))
        idleDeadlines.schedule(s, at: idleDeadline(s), order: serials)
        return s
    }

    /// The session whose last packet is the oldest (the earliest created among equals): the
    /// queue's head once the entries in front of it are corrected to their real deadlines.
    private mutating func leastRecentlyActive() -> Int32? {
        while let top = idleDeadlines.first {
            let deadline = idleDeadline(top.id)
            if deadline == top.deadline { return top.id }
            idleDeadlines.schedule(top.id, at: deadline, order: sessions[Int(top.id)].serial)
        }
        return nil
    }

    private func idleDeadline(_ s: Int32) -> Int64 {
        Self.adding(sessions[Int(s)].session.lastTime, configuration.idleTimeout)
    }

    /// A packet of the session at `time`. A capture's clock can step back (merged interfaces): a
    /// last time that moves earlier moves the queued deadline with it, so none is ever late.
    private mutating func touch(_ s: Int32, time: Int64) {
        let earlier = time < sessions[Int(s)].session.lastTime
        sessions[Int(s)].session.lastTime = time
        if earlier, let queued = idleDeadlines.deadline(of: s) {
            let deadline = idleDeadline(s)
            if deadline < queued { idleDeadlines.schedule(s, at: deadline, order: sessions[Int(s)].serial) }
        }
    }

    private mutating func endSession(_ s: Int32, reason: ICQSession.EndReason) {
        let i = Int(s)
        let key = sessions[i].session.key
        sessionIndex.remove(s, hash: hash(key))
        idleDeadlines.remove(s)
        sessions[i].session.endReason = reason
        expiring.removeAll(keepingCapacity: true)
        collect(from: sessions[i].clientExchanges)
        collect(from: sessions[i].serverExchanges)
        sortExpiring()
        for entry in expiring {
            let fromClient = exchanges[Int(entry.slot)].key.fromClient
            var exchange = removeExchange(entry.slot)
            exchange.settle(in: sessions[i].session, fromClient: fromClient)
            let facts = sessions[i].session.facts
            let waited = clock &- exchange.lastTime
            if reason == .endOfCapture && waited > giveUp(copies: exchange.copyCount) {
                outbox.append(fromClient ? .request(facts, exchange, acked: false) : .push(facts, exchange, acked: false))
            } else {
                outbox.append(.unresolved(facts, exchange, fromClient: fromClient,
                                          atEndOfCapture: reason == .endOfCapture, waited: waited))
            }
        }
        // The client endpoints this session was seen from: those it had on each side, and
        // those it had before a NAT rebinding. Another session may have taken one over since.
        let sides = sessions[i].session.clientBySide
        sides.forEachEndpoint { endpoint in
            if sessionByClient[endpoint] == key { sessionByClient.removeValue(forKey: endpoint) }
        }
        for rebinding in sessions[i].session.rebindings { forget(client: rebinding.from, of: key) }
        var ended = SessionSlot(session: Self.vacant)
        swap(&ended, &sessions[i])
        freeSessions.append(s)
        outbox.append(.sessionEnded(ended.session))
    }

    /// Queues every exchange of one of a session's lists for reporting.
    private mutating func collect(from head: Int32) {
        var x = head
        while x >= 0 {
            expiring.append(order(of: x))
            x = exchanges[Int(x)].next
        }
    }

    /// Points the client endpoint at session `s`, taking it from the session that had it.
    private mutating func claim(_ client: Endpoint, for s: Int32) {
        let key = sessions[Int(s)].session.key
        if let previous = sessionByClient.updateValue(key, forKey: client), previous != key,
           let other = findSession(previous), sessions[Int(other)].session.client == client {
            sessions[Int(other)].ownsClientEntry = false
        }
        sessions[Int(s)].ownsClientEntry = true
    }

    private mutating func forget(client endpoint: Endpoint, of key: ICQSession.Key) {
        if sessionByClient[endpoint] == key { sessionByClient.removeValue(forKey: endpoint) }
    }

    /// What a free slot holds (nothing counted by reference).
    private static let vacant = ICQSession(
        key: ICQSession.Key(uin: 0, sessionID: 0), version: 0,
        client: Endpoint(address: IPAddress(ipv4: 0), port: 0), server: Endpoint(address: IPAddress(ipv4: 0), port: 0),
        firstTime: 0, lastTime: 0, firstFrame: 0)

    // MARK: exchanges

    private mutating func record(_ key: ExchangeKey, command: UInt16, frame: UInt64, time: Int64, gap: Int64,
                        sessionsCounted: Int) {
        let i = Int(key.session)
        let keyHash = hash(key)
        if let x = findExchange(key, keyHash) {
            if exchanges[Int(x)].exchange.command == command {
                exchanges[Int(x)].exchange.addCopy(frame: frame, time: time)
                if key.fromClient {
                    sessions[i].session.clientRetransmissions += 1
                } else {
                    sessions[i].session.serverRetransmissions += 1
                }
                giveUpDeadlines.schedule(x, at: giveUpDeadline(x), order: exchanges[Int(x)].serial)
                return
            }
            // The same seq reused for another command: the old exchange is over.
            var replaced = removeExchange(x)
            replaced.settle(in: sessions[i].session, fromClient: key.fromClient)
            let facts = sessions[i].session.facts
            outbox.append(key.fromClient ? .request(facts, replaced, acked: false) : .push(facts, replaced, acked: false))
        }
        guard exchangeIndex.count < configuration.maximumPendingPerSession * max(1, sessionsCounted) else { return }
        var exchange = ICQExchange(command: command, seq1: key.seq1, seq2: key.seq2, frame: frame, time: time)
        exchange.gapBefore = gap
        exchange.otherPartyCountAtStart = key.fromClient ? sessions[i].session.serverPackets : sessions[i].session.clientPackets
        serials += 1
        var slot = ExchangeSlot(exchange: exchange, key: key, serial: serials)
        // Linked at the head of its session's list (the order is restored by sorting).
        let head = key.fromClient ? sessions[i].clientExchanges : sessions[i].serverExchanges
        slot.next = head
        let x = exchanges.store(slot, reusing: &freeExchanges)
        if head >= 0 { exchanges[Int(head)].previous = x }
        if key.fromClient { sessions[i].clientExchanges = x } else { sessions[i].serverExchanges = x }
        exchangeIndex.insert(x, hash: keyHash)
        giveUpDeadlines.schedule(x, at: giveUpDeadline(x), order: serials)
    }

    /// How long a client may take to ack a push before its next packet shows it never got it.
    static let clientAckGrace: Int64 = 2_000_000_000

    /// Walks only this session's pending pushes.
    private mutating func resolvePushesIgnored(by header: ICQHeader, session s: Int32, time: Int64) {
        let i = Int(s)
        var x = sessions[i].serverExchanges
        guard x >= 0 else { return }
        let isAck = header.command == ICQCommand.ack
        let acking = (header.seq1, header.seq2 ?? 0)
        expiring.removeAll(keepingCapacity: true)
        while x >= 0 {
            if time > Self.adding(exchanges[Int(x)].exchange.lastTime, Self.clientAckGrace)
                && !(isAck && acking == (exchanges[Int(x)].exchange.seq1, exchanges[Int(x)].exchange.seq2)) {
                expiring.append(order(of: x))
            }
            x = exchanges[Int(x)].next
        }
        sortExpiring()
        for entry in expiring {
            var exchange = removeExchange(entry.slot)
            exchange.settle(in: sessions[i].session, fromClient: false)
            outbox.append(.push(sessions[i].session.facts, exchange, acked: false))
        }
    }

    private mutating func resolveAck(for key: ExchangeKey, frame: UInt64, time: Int64) {
        let keyHash = hash(key)
        guard let x = findExchange(key, keyHash) else { return }
        exchangeIndex.remove(x, hash: keyHash)
        let i = Int(key.session)
        var exchange = takeExchange(x)
        exchange.ack = (frame, time)
        exchange.settle(in: sessions[i].session, fromClient: key.fromClient)
        if exchange.copyCount == 1 { sessions[i].session.noteRoundTrip(time &- exchange.firstTime) }
        let facts = sessions[i].session.facts
        outbox.append(key.fromClient ? .request(facts, exchange, acked: true) : .push(facts, exchange, acked: true))
    }

    private func giveUpDeadline(_ x: Int32) -> Int64 {
        Self.adding(exchanges[Int(x)].exchange.lastTime, giveUp(copies: exchanges[Int(x)].exchange.copyCount))
    }

    /// Takes the exchange out of every index and frees its slot.
    private mutating func removeExchange(_ x: Int32) -> ICQExchange {
        exchangeIndex.remove(x, hash: hash(exchanges[Int(x)].key))
        return takeExchange(x)
    }

    /// Takes the exchange out of its session's list and the deadline queue, and frees its slot
    /// (the caller has taken it out of the hash index).
    private mutating func takeExchange(_ x: Int32) -> ICQExchange {
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

    // MARK: indexes

    private func hash(_ key: ICQSession.Key) -> UInt64 {
        hasher.hash(UInt64(key.uin) << 32 | UInt64(key.sessionID), 0x4943_5153)
    }

    /// The whole key fits in one word: slot, direction and both sequence numbers.
    private func hash(_ key: ExchangeKey) -> UInt64 {
        hasher.hash(UInt64(UInt32(bitPattern: key.session)) << 33 | (key.fromClient ? 1 << 32 : 0)
                        | UInt64(key.seq1) << 16 | UInt64(key.seq2), 0x4943_5158)
    }

    private func findSession(_ key: ICQSession.Key) -> Int32? {
        sessionIndex.find(hash(key)) { sessions[Int($0)].session.key == key }
    }

    private func findExchange(_ key: ExchangeKey, _ keyHash: UInt64) -> Int32? {
        exchangeIndex.find(keyHash) { exchanges[Int($0)].key == key }
    }

    // MARK: report order

    /// Exchanges resolved together are reported by first copy, then seq1 (then creation).
    struct ExchangeOrder: Comparable {
        var firstTime: Int64
        var seq1: UInt16
        var serial: UInt64
        var slot: Int32
        static func < (a: ExchangeOrder, b: ExchangeOrder) -> Bool {
            (a.firstTime, a.seq1, a.serial) < (b.firstTime, b.seq1, b.serial)
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

    private func order(of x: Int32) -> ExchangeOrder {
        ExchangeOrder(firstTime: exchanges[Int(x)].exchange.firstTime, seq1: exchanges[Int(x)].exchange.seq1,
                      serial: exchanges[Int(x)].serial, slot: x)
    }

    private mutating func sortExpiring() {
        if expiring.count > 1 { expiring.sort() }
    }

    /// `a + b`, held at the largest time instead of overflowing (timestamps come from the input).
    static func adding(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }

    // MARK: queries

    func session(for key: ICQSession.Key) -> ICQSession? {
        findSession(key).map { sessions[Int($0)].session }
    }

    func isOpen(_ key: ICQSession.Key) -> Bool { findSession(key) != nil }

    func facts(for key: ICQSession.Key) -> ICQSessionFacts? {
        findSession(key).map { sessions[Int($0)].session.facts }
    }

    func sessionKey(forClient endpoint: Endpoint) -> ICQSession.Key? { sessionByClient[endpoint] }

    var occupancy: ICQSessionTracker.Occupancy {
        ICQSessionTracker.Occupancy(
            sessions: sessionIndex.count, pendingExchanges: exchangeIndex.count, clientEndpoints: sessionByClient.count,
            queuedIdleDeadlines: idleDeadlines.count, queuedGiveUps: giveUpDeadlines.count,
            sessionSlots: sessions.count - freeSessions.count, exchangeSlots: exchanges.count - freeExchanges.count)
    }
}
