#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `LiveCapture` with capture threads (`options.threads` of 2 or more): packets come from the
/// threads' rings through the merge of `LiveCaptureThreads` instead of from the handles.
extension LiveCapture {
    /// The next packet from the rings, or nil after waiting (the caller looks at the clock, the
    /// signals and the duration again).
    mutating func nextFromRings(_ threads: LiveCaptureThreads, monotonicNow now: Int64) throws(CaptureError) -> CapturedPacket? {
        if let failure = threads.failure() { throw failure }
        switch threads.pick(realtimeNow: now &+ realtimeOffset) {
        case .packet(let i): return takeFromRing(threads, i, monotonicNow: now)
        case .wait(let due): try waitForRings(threads, monotonicNow: now, dueRealtime: due)
        case .done: try waitForRings(threads, monotonicNow: now, dueRealtime: nil)
        }
        return nil
    }

    /// While stopping: the packets the threads read up to the stop, in time order, then the end.
    /// Every packet in a ring stamped before the stop is handed on, however long the analysis
    /// takes (it was captured before the stop, as what one thread drains from the kernel); only
    /// waiting for a thread to end is bounded (`drainDeadline`).
    mutating func drainRings(_ threads: LiveCaptureThreads) throws(CaptureError) -> LiveEvent {
        drain: while options.count.map({ frameCounter < $0 }) ?? true {
            if let failure = threads.failure() { throw failure }
            let now = LiveClock.monotonicNanos()
            switch threads.pick(realtimeNow: now &+ realtimeOffset, drainUntilNanos: drainUntilNanos,
                                waitForThreads: now < drainDeadline) {
            case .packet(let i): return .packet(takeFromRing(threads, i, monotonicNow: now))
            case .wait: try waitForRings(threads, monotonicNow: now, dueRealtime: nil)
            case .done: break drain
            }
        }
        threads.stopAll()
        let reason = stopping ?? .requested
        stopped = reason
        return .end(reason)
    }

    /// Hands on the head of ring `i` (lent until the next call).
    private mutating func takeFromRing(_ threads: LiveCaptureThreads, _ i: Int, monotonicNow: Int64) -> CapturedPacket {
        let record = threads.take(i)
        frameCounter += 1
        deliveredPerInterface[i] += 1
        clock.packetSeen(timestampNanos: record.timestampNanos, monotonicNow: monotonicNow)
        lastPacketLagNanos = monotonicNow &+ realtimeOffset &- record.timestampNanos
        return CapturedPacket(
            frameNumber: frameCounter, timestampNanos: record.timestampNanos, interfaceIndex: i,
            linkType: handles[i].linkType, originalLength: record.originalLength, bytes: record.bytes)
    }

    /// Sleeps until a capture thread publishes packets or ends, a stop signal, the next tick, the
    /// end of `--duration` (of the drain while stopping), or `dueRealtime` (a packet's reorder
    /// window running out).
    private mutating func waitForRings(_ threads: LiveCaptureThreads, monotonicNow now: Int64,
                                       dueRealtime: Int64?) throws(CaptureError) {
        var wakeAt = stopping == nil ? nextTickMonotonic : drainDeadline
        if let duration = options.durationNanos, stopping == nil { wakeAt = min(wakeAt, startMonotonic &+ duration) }
        if let due = dueRealtime { wakeAt = min(wakeAt, due &- realtimeOffset) }
        threads.packetsReady.prepareToSleep()
        // Looked at once more after announcing the sleep: a thread that published just before
        // could not have seen the sleeper.
        guard case .wait = threads.pick(realtimeNow: now &+ realtimeOffset,
                                        drainUntilNanos: stopping == nil ? nil : drainUntilNanos) else {
            threads.packetsReady.awake(drain: false)
            return
        }
        // The handles' own descriptors are the capture threads' to poll.
        var waitSet = (pollfd(fd: threads.packetsReady.descriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: options.stopOnSignals ? StopSignals.wakeDescriptor : -1, events: Int16(POLLIN), revents: 0))
        let timeout = Int32(clamping: max(0, (wakeAt &- now + 999_999) / 1_000_000))
        let result = withUnsafeMutableBytes(of: &waitSet) {
            poll($0.baseAddress!.assumingMemoryBound(to: pollfd.self), 2, timeout)
        }
        threads.packetsReady.awake(drain: result > 0 && waitSet.0.revents != 0)
        if result < 0 {
            let err = errno
            if err == EINTR { return }
            throw CaptureError(file: sourceName, reason: .captureFailed,
                               message: "waiting for packets failed: \(String(cString: strerror(err)))")
        }
        if waitSet.1.revents != 0 { StopSignals.drainWakeups() }
    }
}
