import Foundation
import Testing

/// icqscope live as a sensor on the lab's gateway (`scripts/lab.sh --sensor`): while a scenario
/// makes the real nftables firewall drop a server packet, a real Prometheus (Debian's, started in
/// the gateway's namespace on its loopback, with the shipped alert rules) scrapes `/metrics` every
/// second, a real rsyslog takes the findings on a socket of the run's folder, and `--events` and
/// `--metrics-file` write to that folder. After the scenario the script asks Prometheus's HTTP API
/// for `icqscope_findings_total`, its raw samples and `ALERTS`, and leaves the answers (JSON, as
/// Prometheus gave them) beside the recording; this test reads them.
@Suite(
    "Gateway lab: icqscope live as a sensor", .serialized,
    .enabled(if: Lab.enabled, Comment(rawValue: "gateway lab skipped: \(Lab.availability.message)")))
struct SensorLabTests {
    private func json(_ run: Lab.Run, _ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: run.directory.appendingPathComponent(name))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(name) is a JSON object")
    }

    /// Prometheus's answer to an instant query: each series' labels and value.
    private func series(_ answer: [String: Any]) -> [(labels: [String: String], value: Double)] {
        let result = ((answer["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        return result.map { r in
            let labels = (r["metric"] as? [String: String]) ?? [:]
            let value = Double(((r["value"] as? [Any])?.last as? String) ?? "") ?? -1
            return (labels, value)
        }
    }

    @Test func aTimedOutSessionReachesPrometheusTheEventsFileAndSyslog() throws {
        try #require(Lab.availability.ok, Comment(rawValue: Lab.availability.message))
        let run = try Lab.run("timed-out-session", ["--sensor"])
        defer { run.cleanUp() }
        try #require(run.status == 0, "lab.sh --sensor exited with \(run.status): \(run.output)")

        // Prometheus scraped icqscope and counted the finding, by kind and severity.
        let answer = try json(run, "prometheus-findings.json")
        #expect(answer["status"] as? String == "success")
        let counted = series(answer).filter { $0.labels["kind"] == "firewall_session_timeout" && $0.labels["severity"] == "error" }
        #expect(counted.count == 1 && (counted.first?.value ?? 0) >= 1, "Prometheus's icqscope_findings_total: \(answer)")
        #expect(counted.first?.labels["job"] == "icqscope")
        // Every other kind is there from the start, at zero: increase() sees a first finding.
        #expect(series(answer).contains { $0.labels["kind"] == "socks_association_lost" && $0.value == 0 })
        // The scrape target was up, and the shipped rule fired on the real series.
        #expect(series(try json(run, "prometheus-up.json")).first?.value == 1)
        let alerts = series(try json(run, "prometheus-alerts.json"))
        #expect(alerts.contains { $0.labels["alertname"] == "IcqscopeFirewallSessionTimeout" && $0.labels["alertstate"] == "firing" },
                "ALERTS: \(alerts)")

        // The events file: the finding as established, then the report card and the summary last.
        let events = try String(contentsOf: run.directory.appendingPathComponent("events.ndjson"), encoding: .utf8)
        let records = events.split(separator: "\n").map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) ?? [:]
        }
        #expect(records.allSatisfy { $0["type"] != nil }, "every line of the events file is a record")
        let finding = records.first { $0["type"] as? String == "finding" && $0["kind"] as? String == "firewall_session_timeout" }
        #expect(finding?["level"] as? String == "confirmed")
        #expect(records.filter { $0["type"] as? String == "requirement" }.count == 7)
        #expect(records.last?["type"] as? String == "summary")
        #expect(!records.contains { $0["type"] as? String == "packet" })
        // The same findings as stdout carried.
        let stdoutFindings = run.liveRecords().filter { $0["type"] as? String == "finding" }.map { "\($0["kind"] ?? "")" }
        #expect(records.filter { $0["type"] as? String == "finding" }.map { "\($0["kind"] ?? "")" } == stdoutFindings)

        // rsyslog received it as RFC 5424 with the structured data intact.
        let syslog = try String(contentsOf: run.directory.appendingPathComponent("syslog.log"), encoding: .utf8)
        let line = try #require(syslog.split(separator: "\n").first { $0.contains("kind=\"firewall_session_timeout\"") })
        #expect(line.hasPrefix("<27>1 "), "facility daemon, severity error: \(line)")
        #expect(line.contains(" icqscope ") && line.contains(" finding [finding@32473 "))
        #expect(line.contains("level=\"confirmed\"") && line.contains("detail=\"dropped_at_gateway\"") && line.contains("uin=\"1001\""))
        #expect(line.contains("Advice: "))

        // The textfile holds the final set.
        let metrics = try String(contentsOf: run.directory.appendingPathComponent("metrics.prom"), encoding: .utf8)
        #expect(metrics.contains("icqscope_findings_total{kind=\"firewall_session_timeout\",severity=\"error\"} 1"))
        #expect(metrics.contains("# TYPE icqscope_packets_total counter"))
    }
}
