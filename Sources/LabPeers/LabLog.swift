#if canImport(Glibc)
import Glibc
#endif

/// One line per event on stderr: seconds since the peer started, the peer's name, the event.
/// The lab script keeps these logs beside the capture, so a reader can line up what each peer
/// did with what the gateway saw.
public struct LabLog: Sendable {
    public let name: String
    let clock: LabClock

    public init(name: String, clock: LabClock) {
        self.name = name
        self.clock = clock
    }

    public func event(_ text: String) {
        let line = "\(LabLog.seconds(clock.now)) \(name): \(text)\n"
        // One write(2) per line: lines of concurrent peers sharing a log file never interleave.
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    static func seconds(_ value: Double) -> String {
        let millis = Int((value * 1000).rounded())
        let fraction = String(millis % 1000)
        return "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}

/// Monotonic seconds since the peer started.
public struct LabClock: Sendable {
    let start: Double

    public init() { start = LabClock.monotonic() }

    public var now: Double { LabClock.monotonic() - start }

    static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
