import Foundation
import Testing
import TestSupport

/// The gateway lab's committed recordings (samples/lab/<scenario>/): `icqscope read` on the
/// recording gives the same findings (kinds, levels, details, endpoints) as `icqscope live` gave
/// while the scenario ran on the real firewall (`live.ndjson` beside it). Needs no root.
struct LabRecordingTests {
    static let folder = TestPaths.root.appendingPathComponent("samples/lab")
    static var scenarios: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    static func signature(_ f: [String: Any]) -> String {
        func endpoint(_ v: Any?) -> String {
            guard let o = v as? [String: Any] else { return "-" }
            return "\(o["ip"] ?? "?"):\(o["port"] ?? "?")"
        }
        return "\(f["kind"] ?? "?")|\(f["level"] as? String ?? "-")|\(f["detail"] as? String ?? "-")|\(endpoint(f["client"]))|\(endpoint(f["server"]))|\(endpoint(f["peer"]))"
    }

    @Test func everyScenarioIsRecorded() {
        #expect(Self.scenarios == ["blocked-peer-port-drop", "blocked-peer-port-icmp", "blocked-peer-port-reset", "client-gives-up",
                                   "dropped-replies", "external-application-blocked", "healthy", "keepalive-own-timer", "nat-rebinding",
                                   "oscar-bitlbee", "oscar-bos-blocked", "outgoing-tcp-blocked", "peer-port-allowed", "server-path-blocked",
                                   "socks-association-lost", "socks4-udp-blocked", "three-ports-two-open", "timed-out-session",
                                   "timed-out-session-reject", "timeout-sweep", "timeout-sweep-nat", "udp-mapping"])
    }

    @Test(arguments: Self.scenarios)
    func offlineEqualsLive(_ scenario: String) throws {
        let dir = Self.folder.appendingPathComponent(scenario)
        let environment = try String(contentsOf: dir.appendingPathComponent("scenario.env"), encoding: .utf8)
        let thresholds = environment.split(separator: "\n").first { $0.hasPrefix("ICQSCOPE_THRESHOLDS=") }
            .map { $0.dropFirst("ICQSCOPE_THRESHOLDS=".count).split(separator: " ").map(String.init) } ?? []
        let live = try String(contentsOf: dir.appendingPathComponent("live.ndjson"), encoding: .utf8)
            .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["type"] as? String == "finding" }
        let r = try CommandRunner.run(["read", "--format", "ndjson"] + thresholds + [dir.appendingPathComponent("gateway.pcapng").path])
        #expect(r.status == 0, "\(r.stderr)")
        let offline = r.records(ofType: "finding")
        #expect(offline.map(Self.signature).sorted() == live.map(Self.signature).sorted())
        if ["healthy", "peer-port-allowed", "keepalive-own-timer", "oscar-bitlbee", "udp-mapping"].contains(scenario) { #expect(offline.isEmpty) } else { #expect(!offline.isEmpty) }
    }

    /// The External plugin on the real firewall: B's proposal over A's direct connection, A's ack
    /// naming the application's port, B's call to it dropped at the gateway: `blocked_peer_port`
    /// naming `external-applications`, the port listed there with its application and source.
    @Test func externalApplicationBlockedNamesTheRequirement() throws {
        let dir = Self.folder.appendingPathComponent("external-application-blocked")
        let environment = try String(contentsOf: dir.appendingPathComponent("scenario.env"), encoding: .utf8)
        let value = { (key: String) in
            environment.split(separator: "\n").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }
        let portA = try #require(value("PORT_A").flatMap { Int($0) })
        let thresholds = value("ICQSCOPE_THRESHOLDS")?.split(separator: " ").map(String.init) ?? []
        let r = try CommandRunner.run(["read", "--format", "ndjson"] + thresholds + [dir.appendingPathComponent("gateway.pcapng").path])
        #expect(r.status == 0, "\(r.stderr)")
        let blocked = r.records(ofType: "finding").filter { $0["kind"] as? String == "blocked_peer_port" }
        #expect(!blocked.isEmpty)
        #expect(blocked.allSatisfy {
            $0["requirement"] as? String == "external-applications"
                && ($0["peer"] as? [String: Any])?["port"] as? Int == portA + 20
                && ($0["peer"] as? [String: Any])?["ip"] as? String == value("CLIENT_A")
        }, "\(blocked)")
        let card = try #require(r.records(ofType: "requirement").first { $0["id"] as? String == "external-applications" })
        #expect(card["status"] as? String == "fail")
        #expect(((card["ports"] as? [[String: Any]]) ?? []).contains {
            $0["port"] as? Int == portA + 20 && $0["source"] as? String == "ack"
                && $0["application"] as? String == "ICQ External plugin" && $0["status"] as? String == "blocked"
        }, "\(card)")
        // The direct-connection port itself was reached: a peer port, not an external application's.
        let peer = try #require(r.records(ofType: "requirement").first { $0["id"] as? String == "peer-tcp-ports" })
        #expect(((peer["ports"] as? [[String: Any]]) ?? []).contains { $0["port"] as? Int == portA && $0["status"] as? String == "reached" })
    }
}
