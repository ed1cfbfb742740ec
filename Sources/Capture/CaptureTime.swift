/// Arithmetic on capture times (nanoseconds since the epoch). A damaged file can carry any 64-bit
/// timestamp, so the difference of two times may not fit an Int64: it saturates instead of
/// trapping, which keeps every comparison against a window or a timeout meaningful.
public enum CaptureTime {
    /// The range the tracking stages keep times in: ±2^62 ns (about 146 years either side of 1970),
    /// so that the difference of any two of them, and a timeout added to one, fits an Int64.
    public static let trackableRange: ClosedRange<Int64> = -(1 << 62)...(1 << 62)

    /// A packet's time as the tracking stages see it: clamped into `trackableRange` (only a damaged
    /// timestamp is outside it; the packet record still shows the time as read).
    @inlinable
    public static func trackable(_ time: Int64) -> Int64 {
        min(max(time, trackableRange.lowerBound), trackableRange.upperBound)
    }

    /// `later - earlier`, clamped to Int64's range.
    @inlinable
    public static func elapsed(from earlier: Int64, to later: Int64) -> Int64 {
        let (difference, overflow) = later.subtractingReportingOverflow(earlier)
        guard overflow else { return difference }
        return later > earlier ? .max : .min
    }

    /// `time + duration`, clamped to Int64's range (a deadline past the end of the clock is
    /// never reached, rather than a trap).
    @inlinable
    public static func after(_ time: Int64, _ duration: Int64) -> Int64 {
        let (sum, overflow) = time.addingReportingOverflow(duration)
        guard overflow else { return sum }
        return duration > 0 ? .max : .min
    }

    /// `|a - b|`, clamped to Int64.max.
    @inlinable
    public static func distance(_ a: Int64, _ b: Int64) -> Int64 {
        let d = elapsed(from: b, to: a)
        return d == .min ? .max : abs(d)
    }
}
