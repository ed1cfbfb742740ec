import ArgumentParser
import Engine
import Capture
import FoundationEssentials

struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Capture and analyse live on one or more interfaces (needs root or CAP_NET_RAW).",
        discussion: """
            On a gateway, capture its inside and outside at once (-i inside -i outside): a packet \
            seen on one side and never on the other was dropped by the firewall. '-i any' captures \
            every interface in Linux cooked v2 framing, which keeps each packet's interface index.

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

    @Option(name: .long, help: "Kernel buffer per interface, in bytes (suffix K, M or G allowed); default libpcap's 2M, or 32M with --immediate (its ring has a slot per packet as large as --snaplen).")
    var bufferSize: String?

    @Flag(name: .long, help: "Do not put the interfaces into promiscuous mode.")
    var noPromisc = false

    @Flag(name: .long, help: "Hand each packet over at once instead of in kernel batches (at most 100 ms late).")
    var immediate = false

    @Option(name: .long, help: "Stop after this many packets.")
    var count: UInt64?

    @Option(name: .long, help: "Stop after this long: seconds, or with a unit (90s, 5m, 1h).")
    var duration: DurationArgument?

    @Option(name: .long, help: "Record every captured packet, all interfaces, to this pcapng file.")
    var write: String?

    @Option(name: .long, help: ArgumentHelp("With --write: a ring of files of at most this size (100M, 1G; K, M, G are binary multiples), numbered before the extension (FILE0.pcapng, FILE1.pcapng, …), each a complete pcapng.", valueName: "size"))
    var writeSize: String?

    @Option(name: .long, help: ArgumentHelp("With --write-size: keep this many files, the oldest replaced (as tcpdump -W); without it the numbers go on.", valueName: "n"))
    var writeFiles: Int?

    @Option(name: .long, help: "Report capture and drop counters this often (seconds or with a unit) on stderr, and as stats records in NDJSON.")
    var statsInterval: DurationArgument?

    @Option(name: .long, help: ArgumentHelp("1: one thread reads the interfaces and analyses. 2 or more: each interface is read by a capture thread of its own into a ring, and the analysis takes the packets of all rings in capture-time order (reorder window: 20 ms, plus twice the kernel's batching delay without --immediate). Default: the number of cores.", valueName: "n"))
    var threads: Int = CoreCount.online

    @Option(name: [.customShort("Z"), .customLong("user")], help: "Once the interfaces and --write are open, run as this user (its groups, gid and uid) with no capabilities.")
    var user: String?

    @OptionGroup(title: "Sensor") var sensor: SensorOptions

    @OptionGroup var options: AnalysisOptions

    func validate() throws {
        if interfaces.isEmpty { throw ValidationError("give at least one interface with -i (see `icqscope interfaces`)") }
        if Set(interfaces).count != interfaces.count { throw ValidationError("an interface is named twice") }
        if snaplen <= 0 { throw ValidationError("--snaplen must be positive") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if count == 0 { throw ValidationError("--count must be at least 1") }
        if let bufferSize, ArgumentUnits.bytes(bufferSize) == nil {
            throw ValidationError("--buffer-size '\(bufferSize)' is not a size (e.g. 4194304, 4M)")
        }
        if options.writeEvidence != nil && write == nil {
            throw ValidationError("live --write-evidence reads the frames back from the recording: give --write FILE.pcapng as well")
        }
        if options.writeEvidenceFlows && options.writeEvidence == nil {
            throw ValidationError("--write-evidence-flows needs --write-evidence FILE.pcapng")
        }
        if let statsInterval, statsInterval.nanoseconds <= 0 { throw ValidationError("--stats-interval must be positive") }
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
        let analyzer = try options.analyzer(totalBytes: nil)
        var capture = LiveCaptureOptions(interfaces: interfaces)
        capture.snapLength = snaplen
        capture.promiscuous = !noPromisc
        capture.immediate = immediate
        capture.bufferSize = bufferSize.flatMap { ArgumentUnits.bytes($0) }.map { Int32(clamping: $0) }
        capture.filter = options.filter
        capture.count = count
        capture.durationNanos = duration?.nanoseconds
        capture.threads = threads
        var run = LiveRun(capture: capture)
        run.statsIntervalNanos = statsInterval?.nanoseconds
        if let interval = run.statsIntervalNanos {
            run.capture.tickIntervalNanos = min(run.capture.tickIntervalNanos, interval)
        }
        run.recordingPath = write
        run.recordingSizeLimit = writeSize.flatMap { ArgumentUnits.bytes($0, limit: Int64(1) << 50) }
        run.recordingFileLimit = writeFiles
        run.user = user.flatMap(UserAccount.init(named:))
        var side = sensor.outputs
        switch run.run(analyzer, side: &side) {
        case .badFilter(let message):
            throw ValidationError(message)
        case .finished(let status):
            if status != ExitStatus.ok { throw ExitCode(status) }
        }
    }
}
