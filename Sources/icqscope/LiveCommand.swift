import ArgumentParser
import Engine
import Capture
#if canImport(Glibc)
import Glibc
#endif

struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Capture and analyse live on one or more interfaces (needs root or CAP_NET_RAW).",
        discussion: """
            On a gateway, capture its inside and outside at once (-i inside -i outside): a packet \
            seen on one side and never on the other was dropped by the firewall. '-i any' captures \
            every interface in Linux cooked v2 framing, which keeps each packet's interface index. \
            Ends on --count, --duration, SIGINT or SIGTERM, with the summary printed and the \
            --write file complete.

            Once the interfaces and --write are open, -Z USER gives up root: the process takes \
            USER's groups, gid and uid and empties every capability set, so the decoders never \
            run privileged (as tcpdump -Z). Run as root without -Z, it warns. A binary given file \
            capabilities (setcap) and run by an ordinary user drops its capabilities there too.
            """
    )

    @Option(name: [.customShort("i"), .customLong("interface")], help: "Interface to capture on; repeat for several; 'any' for all.")
    var interfaces: [String] = []

    @Option(name: .long, help: "Bytes kept of each packet.")
    var snaplen: Int32 = 262_144

    @Option(name: .long, help: "Kernel buffer per interface, in bytes (suffix K, M or G allowed); default libpcap's 2M.")
    var bufferSize: String?

    @Flag(name: .long, help: "Do not put the interfaces into promiscuous mode.")
    var noPromisc = false

    @Flag(name: .long, help: "Hand each packet over at once instead of in kernel batches (at most 100 ms late).")
    var immediate = false

    @Option(name: .long, help: "Stop after this many packets.")
    var count: UInt64?

    @Option(name: .long, help: "Stop after this long: seconds, or with a unit (90s, 5m, 1h).")
    var duration: String?

    @Option(name: .long, help: "Record every captured packet, all interfaces, to this pcapng file.")
    var write: String?

    @Option(name: .long, help: ArgumentHelp("With --write: a ring of files of at most this size (100M, 1G; K, M, G are binary multiples), numbered before the extension (FILE0.pcapng, FILE1.pcapng, …), each a complete pcapng.", valueName: "size"))
    var writeSize: String?

    @Option(name: .long, help: ArgumentHelp("With --write-size: keep this many files, the oldest replaced (as tcpdump -W); without it the numbers go on.", valueName: "n"))
    var writeFiles: Int?

    @Option(name: .long, help: "Report capture and drop counters this often (seconds or with a unit) on stderr, and as stats records in NDJSON.")
    var statsInterval: String?

    @Option(name: [.customShort("Z"), .customLong("user")], help: "Once the interfaces and --write are open, run as this user (its groups, gid and uid) with no capabilities.")
    var user: String?

    @OptionGroup(title: "Sensor") var sensor: SensorOptions

    @OptionGroup var options: AnalysisOptions

    func validate() throws {
        if interfaces.isEmpty { throw ValidationError("give at least one interface with -i (see `icqscope interfaces`)") }
        if Set(interfaces).count != interfaces.count { throw ValidationError("an interface is named twice") }
        if snaplen <= 0 { throw ValidationError("--snaplen must be positive") }
        if count == 0 { throw ValidationError("--count must be at least 1") }
        if let bufferSize, ArgumentUnits.bytes(bufferSize) == nil {
            throw ValidationError("--buffer-size '\(bufferSize)' is not a size (e.g. 4194304, 4M)")
        }
        if let duration, ArgumentUnits.nanoseconds(duration) == nil {
            throw ValidationError("--duration '\(duration)' is not a duration (e.g. 30, 90s, 5m)")
        }
        if let statsInterval, (ArgumentUnits.nanoseconds(statsInterval) ?? 0) <= 0 {
            throw ValidationError("--stats-interval '\(statsInterval)' is not a positive duration (e.g. 10, 1m)")
        }
        if writeSize != nil && write == nil { throw ValidationError("--write-size needs --write FILE") }
        if let writeSize, ArgumentUnits.bytes(writeSize, limit: Int64(1) << 50) == nil {
            throw ValidationError("--write-size '\(writeSize)' is not a size (e.g. 100M, 1G)")
        }
        if let writeFiles {
            if writeSize == nil { throw ValidationError("--write-files needs --write-size") }
            if writeFiles < 2 { throw ValidationError("--write-files must be at least 2") }
        }
        if let user, UserAccount(named: user) == nil {
            throw ValidationError("-Z: no such user '\(user)'")
        }
    }

    func run() throws {
        let analyzer = Analyzer(configuration: options.configuration)
        do {
            try analyzer.validateFilter()
        } catch {
            throw ValidationError(error.message)
        }
        var liveOptions = LiveCaptureOptions(interfaces: interfaces)
        liveOptions.snapLength = snaplen
        liveOptions.promiscuous = !noPromisc
        liveOptions.immediate = immediate
        liveOptions.bufferSize = bufferSize.flatMap { ArgumentUnits.bytes($0) }.map { Int32(clamping: $0) }
        liveOptions.filter = options.filter
        liveOptions.count = count
        liveOptions.durationNanos = duration.flatMap(ArgumentUnits.nanoseconds)
        let statsIntervalNanos = statsInterval.flatMap(ArgumentUnits.nanoseconds)
        if let statsIntervalNanos {
            liveOptions.tickIntervalNanos = min(liveOptions.tickIntervalNanos, statsIntervalNanos)
        }

        // Before opening anything: from here on SIGINT/SIGTERM end the run cleanly.
        StopSignals.install()
        var capture: LiveCapture
        do {
            capture = try LiveCapture(options: liveOptions)
        } catch {
            if error.reason == .badFilter { throw ValidationError(error.message) }
            analyzer.report(error)
            analyzer.noteUnreadable(interfaces.joined(separator: ","))
            throw ExitCode(analyzer.finish())
        }
        for warning in capture.warnings { analyzer.warn(warning) }

        var writer: PcapngRing? = nil
        if let path = write {
            do {
                let ring = try PcapngRing(
                    path: path, sizeLimit: writeSize.flatMap { ArgumentUnits.bytes($0, limit: Int64(1) << 50) },
                    fileLimit: writeFiles, interfaces: capture.interfaces, startNanos: capture.nowNanos)
                // Root giving way to -Z USER: USER creates the ring's later files and, when the ring
                // wraps, overwrites the first, which root created.
                if ring.rotates, PrivilegeDrop.isRoot, let account = user.flatMap(UserAccount.init(named:)) {
                    _ = ring.changeOwner(uid: account.uid, gid: account.gid)
                }
                writer = ring
            } catch {
                analyzer.report(error)
                analyzer.noteUnreadable(capture.sourceName)
                throw ExitCode(analyzer.finish())
            }
        }
        guard let opened = sensor.open(analyzer) else {
            analyzer.noteUnreadable(capture.sourceName)
            throw ExitCode(analyzer.finish())
        }
        // Everything privileged is open: from here on the process needs no privilege at all.
        let runningAs: String
        do {
            switch try PrivilegeDrop.relinquish(becoming: user.flatMap(UserAccount.init(named:))) {
            case .becameUser(let account):
                runningAs = ", running as \(account.name) without capabilities"
            case .droppedCapabilities(let wanted):
                if let wanted {
                    analyzer.warn("-Z \(wanted.name): only root can change user; running on as uid \(getuid()) without capabilities")
                }
                runningAs = ", without capabilities"
            case .keptRoot:
                analyzer.warn("running as root: -Z USER (e.g. -Z nobody) gives up root once the interfaces and files are open")
                runningAs = ""
            }
        } catch {
            analyzer.report(CaptureError(file: capture.sourceName, reason: .permissionDenied,
                                         message: "cannot give up privileges: \(error.message)"))
            analyzer.noteUnreadable(capture.sourceName)
            throw ExitCode(analyzer.finish())
        }
        if let writer, writer.rotates, access(writer.folder, W_OK | X_OK) != 0 {
            analyzer.reportOutputFailure(CaptureError(
                file: writer.folder, reason: .cannotOpen,
                message: "the capture ring's folder is not writable\(runningAs.isEmpty ? "" : " once privileges are given up"): its next files could not be created"))
            analyzer.noteUnreadable(capture.sourceName)
            throw ExitCode(analyzer.finish())
        }
        // The metrics thread starts unprivileged, as the process now is.
        let exporter = sensor.start(analyzer, opened)
        if sensor.wantsMetrics && exporter == nil {
            analyzer.noteUnreadable(capture.sourceName)
            throw ExitCode(analyzer.finish())
        }
        let described = capture.interfaces.map { "\($0.name ?? "?") (\($0.linkType.name))" }.joined(separator: ", ")
        analyzer.note("capturing on \(described)\(write.map { ", recording to \($0)" } ?? "")\(runningAs); SIGINT or SIGTERM stops")
        analyzer.runLive(&capture, recording: writer, statsIntervalNanos: statsIntervalNanos)
        var status = analyzer.finish()
        analyzer.publishFinalMetrics()
        if let failure = exporter?.stop() {
            // The summary is out already: stderr only.
            analyzer.note(failure)
            status = ExitStatus.outputFailed
        }
        if status != ExitStatus.ok { throw ExitCode(status) }
    }
}

