import Foundation
import SampleKit
import Testing
import TestSupport

/// External applications (the guide's voice, video and games): an OSCAR rendezvous proposing a
/// voice chat names a port; the connection to it is judged like a peer port's, under the
/// `external-applications` requirement, and the port is listed there with its application.
struct ExternalApplicationCommandTests {
    static func records(blocked: Bool) throws -> [[String: Any]] {
        let url = TestPaths.temporaryFile("external-application-\(blocked).pcapng")
        try Data(OSCARExternalApplicationSample.pcapng(blocked: blocked)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CommandRunner.run(["read", "--format", "ndjson", url.path])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    static func requirement(_ records: [[String: Any]], _ id: String) throws -> [String: Any] {
        try #require(records.first { $0["type"] as? String == "requirement" && $0["id"] as? String == id })
    }

    @Test func aBlockedVoiceChatConnectionBreaksExternalApplications() throws {
        let records = try Self.records(blocked: true)
        let findings = records.filter { $0["type"] as? String == "finding" }
        let blocked = try #require(findings.first { $0["level"] as? String == "final" }, "\(findings)")
        #expect(blocked["requirement"] as? String == "external-applications")
        #expect(blocked["detail"] as? String == "no_answer")
        #expect((blocked["peer"] as? [String: Any])?["port"] as? Int == Int(OSCARExternalApplicationSample.applicationPort))
        #expect((blocked["explanation"] as? String ?? "").contains("for Voice Chat, an external application"))
        let card = try Self.requirement(records, "external-applications")
        #expect(card["status"] as? String == "fail")
        let ports = card["ports"] as? [[String: Any]] ?? []
        #expect(ports.contains {
            $0["source"] as? String == "rendezvous" && $0["application"] as? String == "Voice Chat"
                && $0["status"] as? String == "blocked" && $0["port"] as? Int == 4021
        }, "\(ports)")
        // Not a peer port of the guide's three.
        let peer = try Self.requirement(records, "peer-tcp-ports")
        #expect(!((peer["ports"] as? [[String: Any]]) ?? []).contains { $0["source"] as? String == "rendezvous" })
    }

    @Test func anAnsweredVoiceChatConnectionShowsTheRequirementHolds() throws {
        let records = try Self.records(blocked: false)
        #expect(!records.contains { $0["type"] as? String == "finding" })
        let card = try Self.requirement(records, "external-applications")
        #expect(card["status"] as? String == "pass", "\(card)")
        #expect((card["explanation"] as? String ?? "").contains("Voice Chat"))
        #expect(((card["ports"] as? [[String: Any]]) ?? []).contains { $0["status"] as? String == "reached" })
    }
}
