import Bytes
import Capture
@testable import Engine
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

    static func analyse(_ path: String, threads: Int, scratch: URL, resultBytes: Int? = nil) throws -> Run {
        let out = scratch.appendingPathComponent("out-\(threads).ndjson")
        let fd = open(out.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let quiet = open("/dev/null", O_WRONLY)
        defer { close(quiet) }
        var configuration = AnalysisConfiguration()
        configuration.format = .ndjson
        configuration.outputDescriptor = fd
        configuration.diagnosticsDescriptor = quiet
        configuration.shardResultBytes = resultBytes
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

    /// Shards whose results outgrow their share stop mid-file, whichever stops first: the reader
    /// hands the rest over and the others only take it (they must not stop taking, or the
    /// reader would wait for ever), and the file is read on one thread with the same output.
    @Test func shardsThatOutgrowTheirResultsStopAndOneThreadReads() throws {
        let scratch = TestPaths.temporaryFile("sharded-stop")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let path = scratch.appendingPathComponent("mix.pcap").path
        _ = try GatewayMixFile.write(users: 100, packets: 40_000, seed: 11, to: path)
        let one = try Self.analyse(path, threads: 1, scratch: scratch)
        let whole = try Self.analyse(path, threads: 2, scratch: scratch)
        #expect(whole.split)
        #expect(whole.output == one.output)
        for bytes in [4_096, 200_000] {
            let stopped = try Self.analyse(path, threads: 2, scratch: scratch, resultBytes: bytes)
            #expect(!stopped.split, "\(bytes) bytes of results")
            #expect(stopped.output == one.output)
            #expect(stopped.status == one.status)
        }
    }

    /// Two inside clients, each a shard of its own: the first learns at login that peer A
    /// listens on 198.51.100.20:3457; 3 s later the second, told nothing, sends SYNs to
    /// `target`, which go unanswered. One thread's table of advertised endpoints holds the first
    /// client's advertisement, so a SYN to peer A is a peer connection there and not in its
    /// shard: such a file must be read on one thread. A SYN to an endpoint nobody advertised
    /// splits as usual.
    static func twoClients(synTo target: ICQContact, path: String) throws {
        let (first, second) = insideHostsOfTwoShards()
        var told = client(uin: 1001, ip: first, seed: 5)
        told.login(contacts: [1002], online: [ICQScenarios.peerA])
        var other = client(uin: 1006, ip: second, seed: 6)
        other.login(contacts: [1010])
        other.at(other.setup.start + 3 * ICQSessionScript.second)
        _ = other.connectToPeer(ip: target.externalIP, port: target.tcpPort, answer: .noAnswerDroppedAtGateway, name: "peer")
        other.at(other.setup.start + 30 * ICQSessionScript.second)
        other.sendMessage(to: 1010, "through the server", name: "message_out")
        try write([told, other], to: path)
    }

    /// Two addresses of 192.168.1.0/24 whose frames `read --threads 2` gives to two shards.
    static func insideHostsOfTwoShards() -> (UInt32, UInt32) {
        let plan = ShardPlan(hashingInsideHostsInto: 2, inside: [])
        let hosts = (UInt32(0xC0A8_0102)...0xC0A8_01FE).filter { plan.shard(ofInsideHost: IPAddress(ipv4: $0)) == 0 }.prefix(1)
            + (UInt32(0xC0A8_0102)...0xC0A8_01FE).filter { plan.shard(ofInsideHost: IPAddress(ipv4: $0)) == 1 }.prefix(1)
        return (hosts[0], hosts[1])
    }

    /// An inside client without NAT, at `ip`.
    static func client(uin: UInt32, ip: UInt32, seed: UInt64) -> ICQSessionScript {
        var setup = ICQSessionScript.Setup()
        setup.uin = uin
        setup.password = "pass\(uin)"
        setup.clientIP = ip
        setup.natIP = nil
        setup.seed = seed
        return ICQSessionScript(setup)
    }

    /// One pcap of the clients' captures, in time order (each script makes a pcapng of one interface).
    static func write(_ clients: [ICQSessionScript], to path: String) throws {
        var frames: [(time: Int64, bytes: [UInt8])] = []
        for (i, client) in clients.enumerated() {
            let capture = client.capture(name: "client\(i)")
            let file = path + ".\(capture.name).pcapng"
            try Data(capture.bytes).write(to: URL(fileURLWithPath: file))
            var reader = try CaptureFileReader(path: file)
            while let packet = try reader.nextPacket() { frames.append((packet.timestampNanos, Array(packet.bytes))) }
        }
        frames.sort { $0.time < $1.time }
        var pcap = PcapBuilder(nanosecond: true)
        for frame in frames { pcap.add(nanoseconds: frame.time, frame: frame.bytes) }
        try Data(pcap.bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func aPeerAdvertisedToAnotherShardsClientSendsTheFileToOneThread() throws {
        let scratch = TestPaths.temporaryFile("sharded-lookups")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let path = scratch.appendingPathComponent("clients.pcap").path
        for (target, advertised) in [(ICQScenarios.peerA, true), (ICQScenarios.peerB, false)] {
            try Self.twoClients(synTo: target, path: path)
            let one = try Self.analyse(path, threads: 1, scratch: scratch)
            let two = try Self.analyse(path, threads: 2, scratch: scratch)
            #expect(two.split == !advertised, "SYN to \(target.externalIP): split \(two.split)")
            #expect(two.output == one.output)
            // One thread takes the SYN to peer A for a peer connection (the guide's outgoing-TCP
            // requirement names the peer); to peer B, told to nobody, for none.
            let peer = "\"peer\":{\"ip\":\"\(IPAddress(ipv4: target.externalIP))\",\"port\":\(target.tcpPort)}"
            let findings = one.output.split(separator: "\n").filter { $0.contains("\"type\":\"finding\"") && $0.contains(peer) }
            #expect(findings.isEmpty == !advertised, "findings naming \(peer): \(findings.count)")
        }
    }

    /// A reset in a peer's name is judged against the marks (TTL, IP id) of all that peer's
    /// packets, which another shard may hold: one client talks to peer A on another port (A's
    /// own packets, its TTL), then a client of the other shard, told A's port, gets a reset
    /// forged by the gateway (TTL 64, IP id 0). One thread calls it forged (`rst_from_middlebox`)
    /// from A's marks; the merge must follow the first shard's notes of A to say the same.
    @Test func aResetIsJudgedOnThePeersPacketsInEveryShard() throws {
        let scratch = TestPaths.temporaryFile("sharded-marks")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let path = scratch.appendingPathComponent("marks.pcap").path
        let peer = ICQScenarios.peerA
        let (first, second) = Self.insideHostsOfTwoShards()
        var talker = Self.client(uin: 1001, ip: first, seed: 5)
        talker.login(contacts: [1010])
        talker.at(talker.setup.start + 3 * ICQSessionScript.second)
        _ = talker.connectToPeer(ip: peer.externalIP, port: peer.tcpPort + 1, answer: .synAck, name: "other port")
        var told = Self.client(uin: 1006, ip: second, seed: 6)
        told.login(contacts: [1002], online: [peer])
        told.at(told.setup.start + 10 * ICQSessionScript.second)
        _ = told.connectToPeer(ip: peer.externalIP, port: peer.tcpPort, answer: .rstFromGateway, name: "peer")
        try Self.write([talker, told], to: path)
        let one = try Self.analyse(path, threads: 1, scratch: scratch)
        let two = try Self.analyse(path, threads: 2, scratch: scratch)
        #expect(two.split)
        #expect(two.output == one.output)
        let forged = one.output.split(separator: "\n").filter {
            $0.contains("\"kind\":\"outgoing_tcp_blocked\"") && $0.contains("\"detail\":\"rst_from_middlebox\"")
                && $0.contains("the peer's own packets arrive with TTL")
        }
        #expect(forged.count == 1, "\(one.output)")
    }
}
