import Foundation
import SampleKit
import Testing
import TestSupport

/// A client that announced firewall mode (1) whose peers still try its port: noted on the
/// `peer-tcp-ports` requirement, whether the port was reached or blocked, with the frames.
struct FirewallModeCommandTests {
    static func peerPorts(_ capture: ScenarioCapture) throws -> [String: Any] {
        let url = TestPaths.temporaryFile("\(capture.name).pcapng")
        try Data(capture.bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CommandRunner.run(["read", "--format", "ndjson", url.path])
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(r.records(ofType: "requirement").first { $0["id"] as? String == "peer-tcp-ports" })
    }

    @Test(arguments: [false, true])
    func peersTryingAFirewalledClientsPortAreNoted(_ blocked: Bool) throws {
        let capture = ICQScenarios.firewallModePortTried(blocked: blocked)
        let record = try Self.peerPorts(capture)
        let explanation = record["explanation"] as? String ?? ""
        let announced = try #require(capture.marks["user_online.1002"]?.first)
        #expect(explanation.contains("UIN 1002 announced firewall mode (1) for 198.51.100.20:3457 at frame \(announced)"), "\(explanation)")
        #expect(explanation.contains(blocked ? "the firewall blocked them" : "it was reached"), "\(explanation)")
        let syn = try #require(capture.marks["peer.syn"]?.first)
        #expect(explanation.contains("frames \(syn)"), "\(explanation)")
        #expect(record["status"] as? String == (blocked ? "not_observed" : "pass"))
    }

    /// Clients in direct mode (every other scenario's peers) get no such note.
    @Test func directModeIsNotNoted() throws {
        let record = try Self.peerPorts(ICQScenarios.blockedPeerPort(.rstFromPeer))
        #expect(!(record["explanation"] as? String ?? "").contains("announced firewall mode"))
    }
}
