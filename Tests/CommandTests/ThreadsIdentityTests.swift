import Foundation
import SampleKit
import Testing
import TestSupport

/// `read --threads N` writes what one thread writes, byte for byte, with the same exit status
/// (issue 12): on every bundled sample, lab recording and capture of other software, every
/// generated scenario, and gateway mixes of several sizes, which the shards do split (most small
/// captures hold one component of hosts and are read on one thread: `ICQSCOPE_SHOW_SHARDS` says so).
@Suite
struct ThreadsIdentityTests {
    /// Runs `read` at one thread and at `threads`, in both formats; returns whether the shards split it.
    @discardableResult
    static func compare(_ path: String, directory: URL, threads: Int = 2, options: [String] = []) throws -> Bool {
        var split = false
        for format in ["text", "ndjson"] {
            let one = try CommandRunner.run(["read", "--format", format, "--threads", "1"] + options + [path], directory: directory)
            let many = try CommandRunner.run(["read", "--format", format, "--threads", "\(threads)"] + options + [path],
                                             directory: directory, environment: ["ICQSCOPE_SHOW_SHARDS": "1"])
            #expect(many.status == one.status, "\(path) \(format): exit \(many.status) at --threads \(threads), \(one.status) at 1")
            if many.stdout != one.stdout {
                let a = one.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                let b = many.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                let line = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
                Issue.record("""
                    \(path) (\(format)): --threads \(threads) differs from one thread at line \(line + 1)
                    one:  \(line < a.count ? String(a[line].prefix(300)) : "<end>")
                    many: \(line < b.count ? String(b[line].prefix(300)) : "<end>")
                    """)
            }
            split = split || many.stderr.contains("frames per shard")
        }
        return split
    }

    @Test(arguments: GoldenOutputTests.fileInputs)
    func fileOutputIsTheSameOnTwoThreads(_ input: GoldenOutputTests.Input) throws {
        try Self.compare(input.path, directory: input.directory)
    }

