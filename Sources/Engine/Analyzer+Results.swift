import Bytes
import Capture
import Diagnosis
import Report
import Tracking
import Wire

/// What the analysis hands on: findings, sessions, flows and errors, to the run's output and
/// to whatever else watches them (the HTML page, syslog, the SOCKS4 rule).
extension Analyzer {
    /// A session's record as it ends (NDJSON), and its line for the text report.
    func sessionEnded(_ session: ICQSession) {
        if let shard { return shardSessionEnded(session, shard) }
        html?.sessionEnded(session)
        output.record { SessionRecord.writeNDJSON(&$0, session) }
        if options.format == .text { textLists.keep(sessionLine: SessionRecord.text(session)) }
    }

    /// A finding is printed as soon as it is established (NDJSON), and kept for the text report.
    func report(_ finding: Finding) {
        if let shard { return shardReport(finding, shard) }
        findingTally.add(finding)
        findingCounts[Self.findingCountIndex(finding.kind, finding.severity)] &+= 1
        if options.format == .text { textLists.keep(finding) }
        briefs?.finding(finding)
        html?.finding(finding)
        output.record(flush: true) { FindingRecord.writeNDJSON(&$0, finding) }
        socks4UDP.observe(finding)
        syslog?.send(finding)
    }

    static func findingCountIndex(_ kind: Finding.Kind, _ severity: Finding.Severity) -> Int {
        Finding.Kind.allCases.firstIndex(of: kind)! * Finding.Severity.allCases.count
            + Finding.Severity.allCases.firstIndex(of: severity)!
    }

    /// Writes the flows that ended (with `--flows`) and empties the table's queue.
    func writeEndedFlows() {
        guard flowTable.hasEndedFlows else { return }
        flowTable.drainEndedFlows { write($0) }
    }

    func write(_ flow: FlowRecord) {
        html?.flowEnded(flow)
        guard options.flows else { return }
        switch options.format {
        case .ndjson:
            FlowRecordOutput.writeNDJSON(&output.json, flow)
            output.out.take(&output.json)
        case .text:
            output.out.write(FlowRecordOutput.text(flow))
        }
    }

    /// Damaged or unusable input: a line on stderr, and an `error` record in NDJSON.
    public func report(_ error: CaptureError) {
        if let shard { return shard.records.append(.error(error)) }
        summary.inputErrors += 1
        output.inputError(error)
    }

    /// An output that could not be written (a full disk, a vanished file): one line on stderr
    /// naming the file, an `error` record in NDJSON, and exit status 74 at the end. The analysis
    /// goes on.
    public func reportOutputFailure(_ error: CaptureError) {
        output.outputFailure(error)
    }

    public func noteUnreadable(_ path: String) {
        summary.sources.append(Summary.SourceSummary(name: path, format: "unreadable", packets: 0, interfaces: [], completed: false))
    }

    static func join(_ a: String?, _ b: String?) -> String? {
        guard let a else { return b }
        guard let b else { return a }
        return a + " | " + b
    }
}

/// How the rules, made before the analyzer they report to is complete, reach it: findings and
/// ended sessions go through here once `analyzer` is set (at the end of its initialiser).
final class ResultRelay {
    weak var analyzer: Analyzer?

    func report(_ finding: Finding) { analyzer?.report(finding) }

    func sessionEnded(_ session: ICQSession) { analyzer?.sessionEnded(session) }
}
