import Foundation
import LiveTestSupport
import SampleKit
import Testing
import TestSupport

/// `icqscope live --threads 2` (a capture thread per interface, the analysis merging their rings)
/// against `--threads 1` (one thread reads and analyses) on the very same packets: both run at
/// once on the namespaced gateway while the gateway benchmark's traffic is replayed through it,
/// with a real nftables rule blocking the connections between peers, so that there are findings.
@Suite(.enabled(if: NetworkLab.shouldRun, "\(NetworkLab.availability.message)"), .serialized)
struct LiveThreadsCommandTests {
    /// Sends the frames of a classic pcap file out of `interface` (AF_PACKET), source and
    /// destination MAC rewritten, about `rate` frames a second; prints the count sent.
    static func replay(_ path: String, interface: String, source: String, destination: String, rate: Int) -> [String] {
        ["python3", "-c", """
        import socket, struct, time
        data = open("\(path)", "rb").read()
        assert struct.unpack_from("<I", data, 0)[0] == 0xA1B2C3D4
        head = bytes.fromhex("\(destination.replacingOccurrences(of: ":", with: ""))\(source.replacingOccurrences(of: ":", with: ""))")
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind(("\(interface)", 0))
        offset, sent, start = 24, 0, time.monotonic()
        while offset + 16 <= len(data):
            length = struct.unpack_from("<I", data, offset + 8)[0]
            s.send(head + data[offset + 16 + 12:offset + 16 + length])
            offset += 16 + length
            sent += 1
            if sent % 20 == 0:
                ahead = start + sent / \(rate) - time.monotonic()
                if ahead > 0: time.sleep(ahead)
        print(sent, flush=True)
        """]
    }

    private func mac(_ namespace: String, _ interface: String) throws -> String {
        let line = try Shell.run("ip", "-n", namespace, "-br", "link", "show", interface)
        return try #require(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).first.map(String.init))
    }

