import Foundation
import LiveTestSupport
import Testing
import TestSupport

/// `icqscope live` and `icqscope interfaces` as a user runs them, on a namespaced gateway
/// (`ip netns exec` puts the command in the gateway's namespace).
@Suite(.enabled(if: NetworkLab.shouldRun, "\(NetworkLab.availability.message)"), .serialized)
struct LiveCommandTests {
    /// Starts `icqscope ARGS` inside the gateway and waits until it captures.
    private func startLive(_ lab: NetworkLab, _ arguments: [String]) throws -> Spawned {
        let live = try lab.spawn(in: lab.gatewayNamespace, [CommandRunner.executable.path, "live"] + arguments)
        #expect(live.waitForLine("icqscope: capturing on", onStandardError: true), "the capture started")
        return live
    }

    private func records(_ stdout: String) -> [[String: Any]] {
        stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test func gatewayCaptureIsAnalysedRecordedAndReadsBackTheSame() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        let file = TestPaths.temporaryFile("live-\(lab.id).pcapng")
        defer { try? FileManager.default.removeItem(at: file) }
        // 5 requests and 5 replies, each seen on both sides of the gateway: 20 packets.
        let live = try startLive(lab, ["-i", lab.insideInterface, "-i", lab.outsideInterface, "--immediate",
                                       "--filter", "udp port 4000", "--count", "20", "--duration", "20",
                                       "--stats-interval", "0.2", "--format", "ndjson", "--packets",
                                       "--write", file.path])
        let server = try lab.spawn(in: lab.serverNamespace, Traffic.udpEchoServer(port: 4000, count: 5))
        #expect(server.waitForLine("ready"))
        usleep(500_000)  // let a stats period pass
        let client = try lab.spawn(in: lab.clientNamespace, Traffic.udpClient(port: 4000, count: 5))
        #expect(client.finish().status == 0)
        _ = server.finish()
        let r = live.finish()
        #expect(r.status == 0, "stderr: \(r.stderr)")

        let all = records(r.stdout)
        let packets = all.filter { $0["type"] as? String == "packet" }
        #expect(packets.count == 20)
        let names = packets.compactMap { ($0["frame"] as? [String: Any])?["interface_name"] as? String }
        #expect(names.filter { $0 == lab.insideInterface }.count == 10)
        #expect(names.filter { $0 == lab.outsideInterface }.count == 10)
        #expect(packets.allSatisfy { (($0["udp"] as? [String: Any])?["srcport"] as? Int == 4000) || (($0["udp"] as? [String: Any])?["dstport"] as? Int == 4000) })
        // Periodic statistics on stdout (NDJSON) and on stderr.
        let stats = all.filter { $0["type"] as? String == "stats" }
        #expect(!stats.isEmpty)
        #expect(r.stderr.contains("icqscope: stats after"))
        // The summary says received = analysed + dropped (+ unread at stop), per interface.
        let summary = try #require(all.last)
        #expect(summary["type"] as? String == "summary")
        let liveSummary = try #require(summary["live"] as? [String: Any])
        #expect(liveSummary["stop_reason"] as? String == "count")
        let received = liveSummary["received"] as? Int ?? -1
        let analysed = liveSummary["analysed"] as? Int ?? -1
        let dropped = liveSummary["dropped"] as? Int ?? -1
        let unread = liveSummary["unread"] as? Int ?? -1
        #expect(analysed == 20 && dropped == 0 && received == analysed + dropped + unread)

        // `read` of the recording gives the very same packet records, byte for byte.
        let readBack = try CommandRunner.run(["read", "--format", "ndjson", "--packets", file.path])
        #expect(readBack.status == 0)
        let livePacketLines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("{\"type\":\"packet\"") }
        let readPacketLines = readBack.stdout.split(separator: "\n").filter { $0.hasPrefix("{\"type\":\"packet\"") }
        #expect(livePacketLines == readPacketLines)
        // And the recording carries the drop counters of both interfaces.
        let readSummary = try #require(readBack.records(ofType: "summary").first)
        let interfaces = ((readSummary["sources"] as? [[String: Any]])?.first?["interfaces"] as? [[String: Any]]) ?? []
        #expect(interfaces.compactMap { $0["name"] as? String } == [lab.insideInterface, lab.outsideInterface])
        #expect(interfaces.allSatisfy { ($0["drops"] as? [String: Any])?["os"] as? Int == 0 })
    }

    /// On a terminal (`script` gives it one) live shows packets, drops and findings so far on one
    /// line, redrawn in place; `--html` writes the page when the capture ends.
    @Test func progressLineOnATerminalAndThePageAtTheEnd() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        let page = TestPaths.temporaryFile("live-\(lab.id).html")
        defer { try? FileManager.default.removeItem(at: page) }
        let command = "'\(CommandRunner.executable.path)' live -i \(lab.insideInterface) -i \(lab.outsideInterface) --immediate --filter \"udp port 4000\" --duration 3 --html '\(page.path)' > /dev/null"
        let live = try lab.spawn(in: lab.gatewayNamespace, ["script", "-qec", command, "/dev/null"])
        // The terminal shows stderr's "capturing on" once the capture runs.
        #expect(live.waitForLine("icqscope: capturing on", prefix: true))
        let server = try lab.spawn(in: lab.serverNamespace, Traffic.udpEchoServer(port: 4000, count: 5))
        #expect(server.waitForLine("ready"))
        let client = try lab.spawn(in: lab.clientNamespace, Traffic.udpClient(port: 4000, count: 5))
        #expect(client.finish().status == 0)
        _ = server.finish()
        let r = live.finish()
        #expect(r.status == 0, "\(r.stdout.suffix(400))")
        let lines = r.stdout.split(separator: "\r").map { $0.replacingOccurrences(of: "\u{1B}[K", with: "") }
            .filter { $0.contains(" packets (") }
        #expect(!lines.isEmpty, "\(r.stdout.prefix(400).debugDescription)")
        let last = try #require(lines.last)
        #expect(last.hasPrefix("live 0:0") && last.contains(" dropped") && last.contains(" finding"), "\(last)")
        // The echoes crossed the gateway while the line was drawn: 20 packets by the end.
        #expect(lines.contains { $0.contains(" 20 packets (") }, "\(lines)")
        #expect(Double(lines.count) <= 3.5 * 4 + 1)
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("data-requirement=\"udp-4000-out\""))
    }

    @Test func sigtermMidRunLeavesACompleteFileAndASummary() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        let file = TestPaths.temporaryFile("sigterm-\(lab.id).pcapng")
        defer { try? FileManager.default.removeItem(at: file) }
        // Batched (not immediate) capture on 'any': the packets still in the kernel's buffer when
        // the signal arrives must reach the file too.
        let live = try startLive(lab, ["-i", "any", "--filter", "udp port 4000 or tcp port 5190",
                                       "--write", file.path])
        let udpServer = try lab.spawn(in: lab.serverNamespace, Traffic.udpEchoServer(port: 4000, count: 5))
        let tcpServer = try lab.spawn(in: lab.serverNamespace, Traffic.tcpServer(port: 5190))
        #expect(udpServer.waitForLine("ready") && tcpServer.waitForLine("ready"))
        let udpClient = try lab.spawn(in: lab.clientNamespace, Traffic.udpClient(port: 4000, count: 5))
        let tcpClient = try lab.spawn(in: lab.clientNamespace, Traffic.tcpClient(port: 5190, bytes: 2000))
        #expect(udpClient.finish().status == 0)
        #expect(tcpClient.finish().stdout.hasPrefix("ok 2000"))
        _ = udpServer.finish(); _ = tcpServer.finish()
        // Let the kernel hand the last packets over (a loaded machine is slow to): what the
        // signal must not lose is what was captured before it.
        usleep(1_000_000)
        live.signal(SIGTERM)
        let r = live.finish()
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("stopped by   SIGTERM"))
        #expect(r.stdout.contains("live         received"))

        let readBack = try CommandRunner.run(["read", "--format", "ndjson", "--packets", file.path])
        #expect(readBack.status == 0, "the file is complete: \(readBack.stderr)")
        let packets = readBack.records(ofType: "packet")
        // 20 UDP packets (5 requests, 5 replies, both sides) and, on both sides, the TCP
        // connection's SYN and all 2000 bytes the client sent (its last ACKs may come after the
        // signal, so the conversation's tail is not counted on).
        let udp = packets.filter { $0["udp"] != nil }
        #expect(udp.count == 20)
        func ifindex(_ p: [String: Any]) -> Int? { (p["sll"] as? [String: Any])?["ifindex"] as? Int }
        let sides = Set(packets.compactMap(ifindex))
        for side in sides {
            let tcp = packets.filter { ifindex($0) == side }.compactMap { $0["tcp"] as? [String: Any] }
            #expect(tcp.contains { (($0["flags"] as? Int) ?? 0) & 0x02 != 0 })
            let sent = tcp.filter { $0["dstport"] as? Int == 5190 }.map { $0["len"] as? Int ?? 0 }.reduce(0, +)
            #expect(sent == 2000)
        }
        // -i any: cooked v2, and each packet keeps its interface index: both sides are present.
        #expect(sides.count == 2)
        // Nothing captured before the signal was lost: everything counted was recorded.
        let counted = r.stdout.split(separator: "\n").first { $0.hasPrefix("packets ") }
        #expect(counted?.contains("packets      \(packets.count) ") == true, "\(counted ?? "")")
        let summary = try #require(readBack.records(ofType: "summary").first)
        let interfaces = ((summary["sources"] as? [[String: Any]])?.first?["interfaces"] as? [[String: Any]]) ?? []
        #expect(interfaces.first?["link_type"] as? String == "LINUX_SLL2")
        #expect((interfaces.first?["drops"] as? [String: Any])?["received"] != nil)
    }

    @Test func errorsAreOneClearLineWithTheContractsStatus() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        let binary = CommandRunner.executable.path
        // No such interface: unusable input, status 2, an error record in NDJSON.
        let missing = try lab.spawn(in: lab.gatewayNamespace, [binary, "live", "-i", "nosuch0", "--format", "ndjson"]).finish()
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("icqscope: nosuch0: no such interface \"nosuch0\""))
        #expect(missing.stdout.contains("\"reason\":\"no_such_interface\""))
        // A filter that does not compile: usage error, as for `read`.
        let filter = try lab.spawn(in: lab.gatewayNamespace, [binary, "live", "-i", lab.insideInterface, "--filter", "udp port banana"]).finish()
        #expect(filter.status == 64)
        #expect(filter.stderr.contains("banana"))
        // No permission: an unprivileged user without capabilities.
        let denied = try lab.spawn(in: lab.gatewayNamespace, ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                                              "--inh-caps=-all", binary, "live", "-i", lab.insideInterface]).finish()
        #expect(denied.status == 2)
        #expect(denied.stderr.contains("no permission to capture on \(lab.insideInterface)"))
        #expect(denied.stderr.contains("CAP_NET_RAW"))
        // The interface goes away mid-run: the summary is still printed, status 2.
        let live = try startLive(lab, ["-i", lab.insideInterface, "-i", lab.outsideInterface])
        try Shell.run("ip", "-n", lab.gatewayNamespace, "link", "del", lab.insideInterface)
        let down = live.finish()
        #expect(down.status == 2)
        #expect(down.stderr.contains("interface \(lab.insideInterface) went down or disappeared"))
        #expect(down.stdout.contains("stopped by   interface_down"))
    }

    /// Runs live on the inside interface with `--write path`, sends `count` datagrams through
    /// the gateway in two halves, calls `during` once the capture runs, and stops after them.
    private func recordBurst(_ lab: NetworkLab, to path: String, count: Int = 400,
                             during: () throws -> Void = {}) throws -> (status: Int32, stdout: String, stderr: String) {
        let live = try startLive(lab, ["-i", lab.insideInterface, "--filter", "udp port 4000", "--count", "\(count)",
                                       "--duration", "20", "--format", "ndjson", "--write", path])
        try during()
        // Two halves, a second apart: the live clock's tick in between flushes the recording,
        // so the failure comes mid-run, with packets still to analyse after it.
        let first = try lab.spawn(in: lab.clientNamespace, Traffic.udpBurst(port: 4000, count: count / 2, size: 200))
        _ = first.finish()
        usleep(1_500_000)
        let second = try lab.spawn(in: lab.clientNamespace, Traffic.udpBurst(port: 4000, count: count - count / 2, size: 200))
        _ = second.finish()
        return live.finish()
    }

    /// The run's records: exactly one error, naming the file, and a summary of every packet.
    private func expectOneWriteError(_ r: (status: Int32, stdout: String, stderr: String), file: String, count: Int) throws {
        #expect(r.status == 74, "stderr: \(r.stderr)")
        let errorLines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("icqscope: \(file):") }
        #expect(errorLines.count == 1, "stderr: \(r.stderr)")
        let all = records(r.stdout)
        let errors = all.filter { $0["type"] as? String == "error" }
        #expect(errors.count == 1)
        #expect(errors.first?["file"] as? String == file)
        #expect(errors.first?["reason"] as? String == "write_failed")
        // The analysis went on to the end: every packet counted, the summary written.
        let summary = try #require(all.last)
        #expect(summary["type"] as? String == "summary")
        #expect((summary["live"] as? [String: Any])?["analysed"] as? Int == count)
    }

    @Test func recordingToAFullDiskIsOneErrorAndStatus74() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        // /dev/full: every write fails with ENOSPC.
        let full = try recordBurst(lab, to: "/dev/full")
        try expectOneWriteError(full, file: "/dev/full", count: 400)
        #expect(full.stderr.contains("No space left on device; recording stopped, the analysis goes on"))

        // A real file system that fills up mid-run: a 16 KiB tmpfs, 400 datagrams of 200 bytes.
        let mountPoint = TestPaths.temporaryFile("tiny-tmpfs-\(lab.id)")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        try Shell.run("mount", "-t", "tmpfs", "-o", "size=16k", "tiny", mountPoint.path)
        defer { _ = try? Shell.run("umount", mountPoint.path) }
        let file = mountPoint.appendingPathComponent("recording.pcapng").path
        let tmpfs = try recordBurst(lab, to: file)
        try expectOneWriteError(tmpfs, file: file, count: 400)
        #expect(tmpfs.stderr.contains("No space left on device; recording stopped, the analysis goes on"))
        // What was written is whole blocks: readable up to where the disk filled.
        let readBack = try CommandRunner.run(["read", "--format", "ndjson", file])
        #expect(readBack.status == 0 || readBack.status == 2)
    }

    @Test func recordingWhoseFolderIsRemovedIsOneErrorAndStatus74() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        let folder = TestPaths.temporaryFile("vanishing-\(lab.id)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("recording.pcapng").path
        let r = try recordBurst(lab, to: file, count: 50) {
            try FileManager.default.removeItem(at: folder)
        }
        try expectOneWriteError(r, file: file, count: 50)
        #expect(r.stderr.contains("removed or replaced while recording"))
    }

    @Test func interfacesListsWhatCanBeCapturedWithAddresses() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        let r = try lab.spawn(in: lab.gatewayNamespace, [CommandRunner.executable.path, "interfaces", "--format", "ndjson"]).finish()
        #expect(r.status == 0)
        let list = records(r.stdout)
        let inside = list.first { $0["name"] as? String == lab.insideInterface }
        #expect(inside?["type"] as? String == "interface")
        #expect(inside?["addresses"] as? [String] == [NetworkLab.gatewayInsideAddress])
        #expect((inside?["flags"] as? [String])?.contains("up") == true)
        #expect(list.contains { $0["name"] as? String == "any" })
        let text = try lab.spawn(in: lab.gatewayNamespace, [CommandRunner.executable.path, "interfaces"]).finish()
        #expect(text.stdout.contains("\(lab.outsideInterface) [up, running] \(NetworkLab.gatewayOutsideAddress)"))
    }
}
