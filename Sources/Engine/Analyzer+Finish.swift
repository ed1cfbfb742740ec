import Bytes
import Capture
import Diagnosis
import Report
import Tracking
import Wire

extension Analyzer {
    /// Prints the summary and returns the exit status of the output contract.
    public func finish() -> Int32 {
        streamFrame.begin(frame: summary.packets)
        streams.finishAll(frame: summary.packets, sink: &streamFrame)
        while let u = gateway.nextUnforwarded(now: .max) { unforwarded(u) }
        attempts.finish()
        icqAnalysis.finish()
        summary.openDeadlines = icqAnalysis.diagnosis.openAtEnd.map { ($0.uin, $0.what, $0.frames) }
        flowTable.finish { write($0) }
        summary.flows = mergedFlowStatistics ?? flowTable.statistics
        summary.sessionsEvicted = icqAnalysis.tracker.evictedSessions
        summary.streamsEvicted = UInt64(streams.streamsEvicted)
        summary.datagramsEvicted = defragmenter.counters.evictedForCap
        summary.vantage = vantage()
        let card = RequirementCard.judge(findings: findingTally, evidence: evidence, icq: icqAnalysis.diagnosis,
                                         peerPorts: peerPorts.ledger, sideName: sideName)
        finalCard = card
        writeHTML(card: card)
        writeEvidence()
        output.closingRecords { json in
            for requirement in card { RequirementRecord.writeNDJSON(&json, requirement) }
            SummaryRecord.writeNDJSON(&json, summary)
        }
        if options.format == .text {
            let out = output.out
            if options.packets || options.flows { out.write("\n") }
            let style = TextStyle(enabled: options.colour)
            out.write(RequirementRecord.text(card, style: style))
            out.write(SummaryRecord.text(summary))
            textLists.write(to: out, style: style)
        }
        output.close()
        if output.outputFailed { return ExitStatus.outputFailed }
        if output.inputDamaged { return ExitStatus.damagedInput }
        if let failOn = options.failOn, let worst = findingTally.worst, worst >= failOn {
            return ExitStatus.findings
        }
        return ExitStatus.ok
    }
}
