import Bytes
import Foundation
import SampleKit
import Testing

/// Every generated scenario (one per finding kind, each way it can be proven, and each near miss)
/// through `icqscope read`: the findings it must report are there with the right kind, severity,
/// level, detail, endpoints, UIN and proving frames; the kinds it must not report are absent.
@Suite(.serialized)
struct ScenarioFindingTests {
    static let scenarios = ICQScenarios.all.map(\.name)

    static func findings(of scenario: ScenarioCapture) throws -> [[String: Any]] {
        let url = TestPaths.temporaryFile("scenario-\(scenario.name).pcapng")
        try Data(scenario.bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CommandRunner.run(["read", "--format", "ndjson", url.path])
        #expect(r.status == 0, "\(scenario.name): exit \(r.status) \(r.stderr)")
        return r.records(ofType: "finding")
    }

    static func endpoint(_ value: Any?) -> Endpoint? {
        guard let object = value as? [String: Any], let ip = object["ip"] as? String, let port = object["port"] as? Int else { return nil }
        let parts = ip.split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4 else { return nil }
        return Endpoint(address: IPAddress(ipv4: parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]), port: UInt16(port))
    }

    static func matches(_ record: [String: Any], _ e: ExpectedFinding) -> Bool {
        guard record["kind"] as? String == e.kind, record["severity"] as? String == e.severity,
              record["level"] as? String == e.level, record["detail"] as? String == e.detail else { return false }
        if let uin = e.uin, record["uin"] as? Int != Int(uin) { return false }
        if let client = e.client, endpoint(record["client"]) != client { return false }
        if let server = e.server, endpoint(record["server"]) != server { return false }
        if let peer = e.peer, endpoint(record["peer"]) != peer { return false }
        // The frames that prove it: all among the scenario's evidence, and at least one of them.
        // (How many of the copies a finding lists is the analyzer's policy: a finding is reported
        // as soon as it is established, so later copies may not be in it.)
        let frames = Set((record["frames"] as? [Int] ?? []).map(UInt64.init))
        return !frames.isEmpty && frames.isSubset(of: Set(e.frames))
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["ICQSCOPE_DUMP_SCENARIOS"] != nil))
    func dumpScenarios() throws {
        for (name, build) in ICQScenarios.all {
            try Data(build().bytes).write(to: URL(fileURLWithPath: "/tmp/scen-\(name).pcapng"))
        }
    }

    @Test(arguments: Self.scenarios)
    func scenarioGivesExactlyItsFindings(_ name: String) throws {
        let scenario = ICQScenarios.all.first { $0.name == name }!.build()
        let records = try Self.findings(of: scenario)
        for expected in scenario.expected {
            #expect(records.contains { Self.matches($0, expected) },
                    "\(name): missing \(expected.kind) \(expected.level ?? "-") \(expected.detail ?? "-") frames \(expected.frames); got \(records.map { "\($0["kind"]!) \($0["level"] ?? "-") \($0["detail"] ?? "-") \($0["severity"]!) \($0["frames"]!) client \($0["client"]!)" })")
        }
        for kind in scenario.absent {
            let fired = records.filter { $0["kind"] as? String == kind }
            #expect(fired.isEmpty, "\(name): \(kind) must not fire, got \(fired)")
        }
    }
}
