import Bytes

/// Names a live flow for the stages after the table (ICQ, OSCAR, SOCKS decoders), which mark
/// protocols and UINs on it. A handle whose flow has ended is ignored (its slot's generation moved on).
public struct FlowHandle: Hashable, Sendable {
    public let index: Int32
    public let generation: UInt32
}

/// What the table tells the caller about one packet.
public struct FlowObservation: Hashable, Sendable {
    public var handle: FlowHandle
    /// The packet was sent by the flow's originator.
    public var fromOriginator: Bool
    /// The packet started the flow.
    public var isNewFlow: Bool
}

/// Counters for the summary: what the table tracked, skipped, ended and why.
public struct FlowTableStatistics: Hashable, Sendable {
    public var packetsSeen: UInt64 = 0
    public var packetsTracked: UInt64 = 0
    /// Frames without an IP layer (ARP, other EtherTypes, damaged link headers).
    public var packetsWithoutIP: UInt64 = 0
    /// IP fragments after the first: they carry no ports, so they join no flow (no reassembly).
    public var fragmentsNotTracked: UInt64 = 0
    /// TCP/UDP/ICMP packets whose transport header was cut off.
    public var truncatedTransport: UInt64 = 0
    public var flowsCreated: UInt64 = 0
    public var flowsEndedByIdleTimeout: UInt64 = 0
    /// Flows ended early because the table was full: never silently dropped, always counted.
    public var flowsEvicted: UInt64 = 0
    public var flowsEndedAtEndOfCapture: UInt64 = 0
    public var peakActiveFlows: Int = 0
    public var icmpErrorsMatched: UInt64 = 0
    /// ICMP errors whose quoted datagram belongs to no live flow (or quotes too little to tell).
    public var icmpErrorsUnmatched: UInt64 = 0

    public init() {}
}

/// The flow table: a symmetric 5-tuple (plus VLAN) index over a preallocated pool of flow records,
/// with per-protocol idle timeouts on capture time and a bounded capacity.
///
/// Feed it every decoded packet with `process(_:_:)`; the capture time of each packet moves its
/// clock (`advance(to:)` moves it when no packet comes, for live capture). Flows end on idle
/// timeout, eviction or `finish()`; their records wait in a queue that `drainEndedFlows(_:)` empties.
/// In steady state nothing is allocated per packet: slots are reused, the index keeps its capacity,
/// and strings are made only when a flow ends.
public struct FlowTable {
    public let configuration: FlowConfiguration
    let communityID: CommunityID
    /// The slots, in a reservation for `maximumFlows` (`pool.base`, kept here for the per-packet
    /// path); a copy of the table shares them.
    let pool: ReservedSlots<FlowSlot>
    let slots: UnsafeMutablePointer<FlowSlot>
    /// Slots of ended flows, reused last-in first-out before a new one is taken from the pool.
    var freeSlots: [Int32] = []
    /// The IPv6 addresses the slots' compact keys name.
    var ipv6 = IPv6AddressPool()
    /// Slot by key; the keys stay in the slots.
    var index = SlotIndex()
    var heads: [Int32]
    var tails: [Int32]
    /// No idle deadline falls before this: the earliest when `advance` last looked, brought down
    /// by every flow linked since (a flow let go, or more active, only moves deadlines away).
    /// Most calls then find nothing due without reading the heads' slots: `advance` runs at
    /// every frame, and in a shard of `read --threads` at every frame of the file.
    var quietUntil: Int64 = .min
    let timeoutByClass: [Int64]
    var ended: [FlowRecord] = []
    /// Whether ended flows leave a record in the queue. A caller that never shows flows turns it
    /// off: building a record for each of a million flows ending costs more than the flow did.
    public var keepsEndedFlowRecords = true
    /// UIN sets of the live flows that have UINs (classic ICQ flows), by `FlowSlot.uinSet`, and
    /// the sets free for reuse.
    var uinSets: [FlowUINs] = []
    var freeUINSets: [Int32] = []
    /// The ICMP errors tied to live flows, by slot (few flows have any).
    var icmpErrorsBySlot: [Int32: ICMPErrorSummary] = [:]
    var nextSequence: UInt64 = 0
    /// Capture time, nanoseconds since the epoch: the latest packet time (or `advance` time) seen.
    public internal(set) var clock: Int64 = .min
    public internal(set) var statistics = FlowTableStatistics()

