import Foundation
import Testing
import TestSupport

/// What icqscope reports on the lab's OSCAR recordings, real bitlbee through the real gateway
/// (samples/lab/oscar-*; the PDUs themselves are checked against tshark in
/// TrackingTests/OSCARLabRecordingTests). Frame numbers are tshark's.
struct OSCARLabCommandTests {
    static func read(_ scenario: String) throws -> CommandRunner.Result {
        let dir = LabRecordingTests.folder.appendingPathComponent(scenario)
        let environment = try String(contentsOf: dir.appendingPathComponent("scenario.env"), encoding: .utf8)
        let thresholds = environment.split(separator: "\n").first { $0.hasPrefix("ICQSCOPE_THRESHOLDS=") }
            .map { $0.dropFirst("ICQSCOPE_THRESHOLDS=".count).split(separator: " ").map(String.init) } ?? []
        let r = try CommandRunner.run(["read", "--format", "ndjson"] + thresholds + [dir.appendingPathComponent("gateway.pcapng").path])
        #expect(r.status == 0, "\(r.stderr)")
        return r
    }

    static func card(_ r: CommandRunner.Result, _ id: String) throws -> [String: Any] {
        try #require(r.records(ofType: "requirement").first { $0["id"] as? String == id })
    }

    /// Both bitlbee clients sign on, get each other as buddies and exchange a message: nothing
    /// to find. Outgoing TCP passes; bitlbee offers no direct connections (DC info port 0), so no
    /// peer port is listed as advertised.
    @Test func healthySignOnHasNoFindings() throws {
        let r = try Self.read("oscar-bitlbee")
        #expect(r.records(ofType: "finding").isEmpty)
        #expect(try Self.card(r, "outgoing-tcp")["status"] as? String == "pass")
        let peers = try Self.card(r, "peer-tcp-ports")
        #expect(peers["status"] as? String == "not_observed")
        #expect((peers["ports"] as? [Any])?.isEmpty == true)
        let summary = try #require(r.records(ofType: "summary").first)
        // Frames with OSCAR in them: the 50 distinct frames of tshark's 82 PDUs.
        #expect((summary["protocols"] as? [String: Any])?["oscar"] as? Int == 50)
    }

    /// The gateway drops new connections to the BOS port: bitlbee's login (5190) goes through,
    /// the redirect (17,03 at frame 33) sends it to 10.78.1.2:5191, and its SYNs (frames 41, 46,
    /// 51, 56, 61, 70, 79, all on the inside interface, none on the outside) never leave the
    /// gateway. Provisional at 1.5 s, final at 5 s (the recording's thresholds), said once: the
    /// SYNs Linux keeps sending after that are the same connection.
    @Test func bosPortBlockedIsOutgoingTCPToTheBOSServer() throws {
        let r = try Self.read("oscar-bos-blocked")
        let findings = r.records(ofType: "finding")
        #expect(findings.map { "\($0["kind"]!) \($0["level"]!) \($0["severity"]!) \($0["detail"]!)" }
            == ["outgoing_tcp_blocked provisional warning no_answer", "outgoing_tcp_blocked final error no_answer"])
        let final = try #require(findings.last)
        #expect(final["frames"] as? [Int] == [41, 46, 51, 56, 61])
        #expect((final["client"] as? [String: Any])?["ip"] as? String == "10.77.1.2")
        #expect((final["client"] as? [String: Any])?["port"] as? Int == 37908)
        #expect((final["server"] as? [String: Any])?["ip"] as? String == "10.78.1.2")
        #expect((final["server"] as? [String: Any])?["port"] as? Int == 5191)
        #expect(final["peer"] is NSNull)
        #expect(final["uin"] as? Int == 1001)
        #expect(final["requirement"] as? String == "outgoing-tcp")
        let text = try #require(final["explanation"] as? String)
        #expect(text.contains("BOS server at 10.78.1.2:5191, where the login server redirected UIN 1001 at frame 33"), "\(text)")
        #expect(text.contains("The SYN reached the gateway and never left it."), "\(text)")
        #expect((final["advice"] as? String)?.contains("here 10.78.1.2 port 5191") == true)
        #expect(try Self.card(r, "outgoing-tcp")["status"] as? String == "fail")
        // The BOS server is the client's server, not a peer: no peer port listed.
        #expect((try Self.card(r, "peer-tcp-ports")["ports"] as? [Any])?.isEmpty == true)
    }
}
