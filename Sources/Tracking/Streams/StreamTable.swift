import Bytes
import Wire

/// A table of TCP streams keyed by their endpoints, for use before (or without) a flow table.
/// Bounded: at most `limits.effectiveMaxStreams` streams; creating one more evicts the least
/// recently used (its holes and unfinished PDUs are reported, and the eviction counted).
/// Streams are made when first needed and reused afterwards; their buffers come from a pool
/// (`StreamBufferPool`, bounded by `limits.maxTotalBytes`) only while bytes wait in them.
/// `makeConsumer` gets the originator's and the responder's endpoints of each new connection.
///
/// Every packet costs O(1) in the number of streams: a hash lookup, and a move to the back of
/// the recency list (`RecencyList`, linked by slot index) whose front is the eviction victim.
/// The streams are values in one array, mutated in place. The state sits behind a pointer the
/// table owns: the table is a reference type for its callers, while the per-packet path reaches
/// its state without the runtime's exclusivity bookkeeping for class properties (the table is
/// not reentrant: a consumer's sink must not call back into it).
public final class StreamTable<Consumer: StreamConsumer> {
    public let limits: StreamLimits
    let makeConsumer: (_ originator: Endpoint, _ responder: Endpoint) -> Consumer
    let state: UnsafeMutablePointer<StreamTableState<Consumer>>
    public let buffers: StreamBufferPool
    /// Whether a connection gets a stream only with its first bytes, its handshake then coming
    /// from the caller's flow table (`ingest(_:frame:bytes:handshake:sink:)`): on a busy gateway
    /// most connections carry nothing this table decodes, or nothing at all, and a stream per SYN
    /// filled the table with them. Otherwise a SYN opens the stream, as for a table used alone.
    public let opensAtFirstBytes: Bool

    public init(limits: StreamLimits = StreamLimits(), opensAtFirstBytes: Bool = false,
                makeConsumer: @escaping (_ originator: Endpoint, _ responder: Endpoint) -> Consumer) {
        self.limits = limits
        self.opensAtFirstBytes = opensAtFirstBytes
        self.makeConsumer = makeConsumer
        buffers = StreamBufferPool(limits: limits)
        state = .allocate(capacity: 1)
        state.initialize(to: StreamTableState(capacity: limits.effectiveMaxStreams))
    }

    deinit {
        for stream in state.pointee.streams { stream.deallocate() }
        state.deinitialize(count: 1)
        state.deallocate()
    }

    public var streamCount: Int { state.pointee.index.count }
    public var streamsCreated: Int { state.pointee.streamsCreated }
    public var streamsEvicted: Int { state.pointee.streamsEvicted }

    /// Feeds one TCP packet (as decoded by `PacketDecoder`) to its stream. With
    /// `opensAtFirstBytes`, returns true when the stream was let go because the connection ended
    /// or nothing in it can be decoded (both directions' decoders gave up): the caller need not
    /// feed the connection again (until a new SYN starts another on the same ports).
    @discardableResult
    public func ingest(_ packet: DecodedPacket, frame: UInt64, bytes: UnsafeRawBufferPointer,
                       handshake: TCPHandshake? = nil, sink: inout Consumer.Sink) -> Bool {
        guard case .tcp(let tcp)? = packet.transport, let source = packet.sourceAddress,
              let destination = packet.destinationAddress else { return false }
        let from = Endpoint(address: source, port: tcp.sourcePort)
        let to = Endpoint(address: destination, port: tcp.destinationPort)
        return state.pointee.ingest(key: StreamKey(from, to), from: from, to: to, tcp: tcp, payload: packet.payload(of: bytes),
                             frame: frame, limits: limits, pool: buffers, opensAtFirstBytes: opensAtFirstBytes,
                             handshake: handshake, makeConsumer: makeConsumer, sink: &sink)
    }

    /// Ends every stream (end of capture): holes become gaps, unfinished PDUs are reported.
    public func finishAll(frame: UInt64, sink: inout Consumer.Sink) {
        state.pointee.finishAll(frame: frame, sink: &sink)
    }

