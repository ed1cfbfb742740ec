import CPcap
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Live capture through libpcap on one or more interfaces at once, as a `PacketSource`: live
/// packets go through exactly the same code as packets from files.
///
/// One nonblocking handle per interface; the capture waits on all of their descriptors (and on
/// the stop-signal pipe) with one `poll`, keeps at most one read packet per interface waiting,
/// and delivers the earliest of them once every other interface either has a later packet
/// waiting or was found empty after it (`mayDeliver`), so interfaces merge in capture-time order:
/// a packet forwarded by the gateway comes after its copy on the way in. Each packet is lent in
/// place from libpcap's buffer (`pcap_next_ex`), valid until the next call, and carries the
/// index of its interface in `interfaces`. Reading allocates nothing per packet.
///
/// With `options.threads` of 2 or more, each interface is read by a capture thread of its own
/// into a ring of copies (`LiveCaptureThreads`), and `nextEvent()` merges the rings in capture-time
/// order with a reorder window; a packet is then lent from its ring until the next call.
///
/// Besides packets, `nextEvent()` reports the live clock (`.tick`) at least every
/// `tickIntervalNanos` and the end of the capture (`.end`) for `count`, `duration`, SIGINT/SIGTERM
/// or `requestStop()`. On a signal, a duration or a requested stop, packets already captured
/// before that moment are still delivered before `.end`.
public struct LiveCapture: PacketSource, ~Copyable {
    public let sourceName: String
    public private(set) var interfaces: [CaptureInterface]
    public let options: LiveCaptureOptions
    /// Non-fatal remarks from opening the interfaces, one line each, for stderr.
    public let warnings: [String]

    let handles: [LiveHandle]
    let pollSet: UnsafeMutablePointer<pollfd>
    let pollCount: Int
    /// Whether a handle may have packets waiting (set by poll, cleared when it has none).
    var ready: [Bool]
    /// Whether poll reported an error condition on a handle's descriptor.
    var troubled: [Bool]
    var deliveredPerInterface: [UInt64]
    /// One packet per interface, read but not yet delivered (see `fillPending`).
    var hasPending: [Bool]
    var pendingHeader: [pcap_pkthdr]
    var pendingData: [UnsafePointer<UInt8>?]
    var pendingTimestamp: [Int64]
    /// When each interface was last found to have nothing to read (real-time clock, taken before
    /// the look): no packet stamped before then can still come from it, with `mergeLagNanos`.
    var checkedEmptyAt: [Int64]
    var frameCounter: UInt64 = 0
    var clock = LiveClock()
    /// The real-time clock minus the monotonic one, to date a packet's delivery without a second
    /// clock read per packet; measured again at every tick (the real-time clock may be stepped).
    var realtimeOffset: Int64
    /// How long after its timestamp the last packet was handed to the caller.
    public internal(set) var lastPacketLagNanos: Int64? = nil
    let startMonotonic: Int64
    var nextTickMonotonic: Int64
    var stopping: LiveStopReason? = nil
    /// While stopping: capture time up to which packets still waiting are delivered.
    var drainUntilNanos: Int64 = 0
    var stopped: LiveStopReason? = nil
    private var failed = false
    /// OS interface index to name, read when opening; `-i any` packets carry the index (SLL2).
    private var systemNames: [UInt32: String]
    /// The capture threads and their rings, with `options.threads` of 2 or more.
    let threads: LiveCaptureThreads?
    /// While stopping with threads: when to give up waiting for them to drain (monotonic).
    var drainDeadline: Int64 = 0

