import Foundation
import SampleKit
import Testing
import TestSupport

/// Damaged input through the command: one clear line on stderr naming file and place, an
/// `error` record in NDJSON, exit status 2, and every good packet still analysed.
@Suite(.serialized)
struct BadInputCommandTests {
    static func write(_ bytes: [UInt8], _ name: String) throws -> URL {
        let url = TestPaths.temporaryFile(name)
        try Data(bytes).write(to: url)
        return url
    }

    static func goodPcap(_ count: Int, snapLength: UInt32 = 65535) -> PcapBuilder {
        var file = PcapBuilder(snapLength: snapLength)
        for i in 0..<count {
            file.add(nanoseconds: Int64(i) * 1_000_000, frame: FrameBuilder.udpFrame(from: 1, 1, to: 2, 4000, payload: [UInt8](repeating: 7, count: 10)))
        }
        return file
    }

    @Test func missingFileDoesNotStopTheOthers() throws {
        let good = try Self.write(Self.goodPcap(3).bytes, "good.pcap")
        defer { try? FileManager.default.removeItem(at: good) }
        let r = try CommandRunner.run(["read", "--format", "ndjson", "/no/such/file.pcap", good.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("/no/such/file.pcap: cannot open: No such file or directory"))
        let error = r.records(ofType: "error").first
        #expect(error?["file"] as? String == "/no/such/file.pcap")
        #expect(error?["reason"] as? String == "cannot_open")
        #expect(r.records(ofType: "summary").first?["packets"] as? Int == 3)
    }

    @Test func fileThatIsNotACapture() throws {
        let url = try Self.write(Array("hello world, not a capture".utf8), "text.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CommandRunner.run(["read", url.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(url.path): offset 0: not a pcap or pcapng file"))
        #expect(!r.stderr.contains("Fatal error"))
    }

    @Test func truncatedLastRecordKeepsTheGoodPackets() throws {
        let bytes = Array(Self.goodPcap(5).bytes.dropLast(3))
        let url = try Self.write(bytes, "truncated.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--packets", url.path])
        #expect(r.status == 2)
        #expect(r.records(ofType: "packet").count == 4)
        let error = r.records(ofType: "error").first
        #expect(error?["reason"] as? String == "truncated_record")
        #expect(error?["offset"] as? Int == 24 + 4 * (16 + 52))
        #expect(r.stderr.contains("frame 5"))
        #expect(r.records.last?["type"] as? String == "summary")
    }

    @Test func oversizedRecordInTheMiddleIsSkippedAndTheRestAnalysed() throws {
        var file = Self.goodPcap(2, snapLength: 60)
        file.add(nanoseconds: 9_000_000, frame: FrameBuilder.udpFrame(from: 1, 1, to: 2, 4000, payload: [UInt8](repeating: 1, count: 100)))
        file.add(nanoseconds: 10_000_000, frame: FrameBuilder.udpFrame(from: 1, 1, to: 2, 4000, payload: [1]))
        let url = try Self.write(file.bytes, "oversized.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CommandRunner.run(["read", "--format", "ndjson", url.path])
        #expect(r.status == 2)
        #expect(r.records(ofType: "summary").first?["packets"] as? Int == 3)
        #expect(r.records(ofType: "error").first?["frame"] as? Int == 3)
        #expect(r.stderr.contains("exceeds the file's snap length 60"))
    }

    @Test func pcapngBlockLengthsDiffer() throws {
        var file = PcapngBuilder()
        file.interface(linkType: 1)
        file.enhancedPacket(interface: 0, units: 1, frame: FrameBuilder.udpFrame(from: 1, 1, to: 2, 4000, payload: [1]))
        file.block(type: 6, body: [UInt8](repeating: 0, count: 20), trailingLength: 1234)
        let url = try Self.write(file.bytes, "mismatch.pcapng")
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CommandRunner.run(["read", "--format", "ndjson", url.path])
        #expect(r.status == 2)
        #expect(r.records(ofType: "error").first?["reason"] as? String == "block_length_mismatch")
        #expect(r.records(ofType: "summary").first?["packets"] as? Int == 1)
    }

    @Test func unknownLinkTypeIsReportedOnceAndCounted() throws {
        var file = PcapBuilder(linkType: 147)
        file.add(nanoseconds: 1, frame: [1, 2, 3, 4])
        file.add(nanoseconds: 2, frame: [5, 6, 7, 8])
        let url = try Self.write(file.bytes, "linktype.pcap")
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CommandRunner.run(["read", "--format", "ndjson", url.path])
        #expect(r.status == 2)
        let errors = r.records(ofType: "error")
        #expect(errors.count == 1)
        #expect(errors.first?["reason"] as? String == "unknown_link_type")
        #expect(errors.first?["frame"] as? Int == 1)
        #expect(r.records(ofType: "summary").first?["packets"] as? Int == 2)
    }

    /// Random damage anywhere in a real capture: never a trap or a hang, always a summary.
    @Test func randomCorruptionNeverCrashes() throws {
        let original = Array(try Data(contentsOf: TestPaths.root.appendingPathComponent("samples/gateway-basic.pcapng")))
        var random = SeededRandom(seed: 99)
        for round in 0..<25 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            if round % 5 == 0 { bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random))) }
            let url = try Self.write(bytes, "corrupt-\(round).pcapng")
            defer { try? FileManager.default.removeItem(at: url) }
            let r = try CommandRunner.run(["read", "--format", "ndjson", "--packets", url.path])
            #expect(r.status == 0 || r.status == 2, "round \(round): status \(r.status)")
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrace"), "round \(round): \(r.stderr)")
            #expect(r.records.last?["type"] as? String == "summary", "round \(round)")
        }
    }
}