    public init(configuration: FlowConfiguration = FlowConfiguration()) {
        precondition(configuration.maximumFlows > 0 && configuration.maximumFlows <= Int(Int32.max))
        self.configuration = configuration
        communityID = CommunityID(seed: configuration.communityIDSeed)
        let classCount = FlowTimeoutClass.allCases.count
        heads = Array(repeating: -1, count: classCount)
        tails = Array(repeating: -1, count: classCount)
        timeoutByClass = FlowTimeoutClass.allCases.map { configuration.timeouts[$0] }
        pool = ReservedSlots(capacity: configuration.maximumFlows)
        slots = pool.base
        index = SlotIndex(minimumCapacity: min(max(configuration.initialFlows, 1), configuration.maximumFlows))
        ended.reserveCapacity(64)
    }

    public var activeFlowCount: Int { index.count }

    /// The live slot of a key, if any.
    @inline(__always)
    func lookup(_ key: FlowKey) -> Int32? {
        guard let compact = compact(key) else { return nil }
        return index.find(Self.hash(key)) { slots[Int($0)].key == compact }
    }

    // MARK: Compact keys

    /// The key as the slots keep it; nil when it names an IPv6 address no live flow has (then
    /// no live flow has the key).
    @inline(__always)
    func compact(_ key: FlowKey) -> CompactFlowKey? {
        let isV6 = key.packed & (3 << 56) != 0
        guard isV6 else { return CompactFlowKey(low: UInt32(truncatingIfNeeded: key.lowLow), high: UInt32(truncatingIfNeeded: key.highLow), packed: key.packed) }
        let low = key.lowAddress.isIPv6 ? ipv6.find(key.lowAddress) : UInt32(truncatingIfNeeded: key.lowLow)
        let high = key.highAddress.isIPv6 ? ipv6.find(key.highAddress) : UInt32(truncatingIfNeeded: key.highLow)
        guard let low, let high else { return nil }
        return CompactFlowKey(low: low, high: high, packed: key.packed)
    }

    /// The key of a new flow as its slot keeps it, its IPv6 addresses counted in the pool.
    mutating func retainCompact(_ key: FlowKey) -> CompactFlowKey {
        let low = key.lowAddress.isIPv6 ? ipv6.retain(key.lowAddress) : UInt32(truncatingIfNeeded: key.lowLow)
        let high = key.highAddress.isIPv6 ? ipv6.retain(key.highAddress) : UInt32(truncatingIfNeeded: key.highLow)
        return CompactFlowKey(low: low, high: high, packed: key.packed)
    }

    /// A slot's key ends with its flow: its IPv6 addresses are counted out of the pool.
    mutating func releaseCompact(_ key: CompactFlowKey) {
        if key.lowIsIPv6 { ipv6.release(key.low) }
        if key.highIsIPv6 { ipv6.release(key.high) }
    }

    func address(_ word: UInt32, isIPv6: Bool) -> IPAddress {
        isIPv6 ? ipv6.address(word) : IPAddress(ipv4: word)
    }

    /// The whole key of a slot's compact one.
    func fullKey(_ c: CompactFlowKey) -> FlowKey {
        let low = address(c.low, isIPv6: c.lowIsIPv6), high = address(c.high, isIPv6: c.highIsIPv6)
        return FlowKey(lowHigh: low.high, lowLow: low.low, highHigh: high.high, highLow: high.low, packed: c.packed)
    }

    /// A slot's originator and responder.
    func endpoints(of slot: FlowSlot) -> (originator: Endpoint, responder: Endpoint) {
        let low = Endpoint(address: address(slot.key.low, isIPv6: slot.key.lowIsIPv6), port: slot.key.lowPort)
        let high = Endpoint(address: address(slot.key.high, isIPv6: slot.key.highIsIPv6), port: slot.key.highPort)
        return slot.originatorIsLow ? (low, high) : (high, low)
    }

