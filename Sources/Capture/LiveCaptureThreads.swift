/// The analysis thread's side of `live --threads` 2 or more: one `LiveCaptureThread` per interface,
/// and the merge of their rings into one stream in capture-time order.
///
/// The merge hands on the earliest packet at the head of any ring once no other interface can
/// still produce an earlier one: every other ring has a packet waiting (its own are later, each
/// ring is in its interface's order), or its thread has ended, or the packet has waited out the
/// reorder window (`LiveCaptureOptions.reorderWindowNanos`: that long after its timestamp, a packet
/// of another interface stamped before it would have been read already). A ring half full is not
/// held back by the window, so a quiet interface cannot stall a busy one. Used from the analysis
/// thread only.
final class LiveCaptureThreads {
    let workers: [LiveCaptureThread]
    /// Wakes the analysis thread when a capture thread published packets or ended.
    let packetsReady: LiveWakeup
    let windowNanos: Int64

    private var hasHead: [Bool]
    private var headTime: [Int64]
    private var headOriginalLength: [Int]
    private var headBytes: [UnsafeRawBufferPointer]
    /// The ring whose head was handed on last: released at the next call, when its bytes may go.
    private var held: Int? = nil

    enum Pick {
        /// Hand on the head of this ring.
        case packet(Int)
        /// Nothing to hand on yet; with the time (real-time clock) when the head waiting for the
        /// window may go, if one waits.
        case wait(untilRealtimeNanos: Int64?)
        /// Draining: every thread ended and no packet before the stop is left.
        case done
    }

    init(handles: [LiveHandle], options: LiveCaptureOptions) throws(CaptureError) {
        packetsReady = try LiveWakeup()
        windowNanos = options.effectiveReorderWindowNanos
        var workers: [LiveCaptureThread] = []
        for handle in handles {
            workers.append(try LiveCaptureThread(handle: handle, ringBytes: options.ringBytes,
                                                 snapLength: Int(handle.snapLength), packetsReady: packetsReady))
        }
        self.workers = workers
        hasHead = Array(repeating: false, count: workers.count)
        headTime = Array(repeating: 0, count: workers.count)
        headOriginalLength = Array(repeating: 0, count: workers.count)
        headBytes = Array(repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: workers.count)
    }

    /// Whether the threads run (`start()`).
    private(set) var started = false

    /// Starts the threads. Not when the capture opens but at its first read, once the caller has
    /// given up its privileges: capabilities are a thread's own (capset, the bounding set and
    /// no_new_privs apply to the calling thread only), so threads started before the drop would
    /// keep CAP_NET_RAW and CAP_NET_ADMIN while the process seems to have none.
    func start() throws(CaptureError) {
        guard !started else { return }
        started = true
        do {
            for worker in workers { try worker.start() }
        } catch {
            joinAll()
            throw error
        }
    }

    deinit { joinAll() }

    /// Gives the packet handed on last back to its ring (its bytes were valid until now).
    func releaseHeld() {
        guard let i = held else { return }
        held = nil
        hasHead[i] = false
        workers[i].ring.release()
        workers[i].roomWakeup.wakeIfSleeping()
    }

    /// The first failure of any capture thread (the interface went down, libpcap failed).
    func failure() -> CaptureError? {
        for worker in workers where worker.finished {
            if let failure = worker.failure { return failure }
        }
        return nil
    }

    /// What to hand on now. `drainUntilNanos`: while stopping, only packets stamped up to then,
    /// and only once every empty ring's thread has ended (no window: the threads end promptly),
    /// unless `waitForThreads` is false (they took too long: what the rings hold goes on).
    func pick(realtimeNow: Int64, drainUntilNanos: Int64? = nil, waitForThreads: Bool = true) -> Pick {
        var best = -1
        var blocked = false
        for i in 0..<workers.count {
            if !hasHead[i] {
                // Ended first, then empty: packets published before the end are seen.
                let ended = workers[i].finished
                if !loadHead(i) {
                    if !ended && waitForThreads { blocked = true }
                    continue
                }
            }
            if best < 0 || headTime[i] < headTime[best] { best = i }
        }
        if let limit = drainUntilNanos {
            if best >= 0 && headTime[best] <= limit && !blocked { return .packet(best) }
            return blocked ? .wait(untilRealtimeNanos: nil) : .done
        }
        guard best >= 0 else { return .wait(untilRealtimeNanos: nil) }
        if !blocked { return .packet(best) }
        let due = headTime[best] &+ windowNanos
        if realtimeNow >= due || workers[best].ring.consumerFill >= workers[best].ring.capacity / 2 {
            return .packet(best)
        }
        return .wait(untilRealtimeNanos: due)
    }

    /// The head of ring `i`, handed on: valid until the next `releaseHeld()`.
    func take(_ i: Int) -> (timestampNanos: Int64, originalLength: Int, bytes: UnsafeRawBufferPointer) {
        held = i
        return (headTime[i], headOriginalLength[i], headBytes[i])
    }

    /// The earliest packet waiting at a ring's head, as far as the last `pick` saw.
    var earliestWaitingNanos: Int64? {
        var earliest: Int64? = nil
        for i in 0..<workers.count where hasHead[i] && held != i {
            earliest = min(earliest ?? .max, headTime[i])
        }
        return earliest
    }

    /// Every thread reads what its kernel buffer holds up to `untilNanos`, then ends.
    func drainAll(untilNanos: Int64) {
        for worker in workers { worker.drain(untilNanos: untilNanos) }
    }

    /// Every thread ends at once (what their rings hold stays unread).
    func stopAll() {
        for worker in workers { worker.stop() }
    }

    func joinAll() {
        for worker in workers { worker.join() }
    }

    private func loadHead(_ i: Int) -> Bool {
        guard let record = workers[i].ring.peek() else { return false }
        hasHead[i] = true
        headTime[i] = record.timestampNanos
        headOriginalLength[i] = record.originalLength
        headBytes[i] = record.bytes
        return true
    }
}
