import Foundation
import SampleKit
import Testing
import TestSupport

/// `icqscope read` end to end: the binary, its output streams and its exit statuses.
@Suite(.serialized)
struct ReadCommandTests {
    static let sample = "samples/gateway-basic.pcapng"

    @Test func bundledSampleIsTheGeneratorsOutput() throws {
        let committed = try Data(contentsOf: TestPaths.root.appendingPathComponent(Self.sample))
        #expect(Array(committed) == GatewaySample.pcapng(seed: 1), "run `swift run icqscope-samples` and commit samples/")
    }

    @Test func textSummaryOfTheSample() throws {
        let r = try CommandRunner.run(["read", Self.sample])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.contains("pcapng, 2 interfaces, 40 packets"))
        #expect(r.stdout.contains("packets      40 (2442 bytes on the wire, 2442 captured)"))
        #expect(r.stdout.contains("protocols    ethernet 40, ipv4 40, udp 26, tcp 12, icmp 2"))
        #expect(r.stdout.contains("inside0: 21 received"))
        #expect(r.stdout.contains("(16.282410 s)"))
    }

    @Test func ndjsonRecordsFollowTheContract() throws {
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--packets", Self.sample])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        let records = r.records
        #expect(records.count == lines.count, "every line is one JSON object")
        #expect(records.count == 48, "40 packets, the guide's 7 requirement records, the summary")
        #expect(r.records(ofType: "requirement").count == 7)
        #expect(records.last?["type"] as? String == "summary")
        let packets = r.records(ofType: "packet")
        #expect(packets.count == 40)
        let first = packets[0]
        let frame = first["frame"] as? [String: Any]
        #expect(frame?["number"] as? Int == 1)
        #expect(frame?["time_epoch"] as? String == "1732456789.000000000")
        #expect(frame?["interface_name"] as? String == "inside0")
        let ip = first["ip"] as? [String: Any]
        #expect(ip?["src"] as? String == "192.168.1.2")
        #expect(ip?["dst"] as? String == "198.51.100.4")
        let udp = first["udp"] as? [String: Any]
        #expect(udp?["srcport"] as? Int == 37143)
        #expect(udp?["dstport"] as? Int == 4000)
        let icmp = packets[39]["icmp"] as? [String: Any]
        #expect(icmp?["type"] as? Int == 3)
        #expect((icmp?["quoted"] as? [String: Any])?["dstport"] as? Int == 4001)
        let summary = records.last!
        #expect(summary["packets"] as? Int == 40)
        #expect((summary["protocols"] as? [String: Any])?["tcp"] as? Int == 12)
    }

    @Test func outputIsDeterministic() throws {
        let a = try CommandRunner.run(["read", "--format", "ndjson", "--packets", Self.sample])
        let b = try CommandRunner.run(["read", "--format", "ndjson", "--packets", Self.sample])
        #expect(a.stdout == b.stdout)
        #expect(!a.stdout.isEmpty)
    }

    @Test func standardInput() throws {
        let bytes = try Data(contentsOf: TestPaths.root.appendingPathComponent(Self.sample))
        let r = try CommandRunner.run(["read", "--format", "ndjson", "-"], stdin: bytes)
        #expect(r.status == 0)
        #expect(r.records(ofType: "summary").first?["packets"] as? Int == 40)
    }

    @Test func bpfFilterSelectsPackets() throws {
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--filter", "tcp", Self.sample])
        let summary = r.records(ofType: "summary").first
        #expect(summary?["packets"] as? Int == 12)
        #expect(summary?["filtered_out"] as? Int == 28)
    }

    @Test func filterThatDoesNotCompileIsAUsageError() throws {
        let r = try CommandRunner.run(["read", "--filter", "udp prt 4000", Self.sample])
        #expect(r.status == 64)
        #expect(r.stderr.contains("does not compile"))
    }

    @Test func unknownOptionIsAUsageError() throws {
        let r = try CommandRunner.run(["read", "--no-such-option", Self.sample])
        #expect(r.status == 64)
    }

    @Test func libpcapReaderGivesTheSamePackets() throws {
        // A single-interface file: libpcap presents pcapng files as one interface.
        var file = PcapBuilder(nanosecond: true)
        var random = SeededRandom(seed: 3)
        for i in 0..<50 {
            let payload = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            file.add(nanoseconds: 1_700_000_000_000_000_000 + Int64(i) * 1_234_567,
                     frame: FrameBuilder.udpFrame(from: 0x0A00_0001, UInt16(1000 + i), to: 0x0A00_0002, 4000, payload: payload))
        }
        let url = TestPaths.temporaryFile("libpcap-compare.pcap")
        try Data(file.bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let ours = try CommandRunner.run(["read", "--format", "ndjson", "--packets", url.path])
        let theirs = try CommandRunner.run(["read", "--format", "ndjson", "--packets", "--reader", "libpcap", url.path])
        #expect(ours.status == 0 && theirs.status == 0)
        #expect(ours.records(ofType: "packet").count == 50)
        let oursPackets = ours.stdout.split(separator: "\n").filter { $0.contains("\"type\":\"packet\"") }
        let theirPackets = theirs.stdout.split(separator: "\n").filter { $0.contains("\"type\":\"packet\"") }
        #expect(oursPackets == theirPackets)
    }

    @Test func libpcapRefusesMixedLinkTypesAndSaysSo() throws {
        var file = PcapngBuilder()
        file.interface(linkType: 1, name: "eth0")
        file.interface(linkType: 101, name: "tun0")
        file.enhancedPacket(interface: 0, units: 1, frame: FrameBuilder.udpFrame(from: 1, 1, to: 2, 4000, payload: [1]))
        file.enhancedPacket(interface: 1, units: 2, frame: Array(FrameBuilder.udpFrame(from: 1, 1, to: 2, 4000, payload: [1]).dropFirst(14)))
        let url = TestPaths.temporaryFile("mixed.pcapng")
        try Data(file.bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let theirs = try CommandRunner.run(["read", "--reader", "libpcap", url.path])
        #expect(theirs.status == 2)
        #expect(theirs.stderr.contains(url.path))
        #expect(theirs.stderr.contains("libpcap"))
        let ours = try CommandRunner.run(["read", "--format", "ndjson", url.path])
        #expect(ours.status == 0)
        #expect(ours.records(ofType: "summary").first?["packets"] as? Int == 2)
    }
}
