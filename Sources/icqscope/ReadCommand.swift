import ArgumentParser
import Engine
import Capture
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

    @Option(name: .long, help: ArgumentHelp("Write the run's metrics to this file at the end, for node_exporter's textfile collector (atomically).", valueName: "path"))
    var metricsFile: String?

    @OptionGroup var options: AnalysisOptions

    func run() throws {
        let analyzer = Analyzer(configuration: options.configuration)
        do {
            try analyzer.validateFilter()
        } catch {
            throw ValidationError(error.message)
        }
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
