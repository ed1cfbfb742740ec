import Foundation
import SampleKit
import Testing
import TestSupport

/// External applications in the classic peer-to-peer protocol: a plugin message naming ICQ's
/// External plugin, accepted by an acknowledgement that names a port; the connection to that
/// port is judged like a peer port's, under `external-applications`, listed with its application.
struct PeerExternalApplicationCommandTests {
    /// `test`: names the file apart (tests run at once and remove their files).
    static func records(blocked: Bool, test: String = #function) throws -> [[String: Any]] {
        let url = TestPaths.temporaryFile("peer-external-application-\(blocked)-\(test.prefix(while: { $0 != "(" })).pcapng")
        try Data(PeerExternalApplicationSample.pcapng(blocked: blocked)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--packets", url.path])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    static func requirement(_ records: [[String: Any]], _ id: String) throws -> [String: Any] {
        try #require(records.first { $0["type"] as? String == "requirement" && $0["id"] as? String == id })
    }

    @Test func theRequestAndItsAckAreDecoded() throws {
        let records = try Self.records(blocked: true)
        let plugins = records.compactMap { $0["icq"] as? [String: Any] }.compactMap { $0["peer"] as? [String: Any] }
            .filter { $0["plugin_guid_name"] as? String == "external" }
        #expect(plugins.count == 2, "\(plugins)")
        #expect(plugins.allSatisfy { $0["external_application"] as? Bool == true && $0["msg_type"] as? Int == 0x1A })
        #expect(plugins.contains { $0["command_name"] as? String == "ack" && $0["port"] as? Int == 4022 })
        #expect(plugins.contains { $0["command_name"] as? String == "message" && $0["port"] == nil
            && $0["plugin_text"] as? String == "Shall we play?" })
    }

    @Test func aBlockedConnectionToTheAnnouncedPortBreaksExternalApplications() throws {
        let records = try Self.records(blocked: true)
        let findings = records.filter { $0["type"] as? String == "finding" }
        let blocked = try #require(findings.first { $0["level"] as? String == "final" }, "\(findings)")
        #expect(blocked["requirement"] as? String == "external-applications")
        #expect((blocked["peer"] as? [String: Any])?["port"] as? Int == 4022)
        #expect((blocked["explanation"] as? String ?? "").contains("for ICQ External plugin, an external application"))
        let card = try Self.requirement(records, "external-applications")
        #expect(card["status"] as? String == "fail")
        #expect(((card["ports"] as? [[String: Any]]) ?? []).contains {
            $0["source"] as? String == "ack" && $0["application"] as? String == "ICQ External plugin"
                && $0["status"] as? String == "blocked" && $0["port"] as? Int == 4022
        }, "\(card)")
        // The message connection's own port is a peer port, reached; the application's is not one.
        let peer = try Self.requirement(records, "peer-tcp-ports")
        let peerPorts = (peer["ports"] as? [[String: Any]]) ?? []
        #expect(!peerPorts.contains { $0["port"] as? Int == 4022 })
        #expect(peerPorts.contains { $0["port"] as? Int == 3457 && $0["status"] as? String == "reached" })
    }

    @Test func anAnsweredConnectionShowsTheRequirementHolds() throws {
        let records = try Self.records(blocked: false)
        #expect(!records.contains { $0["type"] as? String == "finding" })
        let card = try Self.requirement(records, "external-applications")
        #expect(card["status"] as? String == "pass", "\(card)")
        #expect((card["explanation"] as? String ?? "").contains("ICQ External plugin"))
    }
}
