import ArgumentParser
import Engine
import Capture
#if canImport(Glibc)
import Glibc
#endif
import Sensor

struct ReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Analyse capture files (pcap or pcapng); '-' reads standard input."
    )

    enum Reader: String, ExpressibleByArgument, CaseIterable {
        case icqscope, libpcap
    }

    @Argument(help: "Capture files; '-' for standard input.")
    var files: [String]

    @Option(name: .long, help: "Which reader walks the files: icqscope's own (default) or libpcap's, as a cross-check.")
    var reader: Reader = .icqscope

    @Flag(name: .long, help: "Read the files as one capture, merged by timestamp (a capture ring, or both sides of a gateway captured apart); each file's interfaces are named <file basename>:<if_name>.")
    var merge = false

    @Option(name: .long, help: ArgumentHelp("Write the run's metrics to this file at the end, for node_exporter's textfile collector (atomically).", valueName: "path"))
    var metricsFile: String?

    @OptionGroup var options: AnalysisOptions

    func validate() throws {
        if options.writeEvidence != nil && files.contains("-") {
            throw ValidationError("--write-evidence reads the capture files again at the end: it cannot take standard input ('-')")
        }
        if options.writeEvidenceFlows && options.writeEvidence == nil {
            throw ValidationError("--write-evidence-flows needs --write-evidence FILE.pcapng")
        }
    }

    func run() throws {
        let analyzer = Analyzer(configuration: options.configuration)
        do {
            try analyzer.validateFilter()
        } catch {
            throw ValidationError(error.message)
        }
        analyzer.progress = options.progressLine(totalBytes: Self.totalSize(files))
        if merge {
            if reader == .libpcap { throw ValidationError("--merge reads with icqscope's own reader only") }
            if files.contains("-") { throw ValidationError("--merge cannot read standard input") }
            readMerged(analyzer)
        }
        for path in merge ? [] : files {
            switch reader {
            case .icqscope:
                do {
                    var source = try CaptureFileReader(path: path)
                    analyzer.run(&source, format: source.formatName)
                } catch {
                    analyzer.report(error)
                    analyzer.noteUnreadable(path)
                }
            case .libpcap:
                do {
                    var source = try LibpcapFileReader(path: path)
                    analyzer.run(&source, format: "libpcap")
                } catch {
                    var refusal = error
                    refusal.message += " (icqscope's own reader, the default, may still read it)"
                    analyzer.report(refusal)
                    analyzer.noteUnreadable(path)
                }
            }
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

    /// The size of every input, when each is a regular file (standard input and pipes have none).
    static func totalSize(_ files: [String]) -> Int64? {
        var total: Int64 = 0
        for path in files {
            var info = stat()
            guard path != "-", stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            total += Int64(info.st_size)
        }
        return total
    }

    /// The files that open, merged; each that does not is reported and left out.
    private func readMerged(_ analyzer: Analyzer) {
        var readable: [String] = []
        for path in files {
            do {
                _ = try CaptureFileReader(path: path)
                readable.append(path)
            } catch {
                analyzer.report(error)
                analyzer.noteUnreadable(path)
            }
        }
        guard !readable.isEmpty else { return }
        do {
            // Captures taken apart have clocks of their own: estimated from the packets they share.
            let estimates = MergeClockEstimator.estimate(paths: readable)
            var offsets = [Int64](repeating: 0, count: readable.count)
            for e in estimates { offsets[e.file] = e.offsetNanos ?? 0 }
            var source = try MergedCaptureReader(paths: readable, clockOffsetsNanos: offsets)
            for e in estimates {
                for pair in e.evidence {
                    source.watch(.init(file: 0, packet: pair.reference))
                    source.watch(.init(file: e.file, packet: pair.file))
                }
            }
            analyzer.runMerged(&source)
            analyzer.noteClockOffsets(estimates, paths: readable, frames: source.watchedFrames)
        } catch {
            analyzer.report(error)
        }
    }
}