    @Test(arguments: ICQScenarios.all.map(\.name))
    func scenarioOutputIsTheSameOnTwoThreads(_ name: String) throws {
        let directory = TestPaths.temporaryFile("threads-\(name)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(ICQScenarios.all.first { $0.name == name }!.build().bytes).write(to: directory.appendingPathComponent("\(name).pcapng"))
        try Self.compare("\(name).pcapng", directory: directory)
    }

    /// Gateway mixes (users, packets, seed): classic ICQ with lost acks and retransmissions, OSCAR,
    /// peer connections blocked and reached, SOCKS and web, across thousands of inside hosts; split
    /// into 2, 3 and 5 shards, and with options that change what is written.
    @Test(arguments: [(50, 8_000, 1 as UInt64), (800, 30_000, 2), (3_000, 40_000, 3)])
    func gatewayMixIsSplitAndTheSame(_ users: Int, _ packets: Int, _ seed: UInt64) throws {
        let directory = TestPaths.temporaryFile("threads-mix-\(users)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try GatewayMixFile.write(users: users, packets: packets, seed: seed, to: directory.appendingPathComponent("mix.pcap").path)
        for threads in [2, 3, 5] {
            #expect(try Self.compare("mix.pcap", directory: directory, threads: threads), "\(users) users at --threads \(threads): not split")
        }
        #expect(try Self.compare("mix.pcap", directory: directory, options: ["--fail-on", "warning", "--inside", "10.0.0.0/8"]))
        // Shares of 64 MiB are split; a budget whose shares would be smaller is read on one
        // thread (a share's least table sizes would hold what one thread lets go), the same still.
        #expect(try Self.compare("mix.pcap", directory: directory, options: ["--memcap", "128M"]))
        #expect(try !Self.compare("mix.pcap", directory: directory, options: ["--memcap", "64M"]))
    }

    /// A file cut off in a record: the reader's error comes where one thread writes it (after the
    /// last whole frame's results, before the end of the run's), with the same exit status (2).
    @Test func truncatedMixIsSplitAndTheSame() throws {
        let directory = TestPaths.temporaryFile("threads-truncated")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = directory.appendingPathComponent("whole.pcap")
        _ = try GatewayMixFile.write(users: 400, packets: 20_000, seed: 5, to: whole.path)
        let bytes = try Data(contentsOf: whole)
        try bytes.prefix(bytes.count * 2 / 3).write(to: directory.appendingPathComponent("cut.pcap"))
        #expect(try Self.compare("cut.pcap", directory: directory))
        let r = try CommandRunner.run(["read", "--threads", "2", "cut.pcap"], directory: directory)
        #expect(r.status == 2 && r.stderr.contains("is cut off"), "\(r.status) \(r.stderr)")
    }

    /// Two inside clients that talk to each other (one calls the other's LAN address) must be
    /// analysed in one shard, and these two hash to two: the shards stop at the first such frame
    /// and the file is split by the partition instead, which joins them (a third client goes to
    /// the other shard). The output is one thread's still.
    @Test func insideHostsThatTalkAreSplitByThePartition() throws {
        let directory = TestPaths.temporaryFile("threads-lan")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (first, second) = ShardedAnalysisTests.insideHostsOfTwoShards()
        var caller = ShardedAnalysisTests.client(uin: 1001, ip: first, seed: 5)
        caller.login(contacts: [1002])
        caller.at(caller.setup.start + 3 * ICQSessionScript.second)
        _ = caller.connectToPeer(ip: second, port: 3456, answer: .noAnswerDroppedAtGateway, name: "lan peer")
        var called = ShardedAnalysisTests.client(uin: 1002, ip: second, seed: 6)
        called.login(contacts: [1001])
        var third = ShardedAnalysisTests.client(uin: 1003, ip: 0xC0A8_01FE, seed: 7)
        third.login(contacts: [1010])
        third.at(third.setup.start + 5 * ICQSessionScript.second)
        third.sendMessage(to: 1010, "through the server", name: "message_out")
        try ShardedAnalysisTests.write([caller, called, third], to: directory.appendingPathComponent("lan.pcap").path)
        #expect(try Self.compare("lan.pcap", directory: directory))
        let r = try CommandRunner.run(["read", "--threads", "2", "lan.pcap"], directory: directory,
                                      environment: ["ICQSCOPE_SHOW_SHARDS": "1"])
        #expect(r.stderr.contains("joins hosts that a hash of the inside host gives to two shards: partitioned first"), "\(r.stderr)")
        #expect(r.stderr.contains("(partitioned)"), "\(r.stderr)")
    }

    /// A FIFO (as `<(zcat capture.gz)` gives) is one stream: shards that each opened it would get
    /// parts of it. It is read on one thread, whole, with the output of the file it carries.
    @Test func aFIFOIsReadWholeOnOneThread() throws {
        let directory = TestPaths.temporaryFile("threads-fifo")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("mix.pcap").path
        _ = try GatewayMixFile.write(users: 200, packets: 6_000, seed: 9, to: file)
        let fifo = directory.appendingPathComponent("stream").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            guard fd >= 0 else { return }
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
            close(fd)
        }
        writer.start()
        // Should the run open the FIFO again once the stream is over, it would wait for a writer
        // for ever: this one comes after 30 s and ends the stream, so that the test fails.
        Thread {
            sleep(30)
            let fd = open(fifo, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
        }.start()
        let streamed = try CommandRunner.run(["read", "--format", "ndjson", "--threads", "2", "stream"], directory: directory,
                                             environment: ["ICQSCOPE_SHOW_SHARDS": "1"])
        let whole = try CommandRunner.run(["read", "--format", "ndjson", "--threads", "1", "mix.pcap"], directory: directory)
        #expect(streamed.status == whole.status)
        #expect(!streamed.stderr.contains("frames per shard"), "\(streamed.stderr)")
        // The same records; the summary names its source by the path it was given.
        #expect(streamed.stdout.replacingOccurrences(of: "stream", with: "mix.pcap") == whole.stdout)
        #expect(whole.stdout.contains("\"type\":\"session\""))
    }
}