/// Sizes and durations as people write them on the command line.
enum ArgumentUnits {
    /// "4194304", "64K", "4M", "1G" (binary multiples), at most `limit` (the default: what an Int32 holds).
    static func bytes(_ text: String, limit: Int64 = Int64(Int32.max)) -> Int64? {
        let multipliers: [Character: Int64] = ["K": 1 << 10, "k": 1 << 10, "M": 1 << 20, "m": 1 << 20, "G": 1 << 30, "g": 1 << 30]
        var digits = Substring(text)
        var multiplier: Int64 = 1
        if let last = digits.last, let m = multipliers[last] {
            multiplier = m
            digits = digits.dropLast()
        }
        guard let value = Int64(digits), value > 0, value <= limit / multiplier else { return nil }
        return value * multiplier
    }

    /// "30" (seconds), "1.5", "250ms", "90s", "5m", "1h".
    static func nanoseconds(_ text: String) -> Int64? {
        let units: [(String, Double)] = [("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var number = Substring(text)
        var scale = 1e9
        for (suffix, s) in units where number.hasSuffix(suffix) {
            number = number.dropLast(suffix.count)
            scale = s
            break
        }
        guard let value = Double(number), value >= 0, value * scale < 9e18 else { return nil }
        return Int64(value * scale)
    }
}
