import Bytes
import Wire
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered bytes handed on: in-order data offered, held ranges joined, acknowledged holes
/// declared as gaps; and the buffer kept compact.
extension ReassemblyDirection {

    /// Offers buffered in-order bytes, joins held ranges that have become in order, and turns
    /// acknowledged holes into gaps, until nothing more can be done.
    mutating func drain<C: StreamConsumer>(frame: UInt64, consumer: inout C, sink: inout C.Sink) {
        while !stopped {
            if frontier > readOffset {
                let buffered = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[readOffset..<frontier])
                readOffset += offer(buffered, consumer: &consumer, sink: &sink)
                if stopped { break }
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
