import Bytes
import Wire

/// A TCP connection's two endpoints, the same whichever way a packet goes.
public struct StreamKey: Hashable, Sendable {
    public var low: Endpoint
    public var high: Endpoint

    public init(_ a: Endpoint, _ b: Endpoint) {
        if (a.address, a.port) < (b.address, b.port) {
            low = a
            high = b
        } else {
            low = b
            high = a
        }
    }
}

/// Both directions of one TCP connection and the decoder they feed. Embeddable: a flow table
/// can keep one per TCP flow and call `ingest` with each packet; `StreamTable` is a small table
/// of them for use until (or instead of) that.
public final class TCPStream<Consumer: StreamConsumer> {
    public private(set) var key: StreamKey
    /// The originator's endpoint (the SYN's sender, or the first packet's sender).
    public private(set) var originator: Endpoint
    public var consumer: Consumer
    public private(set) var fromOriginator: ReassemblyDirection
    public private(set) var fromResponder: ReassemblyDirection
    public private(set) var lastFrame: UInt64 = 0
    public private(set) var isFinished = false
    var finSeen = (false, false)

    /// Allocates both direction buffers.
    public init(limits: StreamLimits, consumer: Consumer) {
        let unset = Endpoint(address: IPAddress(ipv4: 0), port: 0)
        key = StreamKey(unset, unset)
        originator = unset
        self.consumer = consumer
        fromOriginator = ReassemblyDirection(side: .fromOriginator, limits: limits)
        fromResponder = ReassemblyDirection(side: .fromResponder, limits: limits)
    }

    deinit {
        fromOriginator.deallocate()
        fromResponder.deallocate()
    }

    /// Starts a new connection in this object, keeping its buffers.
    public func begin(source: Endpoint, destination: Endpoint, synAck: Bool, consumer: Consumer) {
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

    public func side(of source: Endpoint) -> StreamSide {
        source == originator ? .fromOriginator : .fromResponder
    }

    /// One TCP packet of this connection. The payload is borrowed for the call.
    public func ingest(source: Endpoint, tcp: TCPHeader, payload: UnsafeRawBufferPointer, frame: UInt64,
                       sink: inout Consumer.Sink) {
        guard !isFinished else { return }
        lastFrame = frame
        let side = side(of: source)
        withDirection(side) { direction, consumer in
            direction.receive(sequence: tcp.sequenceNumber, payload: payload, syn: tcp.isSYN, fin: tcp.isFIN,
                              frame: frame, consumer: &consumer, sink: &sink)
        }
        if tcp.isACK {
            withDirection(side.opposite) { direction, consumer in
                direction.acknowledge(tcp.acknowledgementNumber, frame: frame, consumer: &consumer, sink: &sink)
            }
        }
        if !payload.isEmpty && consumer.wantsReoffer(side.opposite) {
            withDirection(side.opposite) { direction, consumer in
                direction.reoffer(frame: frame, consumer: &consumer, sink: &sink)
            }
        }
        if tcp.isFIN {
            if side == .fromOriginator { finSeen.0 = true } else { finSeen.1 = true }
        }
        if tcp.isRST || (finSeen.0 && finSeen.1) {
            finish(frame: frame, sink: &sink)
        }
    }

    /// Ends the connection: holes become gaps, unfinished PDUs are reported.
    public func finish(frame: UInt64, sink: inout Consumer.Sink) {
        guard !isFinished else { return }
        withDirection(.fromOriginator) { direction, consumer in
            direction.finish(frame: frame, consumer: &consumer, sink: &sink)
        }
        withDirection(.fromResponder) { direction, consumer in
            direction.finish(frame: frame, consumer: &consumer, sink: &sink)
        }
        isFinished = true
    }

    /// Counters of both directions together.
    public var counters: StreamCounters {
        var total = fromOriginator.counters
        total += fromResponder.counters
        return total
    }

    public var bufferedBytes: Int { fromOriginator.bufferedBytes + fromResponder.bufferedBytes }

    @inline(__always)
    func withDirection(_ side: StreamSide, _ body: (inout ReassemblyDirection, inout Consumer) -> Void) {
        if side == .fromOriginator {
            body(&fromOriginator, &consumer)
        } else {
            body(&fromResponder, &consumer)
        }
    }
}