    static let hasher = SlotHasher()

    /// The key's words, both directions alike (the key is already ordered).
    @inline(__always)
    static func hash(_ key: FlowKey) -> UInt64 {
        hasher.hash(key.lowHigh, key.lowLow, key.highHigh, key.highLow, key.packed)
    }

    /// Approximate memory per flow held: the pool slot plus its index entry.
    public static var bytesPerFlow: Int {
        MemoryLayout<FlowSlot>.stride + 2 * MemoryLayout<UInt64>.stride + MemoryLayout<Int32>.stride
    }

    // MARK: Clock

    /// Up to this time `advance` ends no flow (`.min` until it has looked).
    public var idleBound: Int64 { quietUntil }

    /// Moves the clock to `time` (never backwards) and ends every flow idle for longer than its
    /// timeout. Called for each packet; call it yourself when capturing live and no packet arrives.
    public mutating func advance(to time: Int64) {
        if time > clock { clock = time }
        guard clock > quietUntil else { return }
        while true {
            guard let (head, deadline) = earliestDeadline() else {
                quietUntil = .max
                return
            }
            guard deadline < clock else {
                quietUntil = deadline
                return
            }
            endFlow(head, reason: .idleTimeout)
        }
    }

    /// Ends every live flow (`end_of_capture`), oldest first; their records join the queue.
    public mutating func finish() {
        for slot in liveSlotsOldestFirst() { endFlow(slot, reason: .endOfCapture, reuse: false) }
    }

    /// Ends every live flow (`end_of_capture`), oldest first, handing each record to `emit` as
    /// it ends (after the records already queued): a million live flows are never all held as
    /// records at once.
    public mutating func finish(_ emit: (FlowRecord) throws -> Void) rethrows {
        try drainEndedFlows(emit)
        for slot in liveSlotsOldestFirst() {
            endFlow(slot, reason: .endOfCapture, reuse: false)
            try drainEndedFlows(emit)
        }
    }

    private func liveSlotsOldestFirst() -> [Int32] {
        var live: [Int32] = []
        live.reserveCapacity(index.count)
        for slot in 0..<pool.count where slots[slot].inUse { live.append(Int32(slot)) }
        live.sort { a, b in
            let sa = slots[Int(a)], sb = slots[Int(b)]
            return (sa.firstTime, sa.sequence) < (sb.firstTime, sb.sequence)
        }
        return live
    }

    // MARK: Ended flows

    public var hasEndedFlows: Bool { !ended.isEmpty }

    /// Hands each ended flow, in the order they ended, to `body`, and empties the queue (keeping
    /// its storage).
    public mutating func drainEndedFlows(_ body: (FlowRecord) throws -> Void) rethrows {
        defer { ended.removeAll(keepingCapacity: true) }
        for record in ended { try body(record) }
    }

    // MARK: Annotations from later decoders

    public mutating func addProtocol(_ protocols: FlowProtocols, to handle: FlowHandle) {
        guard isLive(handle) else { return }
        slots[Int(handle.index)].protocols.formUnion(protocols)
    }

    public mutating func addUIN(_ uin: UInt32, to handle: FlowHandle) {
        guard isLive(handle) else { return }
        var set = slots[Int(handle.index)].uinSet
        if set < 0 {
            set = uinSets.store(FlowUINs(), reusing: &freeUINSets)
            slots[Int(handle.index)].uinSet = set
        }
        uinSets[Int(set)].insert(uin)
    }

    public func protocols(of handle: FlowHandle) -> FlowProtocols? {
        isLive(handle) ? slots[Int(handle.index)].protocols : nil
    }

    /// Whether the stream decoders gave up on the flow's connection (see `markStreamDone`).
    public func isStreamDone(_ handle: FlowHandle) -> Bool {
        isLive(handle) && slots[Int(handle.index)].streamDone
    }

    /// The stream table let the connection go: nothing in it is of the ICQ family, so its
    /// later packets need not be reassembled.
    public mutating func markStreamDone(_ handle: FlowHandle) {
        guard isLive(handle) else { return }
        slots[Int(handle.index)].streamDone = true
    }

