import Diagnosis
import Report

/// The text report's two lists, printed at the end: the findings in the order they were
/// established, and a line per ICQ session in the order the sessions ended. Each keeps as much as
/// its share of `--memcap` holds (a scan of a closed port makes a finding a SYN, a flood of
/// logins a session a packet); the rest are counted and said to be left out. NDJSON needs
/// neither: it writes each record as it comes.
struct TextReportLists {
    let findingListBytes: Int
    let sessionListBytes: Int
    private(set) var findings: [Finding] = []
    private var findingBytes = 0
    private(set) var findingsLeftOut = 0
    private(set) var sessionLines: [String] = []
    private var sessionLineBytes = 0
    private(set) var sessionLinesLeftOut = 0

    init(budget: MemoryBudget) {
        findingListBytes = budget.findingListBytes
        sessionListBytes = budget.sessionListBytes
    }

    mutating func keep(_ finding: Finding) {
        let cost = MemoryBudget.bytesPerListedFinding + finding.explanation.utf8.count + finding.advice.utf8.count
            + finding.frames.count * MemoryLayout<UInt64>.stride
        if findingBytes + cost <= findingListBytes {
            findingBytes += cost
            findings.append(finding)
        } else {
            findingsLeftOut += 1
        }
    }

    mutating func keep(sessionLine line: String) {
        let cost = MemoryBudget.bytesPerListedLine + line.utf8.count
        if sessionLineBytes + cost <= sessionListBytes {
            sessionLineBytes += cost
            sessionLines.append(line)
        } else {
            sessionLinesLeftOut += 1
        }
    }

    /// The findings, grouped as the report card's requirements, then the sessions.
    func write(to out: OutputSink, style: TextStyle) {
        out.write(FindingRecord.text(findings, leftOut: findingsLeftOut, keptBytes: findingListBytes, style: style))
        guard !sessionLines.isEmpty || sessionLinesLeftOut > 0 else { return }
        out.write("\n" + style.heading("ICQ SESSIONS (\(sessionLines.count + sessionLinesLeftOut))") + "\n")
        for line in sessionLines { out.write("  " + line) }
        if sessionLinesLeftOut > 0 {
            out.write("  … and \(sessionLinesLeftOut) more sessions, not listed: the text report keeps "
                      + "\(sessionListBytes >> 10) KiB of them (a 32nd of --memcap); "
                      + "--format ndjson writes every session as it ends\n")
        }
    }
}
