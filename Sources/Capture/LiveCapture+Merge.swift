import CPcap
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One thread's merge of the interfaces (`threads` 1): one packet read per interface waits here,
/// and the earliest goes out once no other interface can still hand over an earlier one.
extension LiveCapture {
    /// How long after its timestamp a packet may still be handed over by the kernel. Immediate
    /// mode hands each packet over soon after it is stamped, but not at once: the kernel stamps
    /// a received packet when it queues it (`net.core.netdev_tstamp_prequeue`) and hands it to
    /// the capture later. With no wait, about one forwarded copy in 3,000 (more under load) was
    /// read in the lab before its original, stamped 1 to 9 µs earlier
    /// (`forwardedCopiesFollowTheirOriginalsWhileTheLineStreams`: 2 runs in 22 under load, none
    /// in 28 with the millisecond). The wait only holds a packet back while another interface
    /// has nothing waiting.
    /// Otherwise the kernel fills a block of packets and hands it over when full or after the
    /// batching delay: the capture threads' reorder window covers that.
    var mergeLagNanos: Int64 { options.immediate ? Self.immediateLagNanos : options.effectiveReorderWindowNanos }

    static let immediateLagNanos: Int64 = 1_000_000

    /// Whether the packet waiting on interface `i` (the earliest waiting) may be delivered: every
    /// other interface has a later packet waiting, or was found empty late enough that it cannot
    /// still hand over an earlier one.
    func mayDeliver(_ i: Int) -> Bool {
        let needed = pendingTimestamp[i] &+ mergeLagNanos
        for j in 0..<handles.count where j != i && !hasPending[j] && checkedEmptyAt[j] < needed {
            return false
        }
        return true
    }

    /// Reads one packet into each empty pending slot whose handle may have one. libpcap keeps
    /// each handle's packet valid until that handle is read again, so one packet per interface
    /// can wait here while the earliest of them is delivered: interfaces merge in time order.
    /// `monotonicNow` was read before the reads: a handle found empty was empty then.
    mutating func fillPending(monotonicNow now: Int64) throws(CaptureError) {
        for i in 0..<handles.count where ready[i] && !hasPending[i] {
            var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
            var data: UnsafePointer<UInt8>? = nil
            if try handles[i].read(&header, &data), let header, let data {
                let h = header.pointee
                pendingHeader[i] = h
                pendingData[i] = data
                pendingTimestamp[i] = Int64(h.ts.tv_sec) &* 1_000_000_000 &+ Int64(h.ts.tv_usec) &* handles[i].fractionToNanos
                hasPending[i] = true
            } else {
                if troubled[i] {
                    // poll says the descriptor is in error but libpcap has no packet and no error
                    // to give: the interface is gone. Stop rather than spin on it.
                    throw CaptureError(file: handles[i].name, reason: .interfaceDown,
                                       message: "interface \(handles[i].name) went down or disappeared while capturing")
                }
                ready[i] = false
                checkedEmptyAt[i] = now &+ realtimeOffset
            }
        }
    }

    func earliestPending() -> Int? {
        var best: Int? = nil
        for i in 0..<handles.count where hasPending[i] {
            if best == nil || pendingTimestamp[i] < pendingTimestamp[best!] { best = i }
        }
        return best
    }

    /// Hands on the packet waiting in slot `i`.
    mutating func take(_ i: Int, monotonicNow: Int64) -> CapturedPacket {
        hasPending[i] = false
        let h = pendingHeader[i]
        let timestamp = pendingTimestamp[i]
        frameCounter += 1
        deliveredPerInterface[i] += 1
        clock.packetSeen(timestampNanos: timestamp, monotonicNow: monotonicNow)
        lastPacketLagNanos = monotonicNow &+ realtimeOffset &- timestamp
        return CapturedPacket(
            frameNumber: frameCounter, timestampNanos: timestamp, interfaceIndex: i,
            linkType: handles[i].linkType, originalLength: Int(h.len),
            bytes: UnsafeRawBufferPointer(start: pendingData[i], count: Int(h.caplen)))
    }

    /// Waits for packets until the next tick, the end of `--duration` or `until` (monotonic).
    mutating func waitForPackets(monotonicNow now: Int64, until: Int64 = .max) throws(CaptureError) {
        var wakeAt = min(nextTickMonotonic, until)
        if let duration = options.durationNanos { wakeAt = min(wakeAt, startMonotonic &+ duration) }
        try pollHandles(timeoutMillis: Int32(clamping: max(0, (wakeAt &- now + 999_999) / 1_000_000)),
                        monotonicNow: now)
    }

    /// Waits up to `timeoutMillis` for any interface (or the stop-signal pipe) and marks the
    /// interfaces that have something; those that have nothing were empty at `monotonicNow`
    /// (read before the call), at least.
    mutating func pollHandles(timeoutMillis: Int32, monotonicNow now: Int64) throws(CaptureError) {
        pollSet[pollCount - 1].fd = options.stopOnSignals ? StopSignals.wakeDescriptor : -1
        for i in 0..<pollCount { pollSet[i].revents = 0 }
        let result = poll(pollSet, nfds_t(pollCount), timeoutMillis)
        if result < 0 {
            let err = errno
            if err == EINTR { return }
            throw CaptureError(file: sourceName, reason: .captureFailed,
                               message: "waiting for packets failed: \(String(cString: strerror(err)))")
        }
        for i in 0..<handles.count {
            if pollSet[i].revents != 0 {
                ready[i] = true
                if Int32(pollSet[i].revents) & (POLLERR | POLLHUP | POLLNVAL) != 0 { troubled[i] = true }
            } else if !ready[i] {
                checkedEmptyAt[i] = now &+ realtimeOffset
            }
        }
        if pollSet[pollCount - 1].revents != 0 { StopSignals.drainWakeups() }
    }
}