    private func records(_ stdout: String) -> [[String: Any]] {
        stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// What a run found that does not depend on when it ran: each finding's kind, level, detail,
    /// endpoints, UIN and first time, and the packets that prove it, each named by its capture
    /// time and interface (the kernel stamps a packet once, for every socket that captures it).
    /// Not the frame numbers themselves: one thread merges the interfaces as their packets come
    /// (a packet of one may come before an earlier one of the other), the threads by timestamp.
    /// Not the last time either, when a deadline ran out on the live clock's tick, whose phase
    /// depends on when each process started.
    private func findings(_ all: [[String: Any]]) -> [String] {
        var packetNames: [Int: String] = [:]
        for packet in all where packet["type"] as? String == "packet" {
            guard let frame = packet["frame"] as? [String: Any], let number = frame["number"] as? Int else { continue }
            packetNames[number] = "\(frame["time_epoch"] ?? "?")@\(frame["interface_id"] ?? "?")"
        }
        return all.filter { $0["type"] as? String == "finding" }.map { finding in
            var kept = finding
            kept["explanation"] = nil
            kept["advice"] = nil
            kept["last_time"] = nil
            kept["frames"] = ((finding["frames"] as? [Int]) ?? []).map { packetNames[$0] ?? "frame \($0) not captured" }
            let data = try! JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }.sorted()
    }

    /// The summary's counts: everything but the sources (their names and run times) and the live
    /// member's elapsed time and stop moment.
    private func counts(_ summary: [String: Any]) -> String {
        var kept = summary
        kept["sources"] = nil
        if var live = kept["live"] as? [String: Any] {
            live["elapsed"] = nil
            kept["live"] = live
        }
        let data = try! JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    @Test func twoThreadsFindWhatOneThreadFindsOnTheSamePackets() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        let gateway = lab.gatewayNamespace
        // The mix's own addresses come in on the inside and leave by a default route outside
        // (the server namespace drops them): no reverse-path check.
        try Shell.run("ip", "netns", "exec", gateway, "sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=0",
                      "net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.\(lab.insideInterface).rp_filter=0")
        try Shell.run("ip", "-n", gateway, "route", "add", "default", "via", NetworkLab.serverAddress)
        // The firewall lets no connection between peers through (SYNs to ports other than the
        // web's, OSCAR's and SOCKS'): seen inside, never outside.
        try Shell.run("ip", "netns", "exec", gateway, "nft",
                      "add table inet icqtest; add chain inet icqtest forward { type filter hook forward priority 0; }; "
                      + "add rule inet icqtest forward tcp flags & (syn | ack) == syn tcp dport != { 80, 443, 1080, 5190 } drop")

        let file = TestPaths.temporaryFile("threads-mix-\(lab.id).pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let mix = try GatewayMixFile.write(users: 60, packets: 4_000, to: file.path)
        #expect(mix.packets == 4_000)

        // Both at once on the same interfaces: each packet reaches both with the same timestamp.
        // The inside is named (the mix's clients are in 10.1/16, as the private ranges would
        // say): guessed, it is the side of the first client packet read, and one thread reads
        // the two interfaces in turn, not in capture-time order, so that on a busy machine it
        // can read a forwarded copy before its original (noted in issue 12's closing note).
        let common = ["-i", lab.insideInterface, "-i", lab.outsideInterface, "--inside", "10.0.0.0/8", "--immediate", "--filter", "ip",
                      "--buffer-size", "32M", "--snaplen", "2048", "--format", "ndjson", "--packets", "--duration", "60"]
        let one = try lab.spawn(in: gateway, [CommandRunner.executable.path, "live", "--threads", "1"] + common)
        let two = try lab.spawn(in: gateway, [CommandRunner.executable.path, "live", "--threads", "2"] + common)
        #expect(one.waitForLine("icqscope: capturing on", onStandardError: true))
        #expect(two.waitForLine("icqscope: capturing on", onStandardError: true))
        let sender = try lab.spawn(in: lab.clientNamespace, Self.replay(
            file.path, interface: "ci\(lab.id)", source: try mac(lab.clientNamespace, "ci\(lab.id)"),
            destination: try mac(gateway, lab.insideInterface), rate: 1_000))
        let sent = sender.finish()
        #expect(sent.status == 0 && sent.stdout.hasPrefix("4000"), "\(sent.stderr)")
        // The last packets forwarded and read, then stopped as a user would.
        usleep(1_500_000)
        one.signal(SIGINT)
        two.signal(SIGINT)
        let r1 = one.finish(), r2 = two.finish()
        #expect(r1.status == 0 || r1.status == 1, "stderr: \(r1.stderr)")
        #expect(r2.status == r1.status, "stderr: \(r2.stderr)")

        let all1 = records(r1.stdout), all2 = records(r2.stdout)
        let summary1 = try #require(all1.last { $0["type"] as? String == "summary" })
        let summary2 = try #require(all2.last { $0["type"] as? String == "summary" })
        let live1 = try #require(summary1["live"] as? [String: Any])
        let live2 = try #require(summary2["live"] as? [String: Any])
        // Every packet replayed was seen entering the gateway, and what was forwarded leaving it.
        let analysed = live2["analysed"] as? Int ?? -1
        #expect(analysed > 4_000 && analysed < 8_000, "\(live2)")
        for live in [live1, live2] {
            let received = live["received"] as? Int ?? -1
            #expect(live["dropped"] as? Int == 0 && live["interface_dropped"] as? Int == 0)
            #expect(received == (live["analysed"] as? Int ?? -2) + (live["dropped"] as? Int ?? -2) + (live["unread"] as? Int ?? -2))
            #expect(live["unread"] as? Int == 0)
        }
        // The threads hand the packets on in capture-time order.
        let times = all2.compactMap { ($0["frame"] as? [String: Any])?["time_epoch"] as? String }
            .map { Int64($0.replacingOccurrences(of: ".", with: "")) ?? 0 }
        #expect(times.count == analysed)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
        // The same packets, the same conclusions.
        let found1 = findings(all1), found2 = findings(all2)
        #expect(found1.count > 10, "the blocked peer connections are findings")
        #expect(found1 == found2)
        #expect(counts(summary1) == counts(summary2))
    }
}
