#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A one-line sign of life on a terminal while a long file is read (bytes read of the file size,
/// packets a second, time left) or a live capture runs (packets, drops and findings so far),
/// redrawn in place at most four times a second and erased when the run ends.
///
/// The wall clock here paces the redraws and estimates the time left, and nothing else: the
/// analysis never sees it (capture time is its only clock). Whether a line is wanted is the
/// caller's decision (`wanted`): only on a terminal, never with `--quiet`.
public final class ProgressLine {
    private let fd: Int32
    /// The size of everything to be read, when known (regular files); nil for standard input.
    private let totalBytes: Int64?
    private let start: Int64
    private var lastDraw: Int64
    private var shown = false
    /// Lines drawn so far.
    public private(set) var redraws = 0

    /// At most four redraws a second.
    static let interval: Int64 = 250_000_000

    public init(fd: Int32 = 2, totalBytes: Int64?) {
        self.fd = fd
        self.totalBytes = totalBytes
        start = Self.now()
        // The first line waits an interval too: a short file shows nothing.
        lastDraw = start
    }

    /// A progress line belongs on stderr when it is a terminal, `--quiet` was not given, and
    /// standard output either goes elsewhere or is written only at the end (so that a line of
    /// results never lands in the middle of the progress line).
    public static func wanted(quiet: Bool, stdoutWrittenOnlyAtEnd: Bool, fd: Int32 = 2) -> Bool {
        !quiet && isatty(fd) == 1 && (isatty(1) == 0 || stdoutWrittenOnlyAtEnd)
    }

    /// Whether a redraw is due (cheap: one clock read).
    public func due() -> Bool {
        Self.now() - lastDraw >= Self.interval
    }

    /// Reading files: `bytes` read so far of `totalBytes`, `packets` analysed.
    public func file(bytes: Int64, packets: UInt64) {
        let now = Self.now()
        guard now - lastDraw >= Self.interval else { return }
        let elapsed = Double(now - start) / 1e9
        var parts: [String] = []
        var fraction: Double? = nil
        if let total = totalBytes, total > 0 {
            let f = min(1, Double(bytes) / Double(total))
            fraction = f
            parts.append(Self.percent(f))
            parts.append("\(Self.megabytes(bytes, unit: false))/\(Self.megabytes(total))")
            parts.append("\(Self.rate(Double(packets) / elapsed)) packets/s")
            if bytes > 0 && f < 1 {
                let left = Double(total - bytes) / (Double(bytes) / elapsed)
                parts.append("\(Self.clock(left)) left")
            }
        } else {
            parts.append("\(Self.megabytes(bytes)) read")
            parts.append("\(Self.count(packets)) packets")
            parts.append("\(Self.rate(Double(packets) / elapsed)) packets/s")
        }
        draw(parts, bar: fraction, at: now)
    }

    /// A live capture: packets analysed, dropped by the kernel, findings so far.
    public func live(packets: UInt64, dropped: UInt64, findings: Int) {
        let now = Self.now()
        guard now - lastDraw >= Self.interval else { return }
        let elapsed = Double(now - start) / 1e9
        draw(["live \(Self.clock(elapsed))", "\(Self.count(packets)) packets (\(Self.rate(Double(packets) / elapsed))/s)",
              "\(Self.count(dropped)) dropped", "\(findings) finding\(findings == 1 ? "" : "s")"], bar: nil, at: now)
    }

    /// Erases the line (before other text goes to the terminal, and at the end).
    public func clear() {
        guard shown else { return }
        write("\r\u{1B}[K")
        shown = false
    }

    /// The words, after a bar as wide as the terminal leaves room for (none when it is narrow).
    private func draw(_ parts: [String], bar fraction: Double?, at now: Int64) {
        lastDraw = now
        let width = Self.columns(fd)
        var line = parts.joined(separator: "  ")
        if let fraction {
            let room = min(30, width - line.count - 4)
            if room >= 8 { line = Self.bar(fraction, width: room) + " " + line }
        }
        if line.count >= width { line = String(line.prefix(max(0, width - 1))) }
        write("\r" + line + "\u{1B}[K")
        shown = true
        redraws += 1
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        bytes.withUnsafeMutableBytes { raw in
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }

    // MARK: Formats

    static func bar(_ fraction: Double, width: Int = 24) -> String {
        let filled = Int((fraction * Double(width)).rounded(.down))
        return "[" + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + "]"
    }

    static func percent(_ fraction: Double) -> String {
        "\(Int((fraction * 100).rounded(.down)))%"
    }

    static func megabytes(_ bytes: Int64, unit: Bool = true) -> String {
        let tenths = Int64((Double(bytes) / 1e5).rounded())
        return "\(tenths / 10).\(tenths % 10)" + (unit ? " MB" : "")
    }

    /// `812`, `81.2k`, `1.2M`.
    static func rate(_ perSecond: Double) -> String {
        guard perSecond.isFinite else { return "0" }
        if perSecond >= 1e6 { return "\(Int((perSecond / 1e5).rounded()) / 10).\(Int((perSecond / 1e5).rounded()) % 10)M" }
        if perSecond >= 1e4 { return "\(Int((perSecond / 1e3).rounded()))k" }
        return "\(Int(perSecond.rounded()))"
    }

    static func count(_ value: some BinaryInteger) -> String {
        let digits = String(value)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return out
    }

    /// `0:07`, `12:30`, `1:02:03`.
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        let two = { (v: Int) in v < 10 ? "0\(v)" : "\(v)" }
        return s >= 3600 ? "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" : "\(s / 60):\(two(s % 60))"
    }

    static func columns(_ fd: Int32) -> Int {
        var size = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }
}
