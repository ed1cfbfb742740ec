import Bytes
import Wire

/// A small table of TCP streams keyed by their endpoints, for use before (or without) a flow
/// table. Bounded: at most `limits.effectiveMaxStreams` streams; creating one more evicts the
/// least recently used (its holes and unfinished PDUs are reported, and the eviction counted).
/// Stream objects and their buffers are allocated when first needed and reused afterwards.
/// `makeConsumer` gets the originator's and the responder's endpoints of each new connection.
public final class StreamTable<Consumer: StreamConsumer> {
    public let limits: StreamLimits
    let makeConsumer: (_ originator: Endpoint, _ responder: Endpoint) -> Consumer
    var index: [StreamKey: Int]
    var slots: [TCPStream<Consumer>] = []
    var freeSlots: [Int] = []

    public private(set) var streamsCreated = 0
    public private(set) var streamsEvicted = 0
    /// Counters of streams already finished; `counters` adds the live ones.
    var finishedCounters = StreamCounters()

    public init(limits: StreamLimits = StreamLimits(), makeConsumer: @escaping (_ originator: Endpoint, _ responder: Endpoint) -> Consumer) {
        self.limits = limits
        self.makeConsumer = makeConsumer
        index = Dictionary(minimumCapacity: limits.effectiveMaxStreams)
        slots.reserveCapacity(limits.effectiveMaxStreams)
        freeSlots.reserveCapacity(limits.effectiveMaxStreams)
    }

    public var streamCount: Int { index.count }

    /// Feeds one TCP packet (as decoded by `PacketDecoder`) to its stream.
    public func ingest(_ packet: DecodedPacket, frame: UInt64, bytes: UnsafeRawBufferPointer,
                       sink: inout Consumer.Sink) {
        guard case .tcp(let tcp)? = packet.transport, let source = packet.sourceAddress,
              let destination = packet.destinationAddress else { return }
        let from = Endpoint(address: source, port: tcp.sourcePort)
        let to = Endpoint(address: destination, port: tcp.destinationPort)
        let key = StreamKey(from, to)
        let payload = packet.payload(of: bytes)
        var stream: TCPStream<Consumer>
        if let slot = index[key] {
            stream = slots[slot]
            // A new SYN on a finished connection's endpoints starts a new connection.
            if stream.isFinished {
                guard tcp.isSYN else { return }
                retire(slot: slot, frame: frame, sink: &sink, evicted: false)
                guard let fresh = open(key, from: from, to: to, tcp: tcp, frame: frame, sink: &sink) else { return }
                stream = fresh
            }
        } else {
            // Only a SYN or data starts a stream: a stray ACK or RST has nothing to reassemble.
            guard tcp.isSYN || !payload.isEmpty, !tcp.isRST else { return }
            guard let fresh = open(key, from: from, to: to, tcp: tcp, frame: frame, sink: &sink) else { return }
            stream = fresh
        }
        stream.ingest(source: from, tcp: tcp, payload: payload, frame: frame, sink: &sink)
    }

    func open(_ key: StreamKey, from: Endpoint, to: Endpoint, tcp: TCPHeader, frame: UInt64,
              sink: inout Consumer.Sink) -> TCPStream<Consumer>? {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else if slots.count < limits.effectiveMaxStreams {
            slots.append(TCPStream(limits: limits, consumer: makeConsumer(from, to)))
            slot = slots.count - 1
        } else {
            slot = leastRecentlyUsedSlot()
            // A finished connection kept only to absorb late packets is not an eviction.
            retire(slot: slot, frame: frame, sink: &sink, evicted: !slots[slot].isFinished)
            _ = freeSlots.popLast()
        }
        let stream = slots[slot]
        let synAck = tcp.isSYN && tcp.isACK
        stream.begin(source: from, destination: to, synAck: synAck,
                     consumer: synAck ? makeConsumer(to, from) : makeConsumer(from, to))
        index[key] = slot
        streamsCreated += 1
        return stream
    }

    func leastRecentlyUsedSlot() -> Int {
        var best = 0
        var bestFrame = UInt64.max
        for (_, slot) in index where slots[slot].lastFrame < bestFrame {
            best = slot
            bestFrame = slots[slot].lastFrame
        }
        return best
    }

    func retire(slot: Int, frame: UInt64, sink: inout Consumer.Sink, evicted: Bool) {
        let stream = slots[slot]
        stream.finish(frame: frame, sink: &sink)
        if evicted { streamsEvicted += 1 }
        finishedCounters += stream.counters
        index[stream.key] = nil
        freeSlots.append(slot)
    }

    /// Ends every stream (end of capture): holes become gaps, unfinished PDUs are reported.
    public func finishAll(frame: UInt64, sink: inout Consumer.Sink) {
        // In slot order (deterministic), without building a list.
        for slot in slots.indices where index[slots[slot].key] == slot {
            retire(slot: slot, frame: frame, sink: &sink, evicted: false)
        }
    }

    public func stream(_ key: StreamKey) -> TCPStream<Consumer>? {
        index[key].map { slots[$0] }
    }

    /// Reassembly counters over every stream, finished and live.
    public var counters: StreamCounters {
        var total = finishedCounters
        for slot in index.values { total += slots[slot].counters }
        return total
    }

    /// Bytes held in buffers now, and the memory the buffers take.
    public var bufferedBytes: Int { index.values.reduce(0) { $0 + slots[$1].bufferedBytes } }
    public var allocatedBufferBytes: Int { slots.count * 2 * limits.bytesPerDirection }
}
