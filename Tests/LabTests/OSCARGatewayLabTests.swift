import Foundation
import Testing

/// LAB_BITLBEE when it names an executable.
let labBitlbee: String? = ProcessInfo.processInfo.environment["LAB_BITLBEE"]
    .flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil }

/// The oscar-* lab scenarios run live: real bitlbee through the real gateway to icqlab-oscar.
/// They need a bitlbee built with OSCAR (Debian's has none since 3.6), named by LAB_BITLBEE;
/// without it they are skipped, and the committed recordings (samples/lab/oscar-*) are what CI
/// checks (OSCARLabRecordingTests, OSCARLabCommandTests).
@Suite(
    "Gateway lab, OSCAR with bitlbee", .serialized,
    .enabled(if: Lab.availability.ok && labBitlbee != nil, "needs root and LAB_BITLBEE, a bitlbee built with OSCAR"))
struct OSCARGatewayLabTests {
    static var bitlbee: String? { labBitlbee }

    private func run(_ scenario: String) throws -> Lab.Run {
        let run = try Lab.run(scenario, ["--bitlbee", try #require(Self.bitlbee)])
        try #require(run.status == 0, "lab.sh \(scenario) exited with \(run.status): \(run.output)")
        return run
    }

    private func log(_ run: Lab.Run, _ name: String) -> String {
        (try? String(contentsOf: run.directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    @Test func bitlbeeSignsOnThroughTheGatewayAndTalks() throws {
        let run = try run("oscar-bitlbee")
        defer { run.cleanUp() }
        let server = log(run, "server.log")
        #expect(server.contains("1002: client ready (01,02): signed on"), "\(server)")
        #expect(server.contains("1001: client ready (01,02): signed on"), "\(server)")
        #expect(server.contains("1001 -> 1002: message (04,06) relayed (04,07)"), "\(server)")
        // bitlbee itself says so: B's IRC user gets A's message.
        #expect(log(run, "client-bitlbee-b.log").contains("PRIVMSG lab1002 :hello through the gateway"))
        #expect(log(run, "client-bitlbee-a.log").contains("oscar - Logging in: Logged in"))
        #expect(run.liveRecords().filter { $0["type"] as? String == "finding" }.isEmpty)
        #expect(try run.findings().isEmpty)
    }

    @Test func bosPortBlockedIsFoundLiveAndOffline() throws {
        let run = try run("oscar-bos-blocked")
        defer { run.cleanUp() }
        #expect(log(run, "server.log").contains("1001: login (17,02) accepted; redirected to BOS"))
        #expect(!log(run, "server.log").contains("BOS connection from"))
        let live = run.liveRecords().filter { $0["type"] as? String == "finding" }
        let summary = live.map { "\($0["kind"]!) \($0["level"]!) \($0["detail"]!) \(($0["server"] as? [String: Any])?["port"] ?? "-")" }
        #expect(summary == ["outgoing_tcp_blocked provisional no_answer 5191", "outgoing_tcp_blocked final no_answer 5191"])
        #expect(try run.findings().map { "\($0["kind"]!) \($0["level"]!)" } == live.map { "\($0["kind"]!) \($0["level"]!)" })
    }
}