    /// A copy of the stream of `key`, for looking at (its buffers are the table's).
    public func stream(_ key: StreamKey) -> TCPStream<Consumer>? {
        state.pointee.slot(of: key).map { state.pointee.streams[Int($0)] }
    }

    /// Runs `body` on the stream of `key` in place (to feed it bytes the table did not see as
    /// packets); nil when there is no such stream.
    public func withStream<R>(_ key: StreamKey, _ body: (inout TCPStream<Consumer>) -> R) -> R? {
        guard let slot = state.pointee.slot(of: key) else { return nil }
        return body(&state.pointee.streams[Int(slot)])
    }

    /// The key of the stream used least recently: the one a new connection evicts when full.
    public var leastRecentlyUsed: StreamKey? {
        let slot = state.pointee.recency.head
        return slot >= 0 ? state.pointee.streams[Int(slot)].key : nil
    }

    /// The keys of the streams, least recently used first (the next eviction victim first).
    public var keysByRecency: [StreamKey] {
        var keys: [StreamKey] = []
        var slot = state.pointee.recency.head
        while slot >= 0 {
            keys.append(state.pointee.streams[Int(slot)].key)
            slot = state.pointee.recency.next(after: slot)
        }
        return keys
    }

    /// Reassembly counters over every stream, finished and live.
    public var counters: StreamCounters {
        var total = state.pointee.finishedCounters
        for key in keysByRecency { total += state.pointee.streams[Int(state.pointee.slot(of: key)!)].counters }
        return total
    }

    /// Bytes held in buffers now, and the memory the buffers take.
    public var bufferedBytes: Int {
        keysByRecency.reduce(0) { $0 + state.pointee.streams[Int(state.pointee.slot(of: $1)!)].bufferedBytes }
    }
    public var allocatedBufferBytes: Int { buffers.allocatedBlocks * limits.bytesPerDirection }
}

/// What a `StreamTable` holds: the streams (slots), the index from endpoints to slot, the free
/// slots and the recency order of the slots in use.
struct StreamTableState<Consumer: StreamConsumer> {
    /// Slots by their stream's key.
    var index: SlotIndex
    let hasher = SlotHasher()
    var streams: [TCPStream<Consumer>] = []
    /// Slots of streams retired and not reused yet, reused last-in first-out.
    var freeSlots: [Int32] = []
    /// Slots in the index, least recently used first: a stream is used when a packet reaches it
    /// while it is live (late packets of a finished connection do not count).
    var recency = RecencyList()
    var streamsCreated = 0
    var streamsEvicted = 0
    /// Counters of streams already finished; `counters` adds the live ones.
    var finishedCounters = StreamCounters()

    init(capacity: Int) {
        // A large memory budget allows many streams; the pools grow as they come.
        let initial = min(capacity, 1024)
        index = SlotIndex(minimumCapacity: initial)
        streams.reserveCapacity(initial)
        freeSlots.reserveCapacity(initial)
    }

