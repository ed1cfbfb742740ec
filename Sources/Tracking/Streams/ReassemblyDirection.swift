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

    public private(set) var isInitialized = false
    public private(set) var startedMidstream = false
    var baseSequence: UInt32 = 0
    var readOffset = 0
    var frontier = 0
    /// The latest frame whose bytes are part of the in-order data: the frame that completes a PDU.
    var frontierFrame: UInt64 = 0
    /// Bytes the decoder needs (from `readOffset`) before it is offered them again.
    var wanted = 1
    var skipRemaining = 0
    public private(set) var stopped = false
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

    // MARK: In order

    mutating func receiveInOrder<C: StreamConsumer>(
        _ bytes: UnsafeRawBufferPointer, frame: UInt64, consumer: inout C, sink: inout C.Sink
    ) {
        frontierFrame = max(frontierFrame, frame)
        if readOffset == frontier && heldCount == 0 {
            offerInPlace(bytes, consumer: &consumer, sink: &sink)
            return
        }
        // Something is buffered: append, in pieces no larger than the free space, draining between.
        var rest = bytes
        while !rest.isEmpty && !stopped {
            compact()
            let room = capacity - frontier
            if room <= 0 {
                // Only possible when held data fills the buffer past the frontier; give up the hole.
                forceGap(reason: .bufferFull, frame: frame, consumer: &consumer, sink: &sink)
                continue
            }
            let piece = UnsafeRawBufferPointer(rebasing: rest.prefix(room))
            appendInOrder(piece)
            rest = UnsafeRawBufferPointer(rebasing: rest[piece.count...])
            drain(frame: frame, consumer: &consumer, sink: &sink)
            rebaseIfEmpty()
            if !rest.isEmpty && readOffset == frontier && heldCount == 0 {
                offerInPlace(rest, consumer: &consumer, sink: &sink)
                return
            }
        }
        if stopped { counters.ignoredBytes += rest.count }
    }

    /// Offers bytes straight from the packet; copies only the unfinished tail.
    mutating func offerInPlace<C: StreamConsumer>(
        _ bytes: UnsafeRawBufferPointer, consumer: inout C, sink: inout C.Sink
    ) {
        rebaseIfEmpty()
        var used = 0
        while used < bytes.count && !stopped {
            let available = bytes.count - used
            if skipRemaining > 0 {
                let n = min(skipRemaining, available)
                skipRemaining -= n
                counters.skippedBytes += n
                used += n
                continue
            }
            guard available >= wanted else { break }
            let view = UnsafeRawBufferPointer(rebasing: bytes[used...])
            let step = consumer.streamData(view, side: side, frame: frontierFrame, sink: &sink)
            used += apply(step, available: available, consumer: &consumer, sink: &sink)
        }
        // Everything offered so far is behind us: the buffer starts at the first unused byte.
        baseSequence = baseSequence &+ UInt32(truncatingIfNeeded: used)
        readOffset = 0
        frontier = 0
        if stopped {
            counters.ignoredBytes += bytes.count - used
            return
        }
        let tail = bytes.count - used
        guard tail > 0 else {
            giveBackBlockIfEmpty()
            return
        }
        guard ensureBlock() else {
            // No buffer left in the memory budget: the unfinished PDU cannot wait, and what
            // follows it could not be framed; the direction stops, and says so.
            consumer.streamGap(StreamGap(reason: .bufferFull, sequence: sequence(at: 0), lostBytes: 0,
                                         discardedBytes: tail, frame: frontierFrame), side: side, sink: &sink)
            counters.discardedBytes += tail
            counters.capGaps += 1
            counters.capGapBytes += tail
            stopped = true
            return
        }
        // tail < wanted <= capacity, so it fits.
        storage.baseAddress!.copyMemory(from: bytes.baseAddress! + used, byteCount: tail)
        frontier = tail
    }

    /// Carries out a decoder's answer; returns how many offered bytes it used up.
    mutating func apply<C: StreamConsumer>(
        _ step: StreamStep, available: Int, consumer: inout C, sink: inout C.Sink
    ) -> Int {
        switch step {
        case .consumed(let n):
            let used = min(max(n, 1), available)
            counters.deliveredBytes += used
            wanted = 1
            return used
        case .needMore(let n):
            let total = available + max(n, 1)
            if total <= capacity {
                wanted = total
                return 0
            }
            // The PDU cannot be held: skip it whole and say so.
            consumer.streamGap(StreamGap(reason: .oversizePDU, sequence: sequence(at: readOffset), lostBytes: total,
                                         discardedBytes: 0, frame: frontierFrame), side: side, sink: &sink)
            counters.capGaps += 1
            counters.capGapBytes += total
            wanted = 1
            skipRemaining = total - available
            counters.skippedBytes += available
            return available
        case .skip(let n):
            wanted = 1
            guard n > 0 else { return 0 }
            let used = min(n, available)
            skipRemaining = n - used
            counters.skippedBytes += used
            return used
        case .stop:
            stopped = true
            counters.ignoredBytes += available
            heldCount = 0
            return available
        }
    }

    // MARK: Out of order

    mutating func receiveOutOfOrder<C: StreamConsumer>(
        _ bytes: UnsafeRawBufferPointer, at firstOffset: Int, frame: UInt64, consumer: inout C, sink: inout C.Sink
    ) {
        // Offsets move when the buffer is compacted or rebased: keep the sequence number.
        let firstSequence = sequence(at: firstOffset)
        // Bounded: every forced gap moves the frontier forward to a held range or to the segment.
        while !stopped {
            compact()
            let start = offset(of: firstSequence)
            if start + bytes.count <= frontier {
                counters.duplicateBytes += bytes.count
                return
            }
            if start <= frontier {
                let seen = frontier - start
                counters.duplicateBytes += seen
                receiveInOrder(UnsafeRawBufferPointer(rebasing: bytes[seen...]), frame: frame,
                               consumer: &consumer, sink: &sink)
                return
            }
            let fits = start + bytes.count - readOffset <= capacity
            if fits && (heldCount < pool.holeCapacity || touchesHeld(start, start + bytes.count)) {
                guard ensureBlock() else {
                    // No buffer left in the memory budget: the segment is dropped, and its bytes
                    // become part of a gap when acknowledged or when the stream ends.
                    break
                }
                store(bytes, at: start, frame: frame)
                drain(frame: frame, consumer: &consumer, sink: &sink)
                return
            }
            // Give up only as much of the hole as makes room: the rest may still be filled by
            // segments that were reordered around this one (or be proven lost by an ACK).
            let reason: StreamGap.Reason = fits ? .tooManyHoles : .bufferFull
            let limit = fits ? start : max(readOffset + 1, start + bytes.count - capacity)
            forceGap(reason: reason, frame: frame, limit: limit, consumer: &consumer, sink: &sink)
        }
        counters.ignoredBytes += bytes.count
    }

    /// Gives up the hole at the frontier (up to the first held range, or `limit`).
    mutating func forceGap<C: StreamConsumer>(
        reason: StreamGap.Reason, frame: UInt64, limit: Int = Int.max, consumer: inout C, sink: inout C.Sink
    ) {
        let target = heldCount > 0 ? min(held[0].start, limit) : (limit == Int.max ? frontier : limit)
        let before = counters.gapBytes + counters.discardedBytes
        if target > frontier {
            declareGap(to: target, reason: reason, frame: frame, consumer: &consumer, sink: &sink)
        } else if frontier > readOffset {
            // No hole, but an unfinished PDU fills the room: throw it away.
            declareGap(to: frontier, reason: reason, frame: frame, consumer: &consumer, sink: &sink)
        }
        counters.capGaps += 1
        counters.capGapBytes += counters.gapBytes + counters.discardedBytes - before
        drain(frame: frame, consumer: &consumer, sink: &sink)
    }

    func touchesHeld(_ start: Int, _ end: Int) -> Bool {
        for i in 0..<heldCount where held[i].start <= end && start <= held[i].end { return true }
        return false
    }

    /// Copies in-order bytes to the frontier (where held bytes are there already, the first copy
    /// wins) and moves the frontier past them; `drain` then joins the held ranges they reach.
    mutating func appendInOrder(_ bytes: UnsafeRawBufferPointer) {
        copyUncovered(bytes, at: frontier)
        frontier += bytes.count
    }

    /// Copies the bytes of `[start, start + count)` that no held range covers.
    mutating func copyUncovered(_ bytes: UnsafeRawBufferPointer, at start: Int) {
        let end = start + bytes.count
        var cursor = start
        for i in 0..<heldCount {
            let range = held[i]
            if range.end <= cursor { continue }
            if range.start >= end { break }
            if range.start > cursor { copy(bytes, from: start, range: cursor..<range.start) }
            counters.overlapBytes += min(end, range.end) - max(cursor, range.start)
            cursor = max(cursor, range.end)
        }
        if cursor < end { copy(bytes, from: start, range: cursor..<end) }
    }

    /// Copies the bytes not already held into the buffer at `start` and records the range.
    /// The caller has made sure the range fits and that a slot is free or it merges.
    mutating func store(_ bytes: UnsafeRawBufferPointer, at start: Int, frame: UInt64) {
        let end = start + bytes.count
        copyUncovered(bytes, at: start)
        // Merge with every range it overlaps or touches.
        var merged = HeldRange(start: start, end: end, frame: frame)
        var insertAt = 0
        var i = 0
        while i < heldCount {
            let range = held[i]
            if range.end < merged.start {
                insertAt = i + 1
                i += 1
            } else if range.start > merged.end {
                break
            } else {
                merged.start = min(merged.start, range.start)
                merged.end = max(merged.end, range.end)
                merged.frame = max(merged.frame, range.frame)
                removeHeld(at: i)
            }
        }
        // The caller made sure a slot is free or the new range merges with one; if that ever
        // failed, dropping the range only makes a hole, which later becomes a gap.
        guard heldCount < pool.holeCapacity else { return }
        var j = heldCount
        while j > insertAt {
            held[j] = held[j - 1]
            j -= 1
        }
        held[insertAt] = merged
        heldCount += 1
    }

    func copy(_ bytes: UnsafeRawBufferPointer, from start: Int, range: Range<Int>) {
        (storage.baseAddress! + range.lowerBound).copyMemory(
            from: bytes.baseAddress! + (range.lowerBound - start), byteCount: range.count)
    }

    mutating func removeHeld(at index: Int) {
        var j = index
        while j + 1 < heldCount {
            held[j] = held[j + 1]
            j += 1
        }
        heldCount -= 1
    }

    // MARK: Delivery

    /// Offers buffered in-order bytes, joins held ranges that have become in order, and turns
    /// acknowledged holes into gaps, until nothing more can be done.
    mutating func drain<C: StreamConsumer>(frame: UInt64, consumer: inout C, sink: inout C.Sink) {
        while !stopped {
            let available = frontier - readOffset
            if skipRemaining > 0 && available > 0 {
                let n = min(skipRemaining, available)
                skipRemaining -= n
                counters.skippedBytes += n
                readOffset += n
                continue
            }
            if available > 0 && available >= wanted {
                let view = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[readOffset..<frontier])
                let step = consumer.streamData(view, side: side, frame: frontierFrame, sink: &sink)
                readOffset += apply(step, available: available, consumer: &consumer, sink: &sink)
                continue
            }
            if heldCount > 0 && held[0].start <= frontier {
                frontier = max(frontier, held[0].end)
                frontierFrame = max(frontierFrame, held[0].frame)
                removeHeld(at: 0)
                continue
            }
            if let ack = acknowledged {
                let target = offset(of: ack)
                if target > frontier {
                    let end = heldCount > 0 ? min(target, held[0].start) : target
                    declareGap(to: end, reason: .acknowledgedUnseen, frame: frame, consumer: &consumer, sink: &sink)
                    continue
                }
                acknowledged = nil
            }
            break
        }
        if stopped {
            heldCount = 0
            readOffset = frontier
            giveBackBlockIfEmpty()
        }
    }

    /// Reports the hole `[frontier, target)` (and any unfinished PDU before it) and moves past it.
    mutating func declareGap<C: StreamConsumer>(
        to target: Int, reason: StreamGap.Reason, frame: UInt64, consumer: inout C, sink: inout C.Sink
    ) {
        let lost = target - frontier
        let discarded = frontier - readOffset
        consumer.streamGap(StreamGap(reason: reason, sequence: sequence(at: frontier), lostBytes: lost,
                                     discardedBytes: discarded, frame: frame), side: side, sink: &sink)
        counters.gaps += 1
        counters.gapBytes += lost
        counters.discardedBytes += discarded
        readOffset = target
        frontier = target
        wanted = 1
        skipRemaining = max(0, skipRemaining - lost)
        if heldCount == 0 { rebaseIfEmpty() }
    }

    // MARK: Buffer housekeeping

    /// When nothing is buffered, offset 0 moves to the frontier.
    mutating func rebaseIfEmpty() {
        guard readOffset == frontier, heldCount == 0 else { return }
        baseSequence = sequence(at: frontier)
        readOffset = 0
        frontier = 0
        giveBackBlockIfEmpty()
    }

    /// Moves the buffered bytes down so that `readOffset` becomes 0.
    mutating func compact() {
        guard readOffset > 0 else { return }
        let shift = readOffset
        let end = heldCount > 0 ? held[heldCount - 1].end : frontier
        if end > shift {
            let base = storage.baseAddress!
            memmove(base, base + shift, end - shift)
        }
        baseSequence = sequence(at: shift)
        readOffset = 0
        frontier -= shift
        for i in 0..<heldCount {
            held[i].start -= shift
            held[i].end -= shift
        }
    }
}
