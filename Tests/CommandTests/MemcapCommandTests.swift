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
