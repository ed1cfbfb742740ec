import ArgumentParser
import Engine
import Capture
#if canImport(Glibc)
import Glibc
#endif

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
        for path in files {
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
        let status = analyzer.finish()
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
}
