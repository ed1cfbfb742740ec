import Foundation
import SampleKit
import Testing
import TestSupport

/// The guide's UDP mapping proxy (issue 14, item 5): the gateway maps its inside port 4000 to the
/// ICQ server. The client's login reaches the mapping inside and leaves for the server outside,
/// the same bytes: the `proxy` requirement passes and names the mapping and the server, and the
/// session through it raises nothing.
struct UDPMappingCommandTests {
    static func run(_ capture: ScenarioCapture) throws -> CommandRunner.Result {
        let url = TestPaths.temporaryFile("\(capture.name)-mapping.pcapng")
        try Data(capture.bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CommandRunner.run(["read", "--format", "ndjson", url.path])
        #expect(r.status == 0, "\(r.stderr)")
        return r
    }

    static func proxy(_ r: CommandRunner.Result) throws -> [String: Any] {
        try #require(r.records(ofType: "requirement").first { $0["id"] as? String == "proxy" })
    }

    @Test func aMappingSeenOnBothSidesPassesTheProxyRequirement() throws {
        let capture = ICQScenarios.udpMappingSession(.gateway)
        let r = try Self.run(capture)
        let proxy = try Self.proxy(r)
        #expect(proxy["status"] as? String == "pass", "\(proxy)")
        let explanation = proxy["explanation"] as? String ?? ""
        #expect(explanation.contains("through a UDP mapping at 192.168.1.1:4000"), "\(explanation)")
        #expect(explanation.contains("its server at 198.51.100.4:4000"), "\(explanation)")
        // The login inside, then its copy outside.
        let login = try #require(capture.marks["login"])
        #expect((proxy["frames"] as? [Int]) == login.prefix(2).map { Int($0) }, "\(proxy) \(login)")
        #expect(r.records(ofType: "finding").isEmpty, "\(r.records(ofType: "finding"))")
    }

    /// One side alone shows one leg: an ordinary server (inside, the gateway's address; outside,
    /// the real one). Nothing can tell a mapping, and nothing is claimed.
    @Test(arguments: [ICQSessionScript.Vantage.inside, .outside])
    func oneLegAloneIsNoMapping(_ vantage: ICQSessionScript.Vantage) throws {
        let proxy = try Self.proxy(try Self.run(ICQScenarios.udpMappingSession(vantage)))
        #expect(proxy["status"] as? String == "not_observed", "\(proxy)")
    }

    /// A NAT's copy of a datagram keeps its destination, and a retransmission its source too:
    /// the ordinary two-sided session shows no mapping.
    @Test func anOrdinaryGatewayIsNoMapping() throws {
        let proxy = try Self.proxy(try Self.run(ICQScenarios.healthySession()))
        #expect(proxy["status"] as? String == "not_observed", "\(proxy)")
    }
}

/// The same on the real nftables gateway (`scripts/lab.sh udp-mapping`): a DNAT of the gateway's
/// inside port 4000 to the lab's server, recorded on both interfaces.
struct UDPMappingLabRecordingTests {
    static let folder = TestPaths.root.appendingPathComponent("samples/lab/udp-mapping")

    static func proxy(_ file: String) throws -> [String: Any] {
        let r = try CommandRunner.run(["read", "--format", "ndjson"] + VantagePointTests.thresholds("udp-mapping")
                                      + [folder.appendingPathComponent(file).path])
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(r.records(ofType: "requirement").first { $0["id"] as? String == "proxy" })
    }

    @Test func theFirewallsMappingIsRecognised() throws {
        let proxy = try Self.proxy("gateway.pcapng")
        #expect(proxy["status"] as? String == "pass", "\(proxy)")
        #expect((proxy["explanation"] as? String ?? "").contains("its server at 10.78.1.2:4000 through a UDP mapping at 10.77.1.1:4000"), "\(proxy)")
        // A's login to the mapping inside (frame 5), then the same datagram leaving for the server (8).
        #expect(proxy["frames"] as? [Int] == [5, 8], "\(proxy)")
    }

    @Test(arguments: ["inside.pcapng", "outside.pcapng"])
    func oneSideAloneShowsNoMapping(_ file: String) throws {
        #expect(try Self.proxy(file)["status"] as? String == "not_observed")
    }
}
