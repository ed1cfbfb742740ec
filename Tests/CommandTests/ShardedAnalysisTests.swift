import Engine
import Foundation
import SampleKit
import Testing
import TestSupport

/// The shards of `read --threads` in this process, on a gateway mix of more than 10,000 packets:
/// the suite CI runs under the thread sanitizer (`scripts/sanitize.sh --thread`), where any race
/// between the shards' threads fails it.
@Suite
struct ShardedAnalysisTests {
    struct Run {
        var output: String
        var status: Int32
        var split: Bool
    }

    static func analyse(_ path: String, threads: Int, scratch: URL) throws -> Run {
        let out = scratch.appendingPathComponent("out-\(threads).ndjson")
        let fd = open(out.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let quiet = open("/dev/null", O_WRONLY)
        defer { close(quiet) }
        var configuration = AnalysisConfiguration()
        configuration.format = .ndjson
        configuration.outputDescriptor = fd
        configuration.diagnosticsDescriptor = quiet
        let analyzer = Analyzer(configuration: configuration)
        let split = threads > 1 && analyzer.readSharded(path, threads: threads)
        if !split { analyzer.read([path], with: .icqscope) }
        let status = analyzer.finish()
        close(fd)
        return Run(output: try String(contentsOf: out, encoding: .utf8), status: status, split: split)
    }

    @Test func twoShardsWriteWhatOneThreadWrites() throws {
        let scratch = TestPaths.temporaryFile("sharded-analysis")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let path = scratch.appendingPathComponent("mix.pcap").path
        let counts = try GatewayMixFile.write(users: 100, packets: 12_000, seed: 7, to: path)
        #expect(counts.packets >= 10_000)
        let one = try Self.analyse(path, threads: 1, scratch: scratch)
        let two = try Self.analyse(path, threads: 2, scratch: scratch)
        #expect(two.split)
        #expect(two.status == one.status)
        #expect(two.output == one.output)
        // Not an empty agreement: the mix's lost acks and blocked peer ports are found, and
        // sessions end, in both.
        let lines = one.output.split(separator: "\n")
        #expect(lines.filter { $0.contains("\"type\":\"finding\"") }.count >= 5)
        #expect(lines.filter { $0.contains("\"type\":\"session\"") }.count >= 100)
    }
}
