import Foundation
import SampleKit
import Testing
import TestSupport

/// The UDP timeout bracket from NAT mappings, end to end on generated captures, and one bracket
/// per gateway when the capture shows several (`udp_timeouts`).
struct UDPTimeoutMappingCommandTests {
    /// `run`: the files' name prefix, one of its own per call (the tests run at once, and each
    /// removes its files).
    static func card(_ arguments: [String], files: [ScenarioCapture],
                     run: String = String(UUID().uuidString.prefix(8))) throws -> [String: Any] {
        var paths: [String] = []
        for capture in files {
            let url = TestPaths.temporaryFile("\(run)-\(capture.name)-\(paths.count).pcapng")
            try Data(capture.bytes).write(to: url)
            paths.append(url.path)
        }
        defer { for p in paths { try? FileManager.default.removeItem(atPath: p) } }
        let r = try CommandRunner.run(["read", "--format", "ndjson"] + arguments + paths)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.records(ofType: "finding").isEmpty)
        return try #require(r.records(ofType: "requirement").first { $0["id"] as? String == "session-timeout" })
    }

    static func near(_ value: Any?, _ expected: Double) -> Bool {
        (value as? Double).map { abs($0 - expected) < 0.05 } ?? false
    }

    @Test func reusedAndNewPublicPortsBracketTheTimeout() throws {
        let capture = ICQScenarios.udpTimeoutNATMappings()
        let bracket = try #require(try Self.card([], files: [capture])["udp_timeout"] as? [String: Any])
        #expect(Self.near(bracket["more_than"], 20), "\(bracket)")
        #expect(Self.near(bracket["at_most"], 60), "\(bracket)")
        let message = Set(capture.marks["message_out"] ?? []), keepalive = Set(capture.marks["keepalive"] ?? [])
        let low = (bracket["more_than_frames"] as? [Int] ?? []).map(UInt64.init)
        let high = (bracket["at_most_frames"] as? [Int] ?? []).map(UInt64.init)
        #expect(low.count == 2 && message.contains(low[1]), "the message that left from the old port: \(low)")
        #expect(high.count == 2 && message.contains(high[0]) && keepalive.contains(high[1]), "\(high)")
    }

    @Test func aPreservedPortBoundsOnlyFromAbove() throws {
        let bracket = try #require(try Self.card([], files: [ICQScenarios.udpTimeoutNATPortPreserved()])["udp_timeout"] as? [String: Any])
        #expect(bracket["more_than"] is NSNull)
        #expect(Self.near(bracket["at_most"], 60), "\(bracket)")
    }

    @Test func aRebindingSeenOutsideBoundsFromAbove() throws {
        let capture = ICQScenarios.udpTimeoutNATRebindingOutside()
        let bracket = try #require(try Self.card([], files: [capture])["udp_timeout"] as? [String: Any])
        #expect(bracket["more_than"] is NSNull)
        #expect(Self.near(bracket["at_most"], 60), "\(bracket)")
        #expect((bracket["at_most_frames"] as? [Int])?.map(UInt64.init) == capture.marks["keepalive"])
    }

    /// Two gateways captured apart and merged: each has its own bracket, named by its interfaces.
    @Test func severalGatewaysEachGetTheirBracket() throws {
        let run = String(UUID().uuidString.prefix(8))
        let card = try Self.card(["--merge"], files: [ICQScenarios.udpTimeoutNATMappings(),
                                                     ICQScenarios.udpTimeoutNATPortPreserved(sessionID: 0x5151_0001)], run: run)
        #expect(card["udp_timeout"] is NSNull)
        let gateways = try #require(card["udp_timeouts"] as? [[String: Any]])
        #expect(gateways.count == 2)
        let files = ["\(run)-udp_timeout_nat_mappings-0", "\(run)-udp_timeout_nat_port_preserved-1"]
            .map { TestPaths.temporaryFile("\($0).pcapng").lastPathComponent }
        #expect(gateways.map { $0["gateway"] as? String ?? "" } == files.map { "\($0):inside0/\($0):outside0" })
        #expect(Self.near(gateways[0]["more_than"], 20) && Self.near(gateways[0]["at_most"], 60), "\(gateways[0])")
        #expect(gateways[1]["more_than"] is NSNull && Self.near(gateways[1]["at_most"], 60), "\(gateways[1])")
        #expect((card["explanation"] as? String ?? "").contains("Gateway \(files[0]):inside0/"))
    }
}