    mutating func ingest(key: StreamKey, from: Endpoint, to: Endpoint, tcp: TCPHeader, payload: UnsafeRawBufferPointer,
                         frame: UInt64, limits: StreamLimits, pool: StreamBufferPool, opensAtFirstBytes: Bool,
                         handshake: TCPHandshake?, makeConsumer: (Endpoint, Endpoint) -> Consumer,
                         sink: inout Consumer.Sink) -> Bool {
        var slot: Int32
        let hash = hasher.hash(key.low, key.high)
        if let existing = index.find(hash, where: { streams[Int($0)].key == key }) {
            slot = existing
            // A new SYN on a finished connection's endpoints starts a new connection.
            if streams[Int(slot)].isFinished {
                guard tcp.isSYN else { return false }
                retire(slot: slot, frame: frame, sink: &sink, evicted: false)
                // The new connection's stream waits for its first bytes, when it waits at all.
                if opensAtFirstBytes && payload.isEmpty { return false }
                slot = open(key, from: from, to: to, tcp: tcp, frame: frame, limits: limits, pool: pool,
                            makeConsumer: makeConsumer, sink: &sink)
            }
        } else {
            // Only a SYN or data starts a stream: a stray ACK or RST has nothing to reassemble.
            guard tcp.isSYN || !payload.isEmpty, !tcp.isRST else { return false }
            if opensAtFirstBytes {
                guard !payload.isEmpty else { return false }
                slot = open(key, from: from, to: to, tcp: tcp, frame: frame, limits: limits, pool: pool,
                            handshake: handshake, makeConsumer: makeConsumer, sink: &sink)
            } else {
                slot = open(key, from: from, to: to, tcp: tcp, frame: frame, limits: limits, pool: pool,
                            makeConsumer: makeConsumer, sink: &sink)
            }
        }
        recency.touch(slot)
        streams[Int(slot)].ingest(source: from, tcp: tcp, payload: payload, frame: frame, sink: &sink)
        // A busy gateway's other connections (web and the like) need not hold a slot once both
        // decoders gave up, nor any connection once it ended: the caller remembers that the
        // connection is done (its flow), so late packets are ignored as a finished stream would.
        if opensAtFirstBytes && (streams[Int(slot)].isFinished || streams[Int(slot)].isUndecodable) {
            retire(slot: slot, frame: frame, sink: &sink, evicted: false)
            return true
        }
        return false
    }

    mutating func open(_ key: StreamKey, from: Endpoint, to: Endpoint, tcp: TCPHeader, frame: UInt64,
                       limits: StreamLimits, pool: StreamBufferPool, handshake: TCPHandshake? = nil,
                       makeConsumer: (Endpoint, Endpoint) -> Consumer, sink: inout Consumer.Sink) -> Int32 {
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
        } else if streams.count < limits.effectiveMaxStreams {
            streams.append(TCPStream(pool: pool, consumer: makeConsumer(from, to)))
            slot = Int32(streams.count - 1)
        } else {
            slot = recency.head
            // A finished connection kept only to absorb late packets is not an eviction.
            retire(slot: slot, frame: frame, sink: &sink, evicted: !streams[Int(slot)].isFinished)
            _ = freeSlots.popLast()
        }
        if let handshake, handshake.sawSYN {
            // Opened by its first bytes, after its SYNs: as if they had opened it.
            let originator = handshake.originator
            let responder = originator == from ? to : from
            streams[Int(slot)].begin(source: originator, destination: responder, synAck: false,
                                     consumer: makeConsumer(originator, responder))
            streams[Int(slot)].adopt(handshake, frame: frame)
        } else {
            let synAck = tcp.isSYN && tcp.isACK
            streams[Int(slot)].begin(source: from, destination: to, synAck: synAck,
                                     consumer: synAck ? makeConsumer(to, from) : makeConsumer(from, to))
        }
        index.insert(slot, hash: hasher.hash(key.low, key.high))
        recency.append(slot)
        streamsCreated += 1
        return slot
    }

    mutating func retire(slot: Int32, frame: UInt64, sink: inout Consumer.Sink, evicted: Bool) {
        streams[Int(slot)].finish(frame: frame, sink: &sink)
        if evicted { streamsEvicted += 1 }
        finishedCounters += streams[Int(slot)].counters
        let key = streams[Int(slot)].key
        index.remove(slot, hash: hasher.hash(key.low, key.high))
        recency.remove(slot)
        freeSlots.append(slot)
    }

    func slot(of key: StreamKey) -> Int32? {
        index.find(hasher.hash(key.low, key.high)) { streams[Int($0)].key == key }
    }

    /// In slot order (deterministic), without building a list.
    mutating func finishAll(frame: UInt64, sink: inout Consumer.Sink) {
        for slot in streams.indices where recency.contains(Int32(slot)) {
            retire(slot: Int32(slot), frame: frame, sink: &sink, evicted: false)
        }
    }
}