    public init(options: LiveCaptureOptions) throws(CaptureError) {
        guard !options.interfaces.isEmpty else {
            throw CaptureError(file: "live", reason: .noSuchInterface, message: "no interface to capture on")
        }
        var handles: [LiveHandle] = []
        var interfaces: [CaptureInterface] = []
        var warnings: [String] = []
        for name in options.interfaces {
            let handle = try LiveHandle(interface: name, options: options)
            warnings += handle.warnings.map { "\(name): \($0)" }
            interfaces.append(CaptureInterface(
                name: name, linkType: handle.linkType, snapLength: handle.snapLength,
                timestampResolution: handle.fractionToNanos == 1 ? .nanoseconds : .microseconds))
            if !handle.linkType.isSupported {
                warnings.append("\(name): link type \(handle.linkType.name) is not decoded; its packets are counted only")
            }
            handles.append(handle)
        }
        // Made before anything of self is set (a throw leaves nothing half made); started at the
        // first read (`LiveCaptureThreads.start`).
        let threads = options.threads >= 2 ? try LiveCaptureThreads(handles: handles, options: options) : nil
        self.options = options
        self.sourceName = options.interfaces.joined(separator: ",")
        self.handles = handles
        self.interfaces = interfaces
        self.warnings = warnings
        ready = Array(repeating: true, count: handles.count)
        troubled = Array(repeating: false, count: handles.count)
        deliveredPerInterface = Array(repeating: 0, count: handles.count)
        hasPending = Array(repeating: false, count: handles.count)
        pendingHeader = Array(repeating: pcap_pkthdr(), count: handles.count)
        pendingData = Array(repeating: nil, count: handles.count)
        pendingTimestamp = Array(repeating: 0, count: handles.count)
        checkedEmptyAt = Array(repeating: Int64.min, count: handles.count)
        pollCount = handles.count + 1
        pollSet = .allocate(capacity: handles.count + 1)
        for (i, handle) in handles.enumerated() {
            pollSet[i] = pollfd(fd: handle.selectableDescriptor, events: Int16(POLLIN), revents: 0)
        }
        // The last slot is the stop-signal pipe (-1, ignored by poll, until signals are installed).
        pollSet[handles.count] = pollfd(fd: -1, events: Int16(POLLIN), revents: 0)
        startMonotonic = LiveClock.monotonicNanos()
        realtimeOffset = LiveClock.realtimeNanos() &- LiveClock.monotonicNanos()
        nextTickMonotonic = startMonotonic &+ options.tickIntervalNanos
        systemNames = LiveCapture.systemInterfaceNames()
        self.threads = threads
    }

    deinit {
        threads?.joinAll()
        pollSet.deallocate()
    }

    /// Frames delivered so far, over all interfaces.
    public var delivered: UInt64 { frameCounter }

    /// Frames delivered per interface, in the order of `interfaces`.
    public var deliveredPerInterfaceIndex: [UInt64] { deliveredPerInterface }

    /// The live clock now: capture time in nanoseconds since the Unix epoch.
    public var nowNanos: Int64 { clock.now(monotonicNow: LiveClock.monotonicNanos()) }

    /// Wall-clock time since the capture opened.
    public var elapsedNanos: Int64 { LiveClock.monotonicNanos() &- startMonotonic }

    /// Why the capture ended, once it has.
    public var stopReason: LiveStopReason? { stopped }

    /// The name of an operating-system interface index, as `-i any` packets carry it in their
    /// Linux cooked v2 header (`LinkLayer.interfaceIndex`).
    public mutating func systemInterfaceName(index: UInt32) -> String? {
        if let name = systemNames[index] { return name }
        // An interface created after the capture started.
        var buffer = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        guard if_indextoname(index, &buffer) != nil else { return nil }
        let name = LiveHandle.text(buffer)
        systemNames[index] = name
        return name
    }

    /// Ends the capture at the next call, after delivering what was captured until now.
    public mutating func requestStop() {
        if stopping == nil && stopped == nil { beginStop(.requested) }
    }

    /// Reads `pcap_stats` of every interface (cumulative since opening), stores them in
    /// `interfaces[i].statistics`, and returns them. nil for an interface whose counters cannot
    /// be read.
    @discardableResult
    public mutating func statistics() -> [InterfaceStatistics?] {
        var result: [InterfaceStatistics?] = []
        result.reserveCapacity(handles.count)
        for (i, handle) in handles.enumerated() {
            let stats = handle.statistics(delivered: deliveredPerInterface[i])
            if let stats { interfaces[i].statistics = stats }
            result.append(stats)
        }
        return result
    }

    public mutating func nextPacket() throws(CaptureError) -> CapturedPacket? {
        while true {
            switch try nextEvent() {
            case .packet(let packet): return packet
            case .tick: continue
            case .end: return nil
            }
        }
    }

    public mutating func nextEvent() throws(CaptureError) -> LiveEvent {
        // The packet lent last (from a ring) is returned; its bytes are no longer used.
        threads?.releaseHeld()
        if let stopped { return .end(stopped) }
        if failed { return .end(.requested) }
        do {
            if let threads, !threads.started { try threads.start() }
            return try nextEventUnchecked()
        } catch {
            failed = true
            threads?.stopAll()
            throw error
        }
    }

