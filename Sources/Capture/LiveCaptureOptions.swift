/// How `LiveCapture` opens its interfaces and when it stops.
public struct LiveCaptureOptions: Sendable, Equatable {
    /// Interface names as libpcap knows them; "any" captures all of them in Linux cooked v2
    /// framing, which keeps each packet's interface index in its link header.
    public var interfaces: [String]
    /// Bytes kept of each packet. 262144 is libpcap's and tcpdump's default ("whole packet").
    public var snapLength: Int32 = 262_144
    public var promiscuous: Bool = true
    /// Deliver each packet as soon as it arrives instead of in kernel batches.
    public var immediate: Bool = false
    /// Kernel ring size in bytes; nil: libpcap's default (2 MiB), or `immediateBufferSize` in
    /// immediate mode (`effectiveBufferSize`).
    public var bufferSize: Int32? = nil
    /// A BPF filter expression (tcpdump syntax), compiled once per interface.
    public var filter: String? = nil
    /// Stop after this many packets (over all interfaces).
    public var count: UInt64? = nil
    /// Stop after this much wall-clock time, in nanoseconds.
    public var durationNanos: Int64? = nil
    /// How often the live clock ticks: at least once a second by contract.
    public var tickIntervalNanos: Int64 = 1_000_000_000
    /// Batching delay in milliseconds when not in immediate mode: the kernel hands over a block
    /// of packets at the latest after this long, so a quiet line still delivers promptly.
    public var batchTimeoutMillis: Int32 = 100
    /// Stop when SIGINT or SIGTERM arrives (requires `StopSignals.install()` in the process).
    public var stopOnSignals: Bool = true
    /// 1: one thread reads the interfaces and analyses, as it always did. 2 or more: each
    /// interface is read by a capture thread of its own into a ring (`ringBytes`), and the
    /// caller's thread merges the rings in capture-time order and analyses.
    public var threads: Int = 1
    /// Bytes of each capture thread's ring (rounded up to a power of two).
    public var ringBytes: Int = 16 << 20
    /// How long a packet waits for the other interfaces' earlier packets before the merge hands
    /// it on while one of them has nothing waiting; nil: `effectiveReorderWindowNanos`'s default.
    public var reorderWindowNanos: Int64? = nil

    /// The kernel ring asked of libpcap: `bufferSize` when given, else `immediateBufferSize` in
    /// immediate mode, else nil (libpcap's 2 MiB).
    public var effectiveBufferSize: Int32? { bufferSize ?? (immediate ? Self.immediateBufferSize : nil) }

    /// In immediate mode libpcap reads the kernel ring in slots of one fixed size, as large as
    /// the snap length (without immediate mode, in blocks that pack packets by their length).
    /// With the default snap length, libpcap's 2 MiB then held 8 packets on `any` and 32 on an
    /// Ethernet interface with offloads (measured in the lab: a burst of a dozen lost 3 while
    /// one packet was analysed). 32 MiB holds 128 and 512
    /// (`immediateRingHoldsABurstWhileUnread`); the kernel rounds each slot up to a power of two,
    /// so on `any` it takes 64 MiB.
    public static let immediateBufferSize: Int32 = 32 << 20

    /// The reorder window in force: 20 ms (a capture thread that has the CPU reads a packet well
    /// within that, even on a machine shared with the sender), plus, when the kernel batches
    /// (not `immediate`), twice the batching delay: the kernel's block timer retires a block
    /// only if no new block was opened since the timer last fired (`af_packet.c`,
    /// `prb_retire_rx_blk_timer_expired`), so a block can be handed over up to two delays after
    /// its first packet's timestamp.
    public var effectiveReorderWindowNanos: Int64 {
        reorderWindowNanos ?? (20_000_000 + (immediate ? 0 : 2 * Int64(batchTimeoutMillis) * 1_000_000))
    }

    public init(interfaces: [String]) {
        self.interfaces = interfaces
    }
}

/// Why a live capture ended without an error.
public enum LiveStopReason: Sendable, Equatable {
    /// `--count` packets were delivered.
    case count
    /// `--duration` elapsed.
    case duration
    /// SIGINT or SIGTERM (the signal number).
    case signal(Int32)
    /// `requestStop()` was called.
    case requested

    public var name: String {
        switch self {
        case .count: "count"
        case .duration: "duration"
        case .signal(let s): s == 2 ? "SIGINT" : s == 15 ? "SIGTERM" : "signal \(s)"
        case .requested: "requested"
        }
    }
}

/// What `LiveCapture.nextEvent()` hands on.
public enum LiveEvent {
    /// A packet; its bytes are borrowed until the next call, as for every `PacketSource`.
    case packet(CapturedPacket)
    /// The live clock advanced without (or besides) packets. `nowNanos` is the capture clock: the
    /// last packet's timestamp plus the wall-clock time elapsed since it was read (before the
    /// first packet, the wall clock), held back by the kernel's batching delay when not in
    /// immediate mode, and never behind a packet already delivered. Comes at least every `tickIntervalNanos`, whether packets
    /// flow or not, so deadlines expire on a quiet line and periodic work (stats, flushing) runs.
    case tick(nowNanos: Int64)
    /// The capture ended; every later call returns `.end` again.
    case end(LiveStopReason)
}
