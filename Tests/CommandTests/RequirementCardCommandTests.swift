import Foundation
import Testing
import TestSupport

/// The report card: one `requirement` record per requirement of the firewall guide, in the
/// guide's order, before the summary; `fail` exactly when findings break it; the firewall's UDP
/// timeout bracketed from the capture, checked against the real firewall's conntrack timeout in
/// the lab recordings.
struct RequirementCardCommandTests {
    static let order = ["udp-4000-out", "udp-4000-replies", "session-timeout", "peer-tcp-ports",
                        "outgoing-tcp", "proxy", "external-applications"]
    static let samples = ["blocked-peer-port", "dropped-reply", "firewall-timeout", "gateway-basic",
                          "icq-v5-session", "oscar-session", "peer-file-transfer", "socks-association-lost"]
    static let labFolder = TestPaths.root.appendingPathComponent("samples/lab")
    static var labScenarios: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: labFolder.path)) ?? []).sorted()
    }

    static func records(_ arguments: [String]) throws -> [[String: Any]] {
        let r = try CommandRunner.run(["read", "--format", "ndjson"] + arguments)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    static func card(_ records: [[String: Any]]) -> [String: [String: Any]] {
        var byID: [String: [String: Any]] = [:]
        for r in records where r["type"] as? String == "requirement" { byID[r["id"] as! String] = r }
        return byID
    }

    @Test(arguments: Self.samples)
    func sevenRecordsInOrderBeforeTheSummaryFailingExactlyWithFindings(_ sample: String) throws {
        let records = try Self.records(["samples/\(sample).pcapng"])
        let types = records.map { $0["type"] as? String ?? "" }
        let requirements = records.filter { $0["type"] as? String == "requirement" }
        #expect(requirements.map { $0["id"] as? String ?? "" } == Self.order)
        // Contiguous, then the summary, last.
        let first = try #require(types.firstIndex(of: "requirement"))
        #expect(Array(types[first...]) == Array(repeating: "requirement", count: 7) + ["summary"])
        let findings = records.filter { $0["type"] as? String == "finding" }
        for r in requirements {
            let id = r["id"] as! String
            let breaking = findings.filter { $0["requirement"] as? String == id }
            #expect(r["findings"] as? Int == breaking.count, "\(id)")
            #expect((r["status"] as? String == "fail") == !breaking.isEmpty, "\(id): \(r["status"] ?? "")")
            #expect(["pass", "fail", "not_observed"].contains(r["status"] as? String ?? ""))
            for key in ["guide", "explanation", "advice"] {
                #expect(!(r[key] as? String ?? "").isEmpty, "\(id).\(key)")
            }
            // A status is shown by frames, unless nothing in the capture tests it.
            #expect((r["status"] as? String == "not_observed") || !((r["frames"] as? [Int]) ?? []).isEmpty, "\(id)")
            #expect((r["udp_timeout"] != nil) == (id == "session-timeout"))
        }
    }

    /// What each sample was made to show (SampleKit's scenarios): its broken requirement fails,
    /// what it shows working passes, and what it does not exercise is not observed.
    @Test func statusesOfTheSamples() throws {
        let expected: [String: [String]] = [
            // The client (inside: it logged in) connects out to a peer's advertised port and the
            // gateway forges a reset: outgoing TCP fails; the client's UDP is healthy.
            "blocked-peer-port": ["pass", "pass", "not_observed", "not_observed", "fail", "not_observed", "not_observed"],
            "dropped-reply": ["pass", "fail", "not_observed", "not_observed", "not_observed", "not_observed", "not_observed"],
            "firewall-timeout": ["pass", "pass", "fail", "not_observed", "not_observed", "not_observed", "not_observed"],
            // OSCAR on TCP only: no classic ICQ.
            "oscar-session": ["not_observed", "not_observed", "not_observed", "not_observed", "pass", "not_observed", "not_observed"],
            "peer-file-transfer": ["not_observed", "not_observed", "not_observed", "pass", "pass", "not_observed", "not_observed"],
            "socks-association-lost": ["pass", "fail", "not_observed", "not_observed", "not_observed", "fail", "not_observed"],
        ]
        for (sample, statuses) in expected {
            let card = Self.card(try Self.records(["samples/\(sample).pcapng"]))
            #expect(Self.order.map { card[$0]?["status"] as? String ?? "" } == statuses, "\(sample)")
        }
    }

    @Test func firewallTimeoutSampleBoundsTheTimeoutFromAbove() throws {
        let card = Self.card(try Self.records(["samples/firewall-timeout.pcapng"]))
        let bracket = try #require(card["session-timeout"]?["udp_timeout"] as? [String: Any])
        // The push after 180 s of silence (frame 33) never reached the client.
        #expect((bracket["at_most"] as? Double).map { abs($0 - 180.018) < 1e-9 } == true)
        #expect(bracket["at_most_frames"] as? [Int] == [33])
        #expect(bracket["more_than"] is NSNull)
    }

    /// The lab's gateway is a real nftables firewall with the conntrack UDP timeout of its
    /// `scenario.env`: whatever the capture bounds must hold it (more_than < T <= at_most).
    @Test(arguments: Self.labScenarios)
    func bracketHoldsTheLabFirewallsTimeout(_ scenario: String) throws {
        let dir = Self.labFolder.appendingPathComponent(scenario)
        let environment = try String(contentsOf: dir.appendingPathComponent("scenario.env"), encoding: .utf8)
        let line = try #require(environment.split(separator: "\n").first { $0.hasPrefix("UDP_TIMEOUT=") })
        let timeout = try #require(Double(line.dropFirst("UDP_TIMEOUT=".count)))
        let thresholds = environment.split(separator: "\n").first { $0.hasPrefix("ICQSCOPE_THRESHOLDS=") }
            .map { $0.dropFirst("ICQSCOPE_THRESHOLDS=".count).split(separator: " ").map(String.init) } ?? []
        let card = Self.card(try Self.records(thresholds + ["samples/lab/\(scenario)/gateway.pcapng"]))
        let bracket = try #require(card["session-timeout"]?["udp_timeout"] as? [String: Any])
        if let low = bracket["more_than"] as? Double { #expect(low < timeout, "\(scenario): more_than \(low)") }
        if let high = bracket["at_most"] as? Double { #expect(high >= timeout, "\(scenario): at_most \(high)") }
        if scenario == "timed-out-session" {
            #expect(bracket["at_most"] is Double, "the lost push bounds the 2 s timeout from above")
        }
        if scenario.hasPrefix("timeout-sweep") {
            // The sweeps' done-when (issue 14): both bounds, at most a factor of 2 apart (pushes
            // in `timeout-sweep`, NAT mappings alone in `timeout-sweep-nat`).
            let low = try #require(bracket["more_than"] as? Double, "\(scenario)")
            let high = try #require(bracket["at_most"] as? Double, "\(scenario)")
            #expect(high / low <= 2, "\(scenario): more_than \(low), at_most \(high)")
        }
    }

    @Test func textReportOpensWithTheCard() throws {
        let r = try CommandRunner.run(["read", "samples/dropped-reply.pcapng"])
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "REQUIREMENTS OF THE FIREWALL GUIDE")
        let marks = lines.filter { $0.hasPrefix("  ✔ ") || $0.hasPrefix("  ✘ ") || $0.hasPrefix("  ? ") }
        #expect(marks.count == 7)
        #expect(marks.map { String($0.dropFirst(4).prefix(while: { $0 != " " })) } == Self.order)
        #expect(marks[1].hasPrefix("  ✘ udp-4000-replies"))
    }
}