    private mutating func nextEventUnchecked() throws(CaptureError) -> LiveEvent {
        while true {
            if stopping != nil { return try drainEvent() }
            if let count = options.count, frameCounter >= count {
                stopped = .count
                threads?.stopAll()
                return .end(.count)
            }
            if options.stopOnSignals, let signal = StopSignals.received {
                beginStop(.signal(signal))
                continue
            }
            let now = LiveClock.monotonicNanos()
            if let duration = options.durationNanos, now &- startMonotonic >= duration {
                beginStop(.duration)
                continue
            }
            if now >= nextTickMonotonic {
                nextTickMonotonic = now &+ options.tickIntervalNanos
                realtimeOffset = LiveClock.realtimeNanos() &- LiveClock.monotonicNanos()
                if threads == nil {
                    // What the kernel has handed over by now is read first, so that the tick
                    // stays before it (`tickTime`).
                    try pollHandles(timeoutMillis: 0, monotonicNow: now)
                    try fillPending(monotonicNow: now)
                }
                return .tick(nowNanos: tickTime(monotonicNow: now))
            }
            if let threads {
                if let packet = try nextFromRings(threads, monotonicNow: now) { return .packet(packet) }
                continue
            }
            try fillPending(monotonicNow: now)
            if let i = earliestPending() {
                if mayDeliver(i) { return .packet(take(i, monotonicNow: now)) }
                // Another interface may still hold an earlier packet: look at them all now, or,
                // when the kernel may not have handed it over yet, wait until it must have.
                let due = pendingTimestamp[i] &+ mergeLagNanos &- realtimeOffset
                if now >= due {
                    try pollHandles(timeoutMillis: 0, monotonicNow: now)
                } else {
                    try waitForPackets(monotonicNow: now, until: due)
                }
                continue
            }
            try waitForPackets(monotonicNow: now)
        }
    }

    /// The clock a tick reports. Without immediate mode the kernel hands packets over up to
    /// `batchTimeoutMillis` late, so a packet stamped shortly before a tick may still come after
    /// it: the tick's time stays that far behind the wall clock (`mergeLagNanos` on one thread,
    /// never behind a delivered packet), so that no deadline expires before the packets that
    /// could have met it were seen. With capture threads, packets also wait in the rings for the
    /// reorder window: the tick stays that much further behind. Either way it stays before any
    /// packet still waiting.
    private func tickTime(monotonicNow now: Int64) -> Int64 {
        var time = clock.now(monotonicNow: now)
        let lag: Int64
        if let threads {
            lag = (options.immediate ? 0 : Int64(options.batchTimeoutMillis) &* 1_000_000) &+ threads.windowNanos
            if let waiting = threads.earliestWaitingNanos { time = min(time, waiting &- 1 &+ lag) }
        } else {
            // One thread holds a packet until the other interfaces cannot have an earlier one.
            lag = mergeLagNanos
            if let i = earliestPending() { time = min(time, pendingTimestamp[i] &- 1 &+ lag) }
        }
        return max(clock.anchorCaptureNanos, time &- lag)
    }

    private mutating func beginStop(_ reason: LiveStopReason) {
        stopping = reason
        // Packet timestamps come from the system's real-time clock, so the stop moment is read
        // from it too: the live clock (last packet + elapsed) lags behind it by however late the
        // last packet was read, and packets of that lag must not be lost.
        drainUntilNanos = max(clock.now(monotonicNow: LiveClock.monotonicNanos()), LiveClock.realtimeNanos())
        for i in 0..<ready.count { ready[i] = true }
        // The threads read what their kernel buffers hold; a thread that cannot finish (a line
        // flooded past the stop is ended by its first later packet) is not waited for long.
        drainDeadline = LiveClock.monotonicNanos() &+ 2_000_000_000
        threads?.drainAll(untilNanos: drainUntilNanos)
    }

    /// Delivers the packets that were captured before the stop, in time order, then ends. The
    /// first packet stamped after the stop ends the drain (it came after the stop).
    private mutating func drainEvent() throws(CaptureError) -> LiveEvent {
        if let threads { return try drainRings(threads) }
        if options.count.map({ frameCounter < $0 }) ?? true {
            try fillPending(monotonicNow: LiveClock.monotonicNanos())
            if let i = earliestPending(), pendingTimestamp[i] <= drainUntilNanos {
                return .packet(take(i, monotonicNow: LiveClock.monotonicNanos()))
            }
        }
        let reason = stopping ?? .requested
        stopped = reason
        return .end(reason)
    }

    private static func systemInterfaceNames() -> [UInt32: String] {
        var names: [UInt32: String] = [:]
        guard let list = if_nameindex() else { return names }
        defer { if_freenameindex(list) }
        var entry = list
        while entry.pointee.if_index != 0, let name = entry.pointee.if_name {
            names[entry.pointee.if_index] = String(cString: name)
            entry += 1
        }
        return names
    }
}
