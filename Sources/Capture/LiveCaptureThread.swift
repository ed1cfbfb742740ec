import CPcap
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One interface's capture thread (`live --threads` 2 or more): reads its libpcap handle as fast
/// as the kernel hands packets over and copies each into its `LivePacketRing`, so that reading
/// never waits for the analysis. When the ring is full it stops reading until the analysis frees
/// room: the kernel's buffer then fills and its drops are counted by libpcap (`ps_drop`), never
/// lost silently here.
///
/// Commands come from the analysis thread through `command` (run, drain, stop) and a wake-up of
/// the thread's own pipe; the thread reports to the analysis thread through the ring, `finished`,
/// `failure` and the shared `packetsReady` wake-up. libpcap calls on the handle are made under the
/// handle's lock, which `LiveCapture.statistics()` takes too (`pcap_stats` from the other thread).
final class LiveCaptureThread: @unchecked Sendable {
    enum Command: Int { case run = 0, drain = 1, stop = 2 }

    let handle: LiveHandle
    let ring: LivePacketRing
    /// Wakes this thread: a command.
    let wakeup: LiveWakeup
    /// Wakes this thread while it waits for room in its ring (the analysis released a packet).
    /// Apart from `wakeup`, so that the analysis, which releases a packet at every step, wakes
    /// the thread only when it waits for room, not whenever it waits for the kernel.
    let roomWakeup: LiveWakeup
    /// Wakes the analysis thread: packets published, the thread finished or failed.
    private let packetsReady: LiveWakeup
    private let command = Atomic<Int>(Command.run.rawValue)
    /// While draining: the stop moment; the first packet stamped after it ends the drain.
    private let drainUntilNanos = Atomic<Int64>(0)
    private let done = Atomic<Bool>(false)
    private let error = Mutex<CaptureError?>(nil)
    private var thread: pthread_t? = nil

    /// Packets read from libpcap in one turn under the handle's lock before publishing them.
    static let batch = 64

    init(handle: LiveHandle, ringBytes: Int, snapLength: Int, packetsReady: LiveWakeup) throws(CaptureError) {
        self.handle = handle
        self.ring = LivePacketRing(minimumBytes: ringBytes, largestFrame: snapLength)
        self.wakeup = try LiveWakeup()
        self.roomWakeup = try LiveWakeup()
        self.packetsReady = packetsReady
    }

    /// Starts the thread.
    func start() throws(CaptureError) {
        let context = Unmanaged.passRetained(self).toOpaque()
        var created = pthread_t()
        let status = pthread_create(&created, nil, { context in
            let worker = Unmanaged<LiveCaptureThread>.fromOpaque(context!).takeRetainedValue()
            worker.run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<LiveCaptureThread>.fromOpaque(context).release()
            throw CaptureError(file: handle.name, reason: .captureFailed,
                               message: "cannot start a capture thread for \(handle.name): \(String(cString: strerror(status)))")
        }
        thread = created
    }

    /// Whether the thread has ended (drained, stopped or failed); its ring keeps what it read.
    var finished: Bool { done.load(ordering: .acquiring) }

    /// Why the thread ended, if it failed.
    var failure: CaptureError? { error.withLock { $0 } }

    /// Asks the thread to read what the kernel holds until its buffer is empty or a packet comes
    /// stamped after `untilNanos`, then end.
    func drain(untilNanos: Int64) {
        drainUntilNanos.store(untilNanos, ordering: .relaxed)
        command.store(Command.drain.rawValue, ordering: .releasing)
        wakeup.wake()
    }

    /// Asks the thread to end now.
    func stop() {
        command.store(Command.stop.rawValue, ordering: .releasing)
        wakeup.wake()
    }

    /// Stops the thread and waits for it to end.
    func join() {
        guard let thread else { return }
        stop()
        pthread_join(thread, nil)
        self.thread = nil
    }

    private var currentCommand: Command { Command(rawValue: command.load(ordering: .acquiring)) ?? .stop }

    private func run() {
        // SIGINT and SIGTERM go to the analysis thread, which polls the stop-signal pipe.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        defer {
            ring.publish()
            done.store(true, ordering: .releasing)
            packetsReady.wake()
        }
        var pollSet = [pollfd(fd: handle.selectableDescriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeup.descriptor, events: Int16(POLLIN), revents: 0)]
        var troubled = false
        while true {
            let command = currentCommand
            if command == .stop { return }
            let limit = command == .drain ? drainUntilNanos.load(ordering: .relaxed) : Int64.max
            let outcome: BatchOutcome
            do {
                outcome = try readBatch(until: limit)
            } catch {
                fail(error)
                return
            }
            ring.publish()
            packetsReady.wakeIfSleeping()
            switch outcome {
            case .more:
                continue
            case .pastDrainLimit:
                return
            case .full(let header, let data):
                // Stop reading until the analysis frees room; the kernel buffers (and counts drops).
                guard waitForRoom(captured: Int(header.caplen)) else { return }
                let bytes = UnsafeRawBufferPointer(start: data, count: Int(header.caplen))
                _ = ring.append(timestampNanos: timestamp(header), originalLength: header.len, bytes: bytes)
            case .empty(let readAny):
                if command == .drain { return }
                if !readAny && troubled {
                    // poll says the descriptor is in error and libpcap has nothing to give: the
                    // interface is gone. End rather than spin on it.
                    fail(CaptureError(file: handle.name, reason: .interfaceDown,
                                      message: "interface \(handle.name) went down or disappeared while capturing"))
                    return
                }
                wakeup.prepareToSleep()
                if currentCommand != command { wakeup.awake(drain: false); continue }
                for i in 0..<pollSet.count { pollSet[i].revents = 0 }
                let result = poll(&pollSet, nfds_t(pollSet.count), 1000)
                wakeup.awake(drain: pollSet[1].revents != 0)
                if result < 0 && errno != EINTR {
                    fail(CaptureError(file: handle.name, reason: .captureFailed,
                                      message: "waiting for packets on \(handle.name) failed: \(String(cString: strerror(errno)))"))
                    return
                }
                troubled = Int32(pollSet[0].revents) & (POLLERR | POLLHUP | POLLNVAL) != 0
            }
        }
    }

