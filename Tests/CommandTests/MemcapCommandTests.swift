import Engine
import Foundation
import SampleKit
import Testing
import TestSupport

/// `--memcap SIZE`: the flow table's capacity follows the budget; beyond it the least recently
/// active flows end with `eviction`, counted in the summary; a size that is not one is a usage error.
@Suite(.serialized)
struct MemcapCommandTests {
    /// `count` UDP conversations, one datagram each, all alive at once (1 ms apart).
    static func concurrentFlows(_ count: Int) throws -> URL {
        var file = PcapBuilder()
        for i in 0..<count {
            file.add(nanoseconds: 1_700_000_000_000_000_000 + Int64(i) * 1_000_000, frame: FrameBuilder.udpFrame(
                from: 0x0A00_0000 + UInt32(i), 40000, to: 0xC633_6404, 53, payload: [1, 2, 3, 4]))
        }
        let url = TestPaths.temporaryFile("memcap-\(count).pcap")
        try Data(file.bytes).write(to: url)
        return url
    }

    static func flowSummary(_ arguments: [String]) throws -> [String: Any] {
        let r = try CommandRunner.run(["read", "--format", "ndjson"] + arguments)
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(r.records(ofType: "summary").first?["flows"] as? [String: Any])
    }

    @Test func smallBudgetEvictsAndCounts() throws {
        let file = try Self.concurrentFlows(3000)
        defer { try? FileManager.default.removeItem(at: file) }
        // 1 MiB, the smallest budget, holds between 1,024 and 3,000 flows: each creation beyond
        // that evicts one.
        let capacity = MemoryBudget(bytes: 1 << 20).maximumFlows
        #expect(capacity >= 1024 && capacity < 3000)
        let small = try Self.flowSummary(["--memcap", "1M", file.path])
        #expect(small["created"] as? Int == 3000)
        #expect(small["evicted"] as? Int == 3000 - capacity)
        // The default (1 GiB) holds them all.
        let large = try Self.flowSummary([file.path])
        #expect(large["created"] as? Int == 3000)
        #expect(large["evicted"] as? Int == 0)
    }

    @Test func sizeThatIsNotOneIsAUsageError() throws {
        for bad in ["lots", "10", "-5M", "1Q"] {
            let r = try CommandRunner.run(["read", "--memcap", bad, "samples/icq-v5-session.pcapng"])
            #expect(r.status == 64, "--memcap \(bad): exit \(r.status)")
            #expect(r.stderr.contains("--memcap"))
        }
    }
}

