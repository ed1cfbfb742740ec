import Bytes
import Wire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One direction of a TCP connection, reassembled in bounded memory and fed to a decoder.
///
/// The buffer (`StreamLimits.bytesPerDirection` bytes, borrowed from the table's
/// `StreamBufferPool` only while bytes wait in it, and given back when none do) maps sequence space:
/// offset 0 is sequence number `baseSequence`. `[readOffset, frontier)` are in-order bytes the
/// decoder has not consumed (an unfinished PDU); out-of-order bytes wait at their own offsets,
/// listed in `held` (sorted, disjoint). Bytes that arrive in order while nothing is buffered
/// are offered straight from the packet: only the unfinished tail of a PDU is ever copied.
///
/// Holes become gaps (reported to the decoder, then skipped) when the other side acknowledges
/// past them, when a cap forces it, or when the stream ends.
public struct ReassemblyDirection {
    struct HeldRange {
        var start: Int
        var end: Int
        var frame: UInt64
    }

    public let side: StreamSide
    /// The pool outlives every stream of its table (the table owns both).
    unowned(unsafe) let pool: StreamBufferPool
    /// The borrowed buffer and held ranges' table; nil while nothing is buffered or held.
    var block: UnsafeMutableRawPointer? = nil
    var heldCount = 0

    public internal(set) var isInitialized = false
    public internal(set) var startedMidstream = false
    var baseSequence: UInt32 = 0
    var readOffset = 0
    var frontier = 0
    /// The latest frame whose bytes are part of the in-order data: the frame that completes a PDU.
    var frontierFrame: UInt64 = 0
    /// Bytes the decoder needs (from `readOffset`) before it is offered them again.
    var wanted = 1
    var skipRemaining = 0
    public internal(set) var stopped = false
    /// The other side acknowledged everything before this sequence number.
    var acknowledged: UInt32? = nil
    /// Sequence number just past this side's FIN.
    var finSequence: UInt32? = nil
    public internal(set) var counters = StreamCounters()

    public init(side: StreamSide, pool: StreamBufferPool) {
        self.side = side
        self.pool = pool
    }

    /// Gives the block back; the direction must not be used afterwards.
    public func deallocate() {
        if let block { pool.giveBack(block) }
    }

