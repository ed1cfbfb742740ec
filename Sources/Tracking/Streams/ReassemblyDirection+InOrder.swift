import Bytes
import Wire

/// Bytes that arrive in order: offered straight from the packet when nothing is buffered, and the
/// decoder's answers carried out.
extension ReassemblyDirection {
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
        let used = offer(bytes, consumer: &consumer, sink: &sink)
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

    /// Offers in-order bytes (the packet's own, or the buffer's) to the decoder: first whatever a
    /// skip still covers, then PDU by PDU while there are as many bytes as it wants. Returns how
    /// many it used up; stops when the decoder wants more than is there, or stops.
    mutating func offer<C: StreamConsumer>(
        _ bytes: UnsafeRawBufferPointer, consumer: inout C, sink: inout C.Sink
    ) -> Int {
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
        return used
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
}