    /// A new SYN on the flow's ports starts another connection, which is decoded afresh.
    public mutating func clearStreamDone(_ handle: FlowHandle) {
        guard isLive(handle), slots[Int(handle.index)].streamDone else { return }
        slots[Int(handle.index)].streamDone = false
    }

    /// The TCP handshake as the flow saw it, for a stream opened at the connection's first bytes:
    /// each side's initial sequence number when its SYN was seen (and the side has not closed or
    /// reset since: a SYN reusing the ports of a closed connection leaves the old number).
    public func handshake(of handle: FlowHandle) -> TCPHandshake? {
        guard isLive(handle) else { return nil }
        let slot = slots[Int(handle.index)]
        guard slot.protocolNumber == 6 else { return nil }
        let originator = endpoints(of: slot).originator
        func isn(_ endpoint: TCPEndpointTracker) -> UInt32? {
            guard endpoint.seen.contains(.syn) else { return nil }
            switch endpoint.state {
            case .closed, .reset: return nil
            default: return endpoint.startSeq
            }
        }
        return TCPHandshake(originator: originator, originatorISN: isn(slot.tcp.originator),
                            responderISN: isn(slot.tcp.responder))
    }

    public func endpoints(of handle: FlowHandle) -> (originator: Endpoint, responder: Endpoint)? {
        guard isLive(handle) else { return nil }
        return endpoints(of: slots[Int(handle.index)])
    }

    /// The live flow of a tuple (either direction), if any.
    public func handle(for tuple: FlowTuple) -> FlowHandle? {
        guard let i = lookup(tuple.key) else { return nil }
        return FlowHandle(index: i, generation: slots[Int(i)].generation)
    }

    func isLive(_ handle: FlowHandle) -> Bool {
        handle.index >= 0 && Int(handle.index) < pool.count
            && slots[Int(handle.index)].inUse && slots[Int(handle.index)].generation == handle.generation
    }

    // MARK: Pool

    /// Takes a free slot for a new flow, evicting the least recently active flow when full.
    mutating func allocateSlot() -> Int32 {
        if let free = freeSlots.popLast() { return free }
        if let fresh = pool.append(.empty) { return fresh }
        if let victim = leastRecentlyActive() {
            endFlow(victim, reason: .eviction)
        } else {
            // Every slot ended at `finish` without being listed for reuse: list them now (once).
            for j in stride(from: pool.count - 1, through: 0, by: -1) where !slots[j].inUse { freeSlots.append(Int32(j)) }
        }
        return freeSlots.removeLast()
    }

    /// Ends a flow; its slot is kept for reuse unless the capture is over (`reuse: false`: a
    /// million slots ending at once would grow the free list by as many entries for nothing).
    mutating func endFlow(_ i: Int32, reason: FlowEndReason, reuse: Bool = true) {
        let slot = slots[Int(i)]
        let icmpErrors = icmpErrorsBySlot.isEmpty ? nil : icmpErrorsBySlot.removeValue(forKey: i)
        if keepsEndedFlowRecords {
            let (originator, responder) = endpoints(of: slot)
            ended.append(FlowRecord(slot, originator: originator, responder: responder,
                                    uins: slot.uinSet >= 0 ? uinSets[Int(slot.uinSet)] : FlowUINs(),
                                    icmpErrors: icmpErrors ?? ICMPErrorSummary(),
                                    endReason: reason, communityID: communityID))
        }
        switch reason {
        case .idleTimeout: statistics.flowsEndedByIdleTimeout += 1
        case .eviction: statistics.flowsEvicted += 1
        case .endOfCapture: statistics.flowsEndedAtEndOfCapture += 1
        }
        index.remove(i, hash: Self.hash(fullKey(slot.key)))
        releaseCompact(slot.key)
        unlink(i)
        slots[Int(i)].inUse = false
        slots[Int(i)].generation &+= 1
        if reuse { freeSlots.append(i) }
        if slot.uinSet >= 0 {
            // The set is emptied when its place is next taken (`store`).
            freeUINSets.append(slot.uinSet)
            slots[Int(i)].uinSet = -1
        }
    }
}