    private enum BatchOutcome {
        /// The batch was read in full: there may be more.
        case more
        /// The kernel had no more (`readAny`: whether this batch had any).
        case empty(readAny: Bool)
        /// While draining, a packet stamped after the stop: the drain is over.
        case pastDrainLimit
        /// The ring has no room for this packet, read but not copied; libpcap's pointers stay
        /// valid until the handle is read again.
        case full(pcap_pkthdr, UnsafePointer<UInt8>)
    }

    /// Up to `batch` packets from libpcap into the ring, under the handle's lock.
    private func readBatch(until limit: Int64) throws(CaptureError) -> BatchOutcome {
        try handle.access.withLock { _ throws(CaptureError) -> BatchOutcome in
            for n in 0..<LiveCaptureThread.batch {
                var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
                var data: UnsafePointer<UInt8>? = nil
                guard try handle.read(&header, &data), let header, let data else { return .empty(readAny: n > 0) }
                let h = header.pointee
                let time = timestamp(h)
                if time > limit { return .pastDrainLimit }
                let bytes = UnsafeRawBufferPointer(start: data, count: Int(h.caplen))
                if !ring.append(timestampNanos: time, originalLength: h.len, bytes: bytes) { return .full(h, data) }
            }
            return .more
        }
    }

    /// Sleeps until the ring has room for a frame of `captured` bytes; false if told to stop meanwhile.
    private func waitForRoom(captured: Int) -> Bool {
        while !ring.hasRoom(captured: captured) {
            if currentCommand == .stop { return false }
            roomWakeup.prepareToSleep()
            if ring.hasRoom(captured: captured) || currentCommand == .stop { roomWakeup.awake(drain: false); continue }
            // Room, or a command (stop).
            var waitSet = (pollfd(fd: roomWakeup.descriptor, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: wakeup.descriptor, events: Int16(POLLIN), revents: 0))
            _ = withUnsafeMutableBytes(of: &waitSet) {
                poll($0.baseAddress!.assumingMemoryBound(to: pollfd.self), 2, 1000)
            }
            roomWakeup.awake(drain: waitSet.0.revents != 0)
            // A command's byte is emptied here too (the loop reads the command itself), or the
            // next poll would return at once.
            if waitSet.1.revents != 0 { wakeup.awake() }
        }
        return true
    }

    @inline(__always)
    private func timestamp(_ h: pcap_pkthdr) -> Int64 {
        Int64(h.ts.tv_sec) &* 1_000_000_000 &+ Int64(h.ts.tv_usec) &* handle.fractionToNanos
    }

    private func fail(_ failure: CaptureError) {
        error.withLock { $0 = failure }
    }
}
