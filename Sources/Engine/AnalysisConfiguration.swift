import Diagnosis

/// How the results are printed: text for people, NDJSON for programs.
public enum OutputFormat: String, CaseIterable, Sendable {
    case text, ndjson
}

/// Everything a run of the analysis is told by its caller (the command line, a benchmark, a
/// test): the output it writes and the thresholds its rules judge by.
public struct AnalysisConfiguration: Sendable {
    public var format: OutputFormat = .text
    /// One line (or NDJSON record) per packet.
    public var packets = false
    /// One line (or NDJSON `flow` record) per flow, when the flow ends.
    public var flows = false
    /// A BPF filter expression applied to every packet (offline; live capture has the kernel do it).
    public var filter: String?
    public var revealSecrets = false
    /// The UDP ports on which classic ICQ is recognised by structure alone.
    public var icqServerPorts: [UInt16] = [4000]
    public var thresholds = Thresholds()
    /// Findings at or above this severity make the run exit with status 1.
    public var failOn: Finding.Severity?
    /// The memory the analysis may hold for flows, streams, sessions and waits (`--memcap`).
    public var memoryBudget = MemoryBudget()
    /// Where results go (stdout, or another descriptor such as /dev/null for a benchmark).
    public var outputDescriptor: Int32 = 1
    /// Where remarks and error lines go (stderr; a fuzzer silences them without silencing the
    /// runtime's own report of a trap, which also goes to stderr).
    public var diagnosticsDescriptor: Int32 = 2
    /// Colours in the text report (a terminal on stdout, `NO_COLOR` unset); never in files or pipes.
    public var colour = false
    /// `--html FILE`: one self-contained page, written at the end of the run.
    public var htmlPath: String? = nil
    /// `--write-evidence FILE.pcapng`: the frames every finding names, with packet comments;
    /// `--write-evidence-flows` adds every frame of the flows they belong to.
    public var evidencePath: String? = nil
    public var evidenceFlows = false
    /// Where the firewall timeout the findings are judged against came from, for the page
    /// ("default", "--firewall-timeout", "--profile pf").
    public var firewallTimeoutSource = "default"
    /// The bytes each shard of `read --threads` may hold in results until the merge (nil: an
    /// eighth of the budget, shared out). Tests make it small to stop the shards mid-file.
    public var shardResultBytes: Int? = nil

    public init() {}
}

/// Exit statuses of the output contract.
public enum ExitStatus {
    public static let ok: Int32 = 0
    public static let findings: Int32 = 1
    public static let damagedInput: Int32 = 2
    public static let usage: Int32 = 64
    /// An output (`--write`, `--html`, standard output) could not be written completely; the analysis
    /// still ran to the end. Takes precedence over 1 and 2.
    public static let outputFailed: Int32 = 74
}
