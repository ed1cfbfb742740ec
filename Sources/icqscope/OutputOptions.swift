import ArgumentParser
import Engine
#if canImport(Glibc)
import Glibc
#endif

extension OutputFormat: ExpressibleByArgument {}

/// Options every analysing command shares (`read`, and `live`).
struct AnalysisOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: text for people, ndjson for programs.")
    var format: OutputFormat = .text

    @Flag(name: .long, help: "One line (or NDJSON record) per packet.")
    var packets = false

    @Flag(name: .long, help: "One line (or NDJSON `flow` record) per flow, when the flow ends.")
    var flows = false

    @Option(name: .long, help: "A BPF filter expression, e.g. 'udp port 4000'.")
    var filter: String?

    @Flag(name: .long, help: "Show passwords and other secrets instead of masking them.")
    var revealSecrets = false

    @Option(name: .long, help: "Another UDP port an ICQ server (or a UDP mapping or relay) uses; repeatable. 4000 always counts.")
    var icqPort: [UInt16] = []

    @Option(name: .long, help: "Memory budget for flows, streams, sessions and waits, e.g. 512M, 4G (default 1G); the least recently active are evicted, and counted, beyond it.")
    var memcap: MemoryBudgetArgument?

    @Option(name: .long, help: ArgumentHelp("Also write one self-contained HTML page: the report card, timelines, ladder diagrams, tables.", valueName: "file"))
    var html: String?

    @Option(name: .long, help: ArgumentHelp("Also write the frames every finding names to a pcapng file, each with a comment naming the finding, its role and the original frame.", valueName: "file.pcapng"))
    var writeEvidence: String?

    @Flag(name: .long, help: "With --write-evidence: every frame of the flows the findings' frames belong to as well.")
    var writeEvidenceFlows = false

    @Flag(name: .long, help: "No progress line on stderr (there is one only when stderr is a terminal).")
    var quiet = false

    @OptionGroup var diagnosis: DiagnosisOptions

    /// Standard output is written only at the end (the text report without --packets or --flows),
    /// so a progress line on the same terminal cannot be broken by it.
    var stdoutWrittenOnlyAtEnd: Bool { format == .text && !packets && !flows }

    /// Colours on a terminal, unless `NO_COLOR` is set (https://no-color.org) or the terminal is dumb.
    static var coloursWanted: Bool {
        guard isatty(1) == 1 else { return false }
        if let noColour = getenv("NO_COLOR"), noColour.pointee != 0 { return false }
        if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
        return true
    }

    /// The progress line, when stderr is a terminal and it is wanted.
    /// The analyzer these options ask for, its filter checked (a typo is a usage error) and
    /// its progress line counting towards `totalBytes` when there is one.
    func analyzer(totalBytes: Int64?) throws -> Analyzer {
        let analyzer = Analyzer(configuration: configuration)
        do {
            try analyzer.validateFilter()
        } catch {
            throw ValidationError(error.message)
        }
        if ProgressLine.wanted(quiet: quiet, stdoutWrittenOnlyAtEnd: stdoutWrittenOnlyAtEnd) {
            analyzer.progress = ProgressLine(totalBytes: totalBytes)
        }
        return analyzer
    }

    /// What the analysis is told: the options as the engine takes them.
    var configuration: AnalysisConfiguration {
        var c = AnalysisConfiguration()
        c.format = format
        c.packets = packets
        c.flows = flows
        c.filter = filter
        c.revealSecrets = revealSecrets
        c.icqServerPorts = [4000] + icqPort.filter { $0 != 4000 }
        c.thresholds = diagnosis.thresholds
        c.failOn = diagnosis.failOn?.severity
        if let memcap { c.memoryBudget = memcap.budget }
        c.htmlPath = html
        c.colour = Self.coloursWanted
        c.evidencePath = writeEvidence
        c.evidenceFlows = writeEvidenceFlows
        c.firewallTimeoutSource = diagnosis.firewallTimeoutSource
        return c
    }
}

/// `--memcap SIZE`.
struct MemoryBudgetArgument: ExpressibleByArgument {
    var budget: MemoryBudget

    init?(argument: String) {
        guard let budget = MemoryBudget(parsing: argument) else { return nil }
        self.budget = budget
    }
}
