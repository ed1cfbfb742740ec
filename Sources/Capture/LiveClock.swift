#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The live capture clock. Packet timestamps are the clock while packets flow; between packets the
/// clock moves on by the monotonic time elapsed since the last one, so a step of the system clock
/// never makes capture time jump, and the clock never runs backwards.
struct LiveClock {
    /// Capture time of the last reading, nanoseconds since the Unix epoch.
    private(set) var anchorCaptureNanos: Int64
    /// Monotonic time at that reading.
    private(set) var anchorMonotonicNanos: Int64

    init() {
        anchorCaptureNanos = LiveClock.realtimeNanos()
        anchorMonotonicNanos = LiveClock.monotonicNanos()
    }

    /// A packet was read now with this timestamp.
    mutating func packetSeen(timestampNanos: Int64, monotonicNow: Int64) {
        // Packets of different interfaces can arrive slightly out of timestamp order; the clock
        // keeps the latest time it has shown.
        let current = now(monotonicNow: monotonicNow)
        anchorCaptureNanos = max(timestampNanos, current)
        anchorMonotonicNanos = monotonicNow
    }

    func now(monotonicNow: Int64) -> Int64 {
        anchorCaptureNanos &+ max(0, monotonicNow &- anchorMonotonicNanos)
    }

    static func monotonicNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }

    static func realtimeNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }
}
