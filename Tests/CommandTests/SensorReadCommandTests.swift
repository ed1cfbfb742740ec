import Capture
import Foundation
import Testing
import TestSupport

/// `read --merge` and `read --metrics-file` on the bundled samples.
struct SensorReadCommandTests {
    static let sample = TestPaths.root.appendingPathComponent("samples/firewall-timeout.pcapng")

    /// The sample's two interfaces written apart, one file each (as two tcpdumps on the two sides
    /// of a gateway would record them).
    private func splitByInterface(_ dir: URL) throws -> [URL] {
        var reader = try CaptureFileReader(path: Self.sample.path)
        let urls = [dir.appendingPathComponent("inside.pcapng"), dir.appendingPathComponent("outside.pcapng")]
        var writers: [PcapngWriter] = []
        while let packet = try reader.nextPacket() {
            while writers.count <= packet.interfaceIndex {
                let w = try PcapngWriter(path: urls[writers.count].path)
                w.addInterface(reader.interfaces[writers.count])
                writers.append(w)
            }
            var own = packet
            own.interfaceIndex = 0
            try writers[packet.interfaceIndex].write(own)
        }
        for w in writers { try w.finish(statistics: [nil], timestampNanos: 0) }
        return urls
    }

    private static func signature(_ f: [String: Any]) -> String {
        func endpoint(_ v: Any?) -> String {
            guard let o = v as? [String: Any] else { return "-" }
            return "\(o["ip"] ?? "?"):\(o["port"] ?? "?")"
        }
        return "\(f["kind"] ?? "")|\(f["level"] ?? "")|\(f["detail"] ?? "")|\(endpoint(f["client"]))|\(endpoint(f["server"]))|\(f["uin"] ?? "")"
    }

    @Test func twoSidesCapturedApartMergeIntoTheSameFindings() throws {
        let dir = TestPaths.temporaryFile("merge-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try splitByInterface(dir)
        let original = try CommandRunner.run(["read", "--format", "ndjson", "--packets", Self.sample.path])
        // Given in the other order: the merge is by time, not by argument order.
        let merged = try CommandRunner.run(["read", "--merge", "--format", "ndjson", "--packets", files[1].path, files[0].path])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(merged.records(ofType: "finding").map(Self.signature) == original.records(ofType: "finding").map(Self.signature))
        #expect(!merged.records(ofType: "finding").isEmpty)
        let frames = merged.records(ofType: "packet").compactMap { ($0["frame"] as? [String: Any])?["number"] as? Int }
        #expect(frames == Array(1...original.records(ofType: "packet").count))
        let names = merged.records(ofType: "packet").compactMap { ($0["frame"] as? [String: Any])?["interface_name"] as? String }
        let originalNames = original.records(ofType: "packet").compactMap { ($0["frame"] as? [String: Any])?["interface_name"] as? String }
        #expect(names == originalNames.map { $0 == "inside0" ? "inside.pcapng:inside0" : "outside.pcapng:outside0" })
        let source = try #require((merged.records(ofType: "summary").first?["sources"] as? [[String: Any]])?.first)
        #expect(source["format"] as? String == "merged pcapng")
        #expect(source["completed"] as? Bool == true)
    }

    @Test func aMissingFileIsReportedAndTheRestMerged() throws {
        let r = try CommandRunner.run(["read", "--merge", "--format", "ndjson", Self.sample.path, "/nonexistent/x.pcapng"])
        #expect(r.status == 2)
        #expect(r.records(ofType: "error").count == 1)
        #expect(r.records(ofType: "summary").first?["packets"] as? Int == 42)
    }

    @Test func readWritesTheFinalMetricsForTheTextfileCollector() throws {
        let file = TestPaths.temporaryFile("metrics-\(UUID().uuidString.prefix(8)).prom")
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try CommandRunner.run(["read", "--metrics-file", file.path, Self.sample.path])
        #expect(r.status == 0)
        let text = try String(contentsOf: file, encoding: .utf8)
        let samples = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(samples.contains("icqscope_findings_total{kind=\"firewall_session_timeout\",severity=\"error\"} 1"))
        #expect(samples.contains("icqscope_packets_total{interface=\"inside0\"} 18"))
        #expect(samples.contains("icqscope_packets_total{interface=\"outside0\"} 24"))
        #expect(samples.contains("icqscope_requirement_status{requirement=\"session-timeout\",status=\"fail\"} 1.0"))
        #expect(samples.contains("icqscope_udp_timeout_at_most_seconds 180.018"))
        // Prometheus's conventions: counters end in _total, every name is icqscope_…
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            #expect(parts[2].hasPrefix("icqscope_"))
            #expect((parts[3] == "counter") == parts[2].hasSuffix("_total"), "\(line)")
        }
        // stdout is what it always was.
        let plain = try CommandRunner.run(["read", Self.sample.path])
        #expect(plain.stdout == r.stdout)
    }
}
