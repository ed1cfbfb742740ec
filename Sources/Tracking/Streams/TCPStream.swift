import Bytes
import Wire

/// A TCP connection's two endpoints, the same whichever way a packet goes.
public struct StreamKey: Hashable, Sendable {
    public var low: Endpoint
    public var high: Endpoint

    public init(_ a: Endpoint, _ b: Endpoint) {
        if Self.precedes(a, b) {
            low = a
            high = b
        } else {
            low = b
            high = a
        }
    }

    /// `(a.address, a.port) < (b.address, b.port)`, spelled out so that it inlines.
    @inline(__always)
    static func precedes(_ a: Endpoint, _ b: Endpoint) -> Bool {
        if a.address.isIPv6 != b.address.isIPv6 { return !a.address.isIPv6 }
        if a.address.high != b.address.high { return a.address.high < b.address.high }
        if a.address.low != b.address.low { return a.address.low < b.address.low }
        return a.port < b.port
    }
}

/// Both directions of one TCP connection and the decoder they feed, held by value: a table keeps
/// them in an array and mutates them in place (no object, no reference counting per packet).
///
/// The direction buffers are borrowed from the table's `StreamBufferPool` while bytes wait in
/// them. Whoever keeps the stream owns it: keep one copy (in a table slot) and call `deallocate`
/// when it goes. `StreamTable` is such an owner; a flow table could keep one per TCP flow the same way.
public struct TCPStream<Consumer: StreamConsumer> {
    public private(set) var key: StreamKey
    /// The originator's endpoint (the SYN's sender, or the first packet's sender).
    public private(set) var originator: Endpoint
    public var consumer: Consumer
    public private(set) var fromOriginator: ReassemblyDirection
    public private(set) var fromResponder: ReassemblyDirection
    public private(set) var lastFrame: UInt64 = 0
    public private(set) var isFinished = false
    var finSeen = (false, false)

    public init(pool: StreamBufferPool, consumer: Consumer) {
        let unset = Endpoint(address: IPAddress(ipv4: 0), port: 0)
        key = StreamKey(unset, unset)
        originator = unset
        self.consumer = consumer
        fromOriginator = ReassemblyDirection(side: .fromOriginator, pool: pool)
        fromResponder = ReassemblyDirection(side: .fromResponder, pool: pool)
    }

    /// Gives both directions' blocks back; the stream (and every copy of it) must not be used afterwards.
    public func deallocate() {
        fromOriginator.deallocate()
        fromResponder.deallocate()
    }

    /// Starts a new connection in this stream, keeping its buffers.
    public mutating func begin(source: Endpoint, destination: Endpoint, synAck: Bool, consumer: Consumer) {
        key = StreamKey(source, destination)
        // A SYN+ACK comes from the responder.
        originator = synAck ? destination : source
        self.consumer = consumer
        fromOriginator.reset()
        fromResponder.reset()
        lastFrame = 0
        isFinished = false
        finSeen = (false, false)
    }

    /// Takes in the SYNs a flow table saw before the stream was opened, as `ingest` would have.
    mutating func adopt(_ handshake: TCPHandshake, frame: UInt64) {
        if let isn = handshake.originatorISN { fromOriginator.startAtSYN(isn, frame: frame) }
        if let isn = handshake.responderISN { fromResponder.startAtSYN(isn, frame: frame) }
    }

    /// Both directions' decoders gave up (the bytes are not of the ICQ family): nothing more to
    /// decode, whatever the connection still carries.
    public var isUndecodable: Bool { fromOriginator.stopped && fromResponder.stopped }

    public func side(of source: Endpoint) -> StreamSide {
        source == originator ? .fromOriginator : .fromResponder
    }

    /// One TCP packet of this connection. The payload is borrowed for the call.
    public mutating func ingest(source: Endpoint, tcp: TCPHeader, payload: UnsafeRawBufferPointer, frame: UInt64,
                                sink: inout Consumer.Sink) {
        guard !isFinished else { return }
        lastFrame = frame
        let side = side(of: source)
        if side == .fromOriginator {
            fromOriginator.receive(sequence: tcp.sequenceNumber, payload: payload, syn: tcp.isSYN, fin: tcp.isFIN,
                                   frame: frame, consumer: &consumer, sink: &sink)
            if tcp.isACK {
                fromResponder.acknowledge(tcp.acknowledgementNumber, frame: frame, consumer: &consumer, sink: &sink)
            }
            if !payload.isEmpty && consumer.wantsReoffer(.fromResponder) {
                fromResponder.reoffer(frame: frame, consumer: &consumer, sink: &sink)
            }
            if tcp.isFIN { finSeen.0 = true }
        } else {
            fromResponder.receive(sequence: tcp.sequenceNumber, payload: payload, syn: tcp.isSYN, fin: tcp.isFIN,
                                  frame: frame, consumer: &consumer, sink: &sink)
            if tcp.isACK {
                fromOriginator.acknowledge(tcp.acknowledgementNumber, frame: frame, consumer: &consumer, sink: &sink)
            }
            if !payload.isEmpty && consumer.wantsReoffer(.fromOriginator) {
                fromOriginator.reoffer(frame: frame, consumer: &consumer, sink: &sink)
            }
            if tcp.isFIN { finSeen.1 = true }
        }
        if tcp.isRST || (finSeen.0 && finSeen.1) {
            finish(frame: frame, sink: &sink)
        }
    }

    /// Ends the connection: holes become gaps, unfinished PDUs are reported.
    public mutating func finish(frame: UInt64, sink: inout Consumer.Sink) {
        guard !isFinished else { return }
        fromOriginator.finish(frame: frame, consumer: &consumer, sink: &sink)
        fromResponder.finish(frame: frame, consumer: &consumer, sink: &sink)
        isFinished = true
    }

    /// Counters of both directions together.
    public var counters: StreamCounters {
        var total = fromOriginator.counters
        total += fromResponder.counters
        return total
    }

    public var bufferedBytes: Int { fromOriginator.bufferedBytes + fromResponder.bufferedBytes }
}
