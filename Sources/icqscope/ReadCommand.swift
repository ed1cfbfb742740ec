import ArgumentParser
import Engine
import Capture
import Sensor

struct ReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Analyse capture files (pcap or pcapng); '-' reads standard input."
    )

    @Argument(help: "Capture files; '-' for standard input.")
    var files: [String]

    @Option(name: .long, help: "Which reader walks the files: icqscope's own (default) or libpcap's, as a cross-check.")
    var reader: Analyzer.FileReader = .icqscope

    @Flag(name: .long, help: "Read the files as one capture, merged by timestamp (a capture ring, or both sides of a gateway captured apart); each file's interfaces are named <file basename>:<if_name>.")
    var merge = false

    @Option(name: .long, help: ArgumentHelp("Analyse one capture file on this many threads (default: the number of cores; 1: one thread). The output is the same for any number; a file whose analysis the shards cannot split exactly (two sides of a gateway, --packets, --flows, --filter, --html, --write-evidence, --events, --syslog, several files) is read on one thread.", valueName: "n"))
    var threads: Int = CoreCount.online

    @Option(name: .long, help: ArgumentHelp("Write the run's metrics to this file at the end, for node_exporter's textfile collector (atomically).", valueName: "path"))
    var metricsFile: String?

    @OptionGroup var options: AnalysisOptions

    func validate() throws {
        if merge && reader == .libpcap { throw ValidationError("--merge reads with icqscope's own reader only") }
        if merge && files.contains("-") { throw ValidationError("--merge cannot read standard input") }
        if options.writeEvidence != nil && files.contains("-") {
            throw ValidationError("--write-evidence reads the capture files again at the end: it cannot take standard input ('-')")
        }
        if threads < 1 || threads > 64 { throw ValidationError("--threads takes 1 to 64") }
        if options.writeEvidenceFlows && options.writeEvidence == nil {
            throw ValidationError("--write-evidence-flows needs --write-evidence FILE.pcapng")
        }
    }

    func run() throws {
        let analyzer = try options.analyzer(totalBytes: Analyzer.totalSize(files))
        if merge {
            analyzer.readMerged(files)
        } else if threads >= 2, files.count == 1, files[0] != "-", reader == .icqscope, metricsFile == nil,
                  analyzer.readSharded(files[0], threads: threads) {
            // Read by the shards.
        } else {
            analyzer.read(files, with: reader)
        }
        var status = analyzer.finish()
        if let metricsFile {
            do {
                try MetricsFile(path: metricsFile).write(analyzer.metricsSnapshot())
            } catch {
                // The summary is out already: stderr only.
                analyzer.note(error.message)
                status = ExitStatus.outputFailed
            }
        }
        if status != ExitStatus.ok { throw ExitCode(status) }
    }
}

extension Analyzer.FileReader: ExpressibleByArgument {}