    /// The buffer: only while a block is borrowed.
    var storage: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: block!, count: pool.bufferBytes)
    }

    /// The held ranges: only while a block is borrowed.
    var held: UnsafeMutablePointer<HeldRange> {
        (block! + pool.heldOffset).assumingMemoryBound(to: HeldRange.self)
    }

    /// Borrows a block when none is held; false when the pool has none left.
    mutating func ensureBlock() -> Bool {
        if block == nil { block = pool.borrow() }
        return block != nil
    }

    /// Gives the block back once nothing waits in it.
    @inline(__always)
    mutating func giveBackBlockIfEmpty() {
        guard let borrowed = block, readOffset == frontier, heldCount == 0 else { return }
        pool.giveBack(borrowed)
        block = nil
    }

    public var capacity: Int { pool.bufferBytes }
    /// Bytes held now: an unfinished PDU plus out-of-order data.
    public var bufferedBytes: Int {
        var total = frontier - readOffset
        for i in 0..<heldCount { total += held[i].end - held[i].start }
        return total
    }
    public var holeCount: Int { heldCount }

    /// Forgets everything (a borrowed block goes back to the pool).
    public mutating func reset() {
        if let borrowed = block {
            pool.giveBack(borrowed)
            block = nil
        }
        heldCount = 0
        isInitialized = false
        startedMidstream = false
        baseSequence = 0
        readOffset = 0
        frontier = 0
        frontierFrame = 0
        wanted = 1
        skipRemaining = 0
        stopped = false
        acknowledged = nil
        finSequence = nil
        counters = StreamCounters()
    }

    @inline(__always)
    func offset(of sequence: UInt32) -> Int { Int(Int32(bitPattern: sequence &- baseSequence)) }

    @inline(__always)
    func sequence(at offset: Int) -> UInt32 { baseSequence &+ UInt32(truncatingIfNeeded: offset) }

    // MARK: Segments

    /// The direction's SYN (sequence `isn`), seen before the stream was opened.
    mutating func startAtSYN(_ isn: UInt32, frame: UInt64) {
        guard !isInitialized else { return }
        baseSequence = isn &+ 1
        isInitialized = true
        frontierFrame = frame
    }

    /// One TCP segment of this direction.
    public mutating func receive<C: StreamConsumer>(
        sequence: UInt32, payload: UnsafeRawBufferPointer, syn: Bool, fin: Bool, frame: UInt64,
        consumer: inout C, sink: inout C.Sink
    ) {
        let dataSequence = syn ? sequence &+ 1 : sequence
        if !isInitialized {
            if syn {
                baseSequence = dataSequence
            } else if !payload.isEmpty {
                baseSequence = dataSequence
                startedMidstream = true
                consumer.streamGap(StreamGap(reason: .midstreamStart, sequence: dataSequence, lostBytes: 0,
                                             discardedBytes: 0, frame: frame), side: side, sink: &sink)
            } else {
                return
            }
            isInitialized = true
            frontierFrame = frame
        }
        if fin { finSequence = dataSequence &+ UInt32(truncatingIfNeeded: payload.count) &+ 1 }
        guard !payload.isEmpty else { return }
        counters.segments += 1
        counters.payloadBytes += payload.count
        if stopped {
            counters.ignoredBytes += payload.count
            return
        }
        var start = offset(of: dataSequence)
        let end = start + payload.count
        if end <= frontier {
            counters.duplicateBytes += payload.count
            return
        }
        var bytes = payload
        if start < frontier {
            let seen = frontier - start
            counters.duplicateBytes += seen
            bytes = UnsafeRawBufferPointer(rebasing: bytes[seen...])
            start = frontier
        }
        if start == frontier {
            receiveInOrder(bytes, frame: frame, consumer: &consumer, sink: &sink)
        } else {
            counters.outOfOrderSegments += 1
            receiveOutOfOrder(bytes, at: start, frame: frame, consumer: &consumer, sink: &sink)
        }
        rebaseIfEmpty()
    }

    /// The other side acknowledged every byte before `sequence`: a hole below it will never be filled.
    public mutating func acknowledge<C: StreamConsumer>(
        _ sequence: UInt32, frame: UInt64, consumer: inout C, sink: inout C.Sink
    ) {
        guard isInitialized, !stopped else { return }
        var limit = sequence
        // The FIN takes one sequence number that carries no byte.
        if let fin = finSequence, Int32(bitPattern: limit &- fin) >= 0 { limit = fin &- 1 }
        let target = offset(of: limit)
        // Ignore acknowledgements of old data and absurd jumps.
        guard target > frontier, target - frontier < 1 << 30 else { return }
        if let previous = acknowledged, Int32(bitPattern: limit &- previous) <= 0 { return }
        acknowledged = limit
        drain(frame: frame, consumer: &consumer, sink: &sink)
        rebaseIfEmpty()
    }

    /// Offers the buffered in-order bytes again, even if fewer than the decoder last asked for
    /// (it was waiting for the other direction, not for more of these bytes).
    public mutating func reoffer<C: StreamConsumer>(frame: UInt64, consumer: inout C, sink: inout C.Sink) {
        guard isInitialized, !stopped, frontier > readOffset, skipRemaining == 0 else { return }
        wanted = 1
        drain(frame: frame, consumer: &consumer, sink: &sink)
        rebaseIfEmpty()
    }

    /// The stream ends: held data is delivered across its holes, and an unfinished PDU is reported.
    public mutating func finish<C: StreamConsumer>(frame: UInt64, consumer: inout C, sink: inout C.Sink) {
        guard isInitialized, !stopped else { return }
        drain(frame: frame, consumer: &consumer, sink: &sink)
        while heldCount > 0 {
            declareGap(to: held[0].start, reason: .endOfStream, frame: frame, consumer: &consumer, sink: &sink)
            drain(frame: frame, consumer: &consumer, sink: &sink)
        }
        let unfinished = frontier - readOffset
        if unfinished > 0 && !stopped {
            consumer.streamGap(StreamGap(reason: .endOfStream, sequence: sequence(at: frontier), lostBytes: 0,
                                         discardedBytes: unfinished, frame: frame), side: side, sink: &sink)
            counters.discardedBytes += unfinished
            readOffset = frontier
        }
        stopped = true
        heldCount = 0
        giveBackBlockIfEmpty()
    }
}
