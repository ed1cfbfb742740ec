import Capture
import Diagnosis
import Report

extension Analyzer {
    /// `--html FILE`, at the end of the run: the page of everything gathered. A page that cannot
    /// be written is one error naming the file and exit status 74; the rest of the output is
    /// unaffected.
    func writeHTML(card: [RequirementResult]) {
        guard let html, let path = options.htmlPath else { return }
        let data = html.finish(card: card, thresholds: options.thresholds, timeoutSource: options.firewallTimeoutSource,
                               bracket: icqAnalysis.diagnosis.udpTimeout, advertised: attempts.advertised,
                               twoSided: twoSided, summary: summary)
        do {
            try OutputFile.write(HTMLPage.render(data), to: path, what: "HTML page")
        } catch {
            var failure = error
            failure.isFatal = false
            reportOutputFailure(failure)
        }
    }
}

extension Analyzer {
    /// `--write-evidence FILE.pcapng`, at the end of the run: the findings' frames read again from
    /// the inputs. A file that cannot be written is one error naming it and exit status 74.
    func writeEvidence() {
        guard let evidenceFile, let briefs else { return }
        do {
            try evidenceFile.write(findings: briefs.findings, inputs: evidenceInputs, flows: options.evidenceFlows,
                               twoSided: twoSided, insideSide: briefs.insideSide, serverPorts: options.icqServerPorts)
        } catch {
            var failure = error
            failure.isFatal = false
            reportOutputFailure(failure)
        }
    }
}
