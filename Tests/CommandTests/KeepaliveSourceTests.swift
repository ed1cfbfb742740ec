import Foundation
import Testing
import TestSupport

/// Issue 13, item 6: a claimed keep-alive interval says where it comes from (`keepalive_source`
/// `observed`, `login_reply`, `option`), and what the client did is preferred over what the login
/// reply dictates. The lab's keepalive-own-timer: the reply dictates 7 s, the client sends every 2 s.
struct KeepaliveSourceTests {
    static let recording = LabRecordingTests.folder.appendingPathComponent("keepalive-own-timer/gateway.pcapng").path

    static func run(_ options: [String]) throws -> CommandRunner.Result {
        let r = try CommandRunner.run(["read", "--format", "ndjson"] + options + [recording])
        #expect(r.status == 0, "\(r.stderr)")
        return r
    }

    @Test func theObservedIntervalIsPreferredAndNamed() throws {
        let r = try Self.run([])
        let session = try #require(r.records(ofType: "session").first)
        #expect(session["keepalive_source"] as? String == "observed")
        let interval = try #require(session["keepalive_interval"] as? Double)
        #expect(abs(interval - 2) < 0.1)
        let card = try #require(r.records(ofType: "requirement").first { $0["id"] as? String == "session-timeout" })
        #expect((card["explanation"] as? String)?.contains("every 2 s (as observed)") == true)
    }

    @Test func aFindingClaimsTheObservedInterval() throws {
        let r = try Self.run(["--firewall-timeout", "5"])
        let f = try #require(r.records(ofType: "finding").first { $0["kind"] as? String == "keepalive_exceeds_firewall_timeout" })
        let text = try #require(f["explanation"] as? String)
        #expect(text.contains("every 2 s (as observed)"), "\(text)")
        #expect(!text.contains("login reply"))
    }

    @Test func anIntervalGivenWithTheOptionSaysSo() throws {
        let r = try Self.run(["--keepalive", "150"])
        let f = try #require(r.records(ofType: "finding").first { $0["kind"] as? String == "keepalive_exceeds_firewall_timeout" })
        #expect((f["explanation"] as? String)?.contains("every 150 s (as configured with --keepalive)") == true)
    }
}