/// More ICQ users than the smallest budget's sessions: the sessions evicted to make room are
/// counted in the summary (`evicted.icq_sessions`), and none with the default budget.
@Suite(.serialized)
struct MemcapSessionCommandTests {
    @Test func sessionsBeyondTheBudgetAreEvictedAndCounted() throws {
        let url = TestPaths.temporaryFile("memcap-sessions.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let users = 3 * MemoryBudget(bytes: 1 << 20).maximumICQSessions
        _ = try GatewayMixFile.write(users: users, packets: 8 * users, seed: 3, to: url.path)
        let small = try CommandRunner.run(["read", "--format", "ndjson", "--memcap", "1M", url.path])
        let evicted = small.records(ofType: "summary").first?["evicted"] as? [String: Any]
        #expect((evicted?["icq_sessions"] as? Int ?? 0) > 0, "\(small.stderr)")
        let large = try CommandRunner.run(["read", "--format", "ndjson", url.path])
        #expect(large.records(ofType: "summary").first?["evicted"] == nil)
    }
}

/// What the floods of scripts/bench-floods.sh leave behind, at a size a test can run: the text
/// report's session list and the defragmenter are bounded too, and what they leave out is said.
@Suite(.serialized)
struct FloodCommandTests {
    @Test func theTextReportListsTheSessionsItsShareHoldsAndCountsTheRest() throws {
        let url = TestPaths.temporaryFile("flood-sessions.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        // 1 MiB keeps 32 KiB of session lines: about a hundred of these 400 sessions.
        _ = try FloodFile.write(.icqSessions, count: 400, to: url.path)
        let text = try CommandRunner.run(["read", "--memcap", "1M", url.path])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("\nICQ SESSIONS (401)\n"))
        let listed = text.stdout.split(separator: "\n").filter { $0.hasPrefix("  session UIN ") }.count
        let leftOut = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix("  … and ") })
        #expect(listed > 50 && listed < 401, "\(listed) listed")
        #expect(leftOut.hasPrefix("  … and \(401 - listed) more sessions, not listed"), "\(leftOut)")
        // NDJSON writes every one as it ends, and the default budget lists them all.
        let ndjson = try CommandRunner.run(["read", "--format", "ndjson", "--memcap", "1M", url.path])
        #expect(ndjson.records(ofType: "session").count == 401)
        let roomy = try CommandRunner.run(["read", url.path])
        #expect(roomy.stdout.split(separator: "\n").filter { $0.hasPrefix("  session UIN ") }.count == 401)
        #expect(!roomy.stdout.contains("more sessions, not listed"))
    }

    @Test func datagramsTheDefragmenterGivesUpAreCounted() throws {
        let url = TestPaths.temporaryFile("flood-fragments.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        // 3,000 fragments of 3,000 datagrams that never complete: beyond the 1,024 held.
        let written = try FloodFile.write(.fragments, count: 3_000, to: url.path)
        let r = try CommandRunner.run(["read", "--format", "ndjson", url.path])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try #require(r.records(ofType: "summary").first)
        let evicted = try #require(summary["evicted"] as? [String: Any])
        #expect((evicted["ip_datagrams"] as? Int ?? 0) >= 3_000 - 1_024)
        // The witness's session, among them, lost nothing.
        let witness = try #require(r.records(ofType: "session").first { $0["uin"] as? Int == 4242 })
        let packets = witness["packets"] as? [String: Any]
        #expect(packets?["client"] as? Int == written.witnessClientPackets)
        #expect(packets?["server"] as? Int == written.witnessServerPackets)
        let text = try CommandRunner.run(["read", url.path])
        #expect(text.stdout.contains("fragmented IP datagrams, unfinished"))
    }

    @Test func theTextReportListsTheFindingsItsShareHoldsAndTheCardCountsThemAll() throws {
        let url = TestPaths.temporaryFile("flood-peer-syn.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        // 3,000 SYNs to the witness's advertised port, each refused with a reset: 3,000 findings,
        // of which 1 MiB's 32 KiB keeps a few dozen.
        _ = try FloodFile.write(.peerSyn, count: 3_000, to: url.path)
        let text = try CommandRunner.run(["read", "--memcap", "1M", url.path])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("\nFINDINGS (3000)\n"))
        let lines = text.stdout.split(separator: "\n")
        let listed = lines.filter { $0.hasPrefix("  [WARNING] blocked_peer_port") }.count
        #expect(listed > 10 && listed < 3_000, "\(listed) listed")
        let leftOut = try #require(lines.first { $0.hasPrefix("  … and ") })
        #expect(leftOut.hasPrefix("  … and \(3_000 - listed) more findings, not listed"), "\(leftOut)")
        // The report card and --fail-on see every finding, listed or not.
        #expect(text.stdout.contains("3000 findings (blocked_peer_port) show this requirement broken."))
        let failOn = try CommandRunner.run(["read", "--memcap", "1M", "--fail-on", "warning", url.path])
        #expect(failOn.status == 1)
        let ndjson = try CommandRunner.run(["read", "--format", "ndjson", "--memcap", "1M", url.path])
        #expect(ndjson.records(ofType: "finding").count == 3_000)
        let card = ndjson.records(ofType: "requirement").first { $0["id"] as? String == "peer-tcp-ports" }
        #expect(card?["findings"] as? Int == 3_000)
        // The default budget lists them all.
        let roomy = try CommandRunner.run(["read", url.path])
        #expect(roomy.stdout.split(separator: "\n").filter { $0.hasPrefix("  [WARNING] blocked_peer_port") }.count == 3_000)
    }
}
