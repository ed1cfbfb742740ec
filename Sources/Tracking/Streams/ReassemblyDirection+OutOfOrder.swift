import Bytes
import Wire

/// Bytes that arrive ahead of the frontier: held as ranges in the buffer until the hole before
/// them is filled or given up.
extension ReassemblyDirection {
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
}
