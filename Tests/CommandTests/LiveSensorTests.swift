import Foundation
import LiveTestSupport
import Testing
import TestSupport

/// `icqscope live` as a long-running sensor, on the namespaced gateway: the capture ring rotates
/// by size and by count and reads back as one capture; the events file is reopened on SIGHUP, as
/// logrotate's postrotate asks; /metrics answers over HTTP while the capture runs.
@Suite(.enabled(if: NetworkLab.shouldRun, "\(NetworkLab.availability.message)"), .serialized)
struct LiveSensorTests {
    private func startLive(_ lab: NetworkLab, _ arguments: [String]) throws -> Spawned {
        let live = try lab.spawn(in: lab.gatewayNamespace, [CommandRunner.executable.path, "live"] + arguments)
        #expect(live.waitForLine("icqscope: capturing on", onStandardError: true), "the capture started")
        return live
    }

    private func folder(_ name: String) throws -> URL {
        let url = TestPaths.temporaryFile(name)
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func records(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func theCaptureRingRotatesBySizeKeepsItsCountAndReadsBackAsOneCapture() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        let dir = try folder("ring-\(lab.id)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let size = 32 * 1024
        let live = try startLive(lab, ["-i", lab.insideInterface, "-i", lab.outsideInterface, "--immediate",
                                       "--filter", "udp port 9999", "--duration", "30", "--format", "ndjson",
                                       "--write", dir.appendingPathComponent("ring.pcapng").path,
                                       "--write-size", "32K", "--write-files", "3"])
        // 400 datagrams of 300 bytes, 1 ms apart, each seen on both sides: some 280 KB, about 9 files' worth.
        let burst = try lab.spawn(in: lab.clientNamespace, ["python3", "-c", """
            import socket, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for i in range(400):
                s.sendto(b"r" * 300, ("\(NetworkLab.serverAddress)", 9999))
                time.sleep(0.001)
            """])
        #expect(burst.finish().status == 0)
        usleep(500_000)
        live.signal(SIGTERM)
        let r = live.finish()
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let analysed = (records(r.stdout).last?["live"] as? [String: Any])?["analysed"] as? Int ?? 0
        #expect(analysed == 800)

        // Three files, numbered before the extension; none larger than the size.
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["ring0.pcapng", "ring1.pcapng", "ring2.pcapng"])
        var packetsInFiles = 0
        for name in names {
            let path = dir.appendingPathComponent(name).path
            let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            #expect(bytes <= size && bytes > 0, "\(name): \(bytes) bytes")
            // Each a complete pcapng: read alone, to its end, both interfaces named, drop counters at its end.
            let alone = try CommandRunner.run(["read", "--format", "ndjson", path])
            #expect(alone.status == 0, "\(name): \(alone.stderr)")
            let summary = try #require(alone.records(ofType: "summary").first)
            let source = try #require((summary["sources"] as? [[String: Any]])?.first)
            #expect(source["completed"] as? Bool == true)
            let interfaces = (source["interfaces"] as? [[String: Any]]) ?? []
            #expect(interfaces.compactMap { $0["name"] as? String } == [lab.insideInterface, lab.outsideInterface])
            #expect(interfaces.allSatisfy { $0["drops"] != nil })
            packetsInFiles += summary["packets"] as? Int ?? 0
        }
        // The oldest files were replaced: the ring holds less than was captured.
        #expect(packetsInFiles > 0 && packetsInFiles < analysed)

        // read --merge: one capture, in time order whatever order the files are named in, frames
        // numbered in merged order, the ring's two interfaces one each across its files.
        let paths = names.reversed().map { dir.appendingPathComponent($0).path }
        let merged = try CommandRunner.run(["read", "--merge", "--format", "ndjson", "--packets"] + paths)
        #expect(merged.status == 0, "\(merged.stderr)")
        let packets = merged.records(ofType: "packet")
        #expect(packets.count == packetsInFiles)
        let frames = packets.compactMap { ($0["frame"] as? [String: Any])?["number"] as? Int }
        #expect(frames == Array(1...packetsInFiles))
        // Each interface's packets in time order. Across the two interfaces a file holds them as
        // the two capture handles delivered them, a batch of one before the other's earlier
        // packets when the machine is busy: a file in delivery order, which the merge keeps.
        var timesByInterface: [String: [Int]] = [:]
        for packet in packets {
            guard let frame = packet["frame"] as? [String: Any], let text = frame["time_epoch"] as? String,
                  let interface = frame["interface_name"] as? String else { continue }
            let parts = text.split(separator: ".")
            guard parts.count == 2 else { continue }
            timesByInterface[interface, default: []].append((Int(parts[0]) ?? 0) * 1_000_000_000 + (Int(parts[1]) ?? 0))
        }
        #expect(timesByInterface.count == 2)
        for (interface, times) in timesByInterface { #expect(times == times.sorted(), "\(interface)") }
        let mergedSource = try #require((merged.records(ofType: "summary").first?["sources"] as? [[String: Any]])?.first)
        let mergedNames = ((mergedSource["interfaces"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
        #expect(mergedNames.count == 2)
        #expect(mergedNames.allSatisfy { name in names.contains { name.hasPrefix($0 + ":") } })
    }

    @Test func theEventsFileIsReopenedOnSIGHUPAfterLogrotateMovedIt() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        let dir = try folder("events-\(lab.id)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let events = dir.appendingPathComponent("events.ndjson")
        let rotated = dir.appendingPathComponent("events.ndjson.1")
        // Text on stdout: the events file is NDJSON whatever --format says.
        let live = try startLive(lab, ["-i", lab.insideInterface, "--duration", "30", "--stats-interval", "0.2",
                                       "--events", events.path])
        func statsRecords(_ url: URL) -> Int {
            records((try? String(contentsOf: url, encoding: .utf8)) ?? "").filter { $0["type"] as? String == "stats" }.count
        }
        var waited = 0
        while statsRecords(events) < 2 && waited < 100 { usleep(50_000); waited += 1 }
        #expect(statsRecords(events) >= 2)
        // What logrotate does: move the file, then SIGHUP.
        try FileManager.default.moveItem(at: events, to: rotated)
        live.signal(SIGHUP)
        waited = 0
        while statsRecords(events) < 2 && waited < 100 { usleep(50_000); waited += 1 }
        live.signal(SIGTERM)
        let r = live.finish()
        #expect(r.status == 0, "a SIGHUP does not end the capture: \(r.stderr)")
        #expect(!r.stdout.contains("{\"type\""), "stdout stays text")

        let before = records(try String(contentsOf: rotated, encoding: .utf8))
        let after = records(try String(contentsOf: events, encoding: .utf8))
        #expect(before.count >= 2 && before.allSatisfy { $0["type"] as? String == "stats" })
        #expect(statsRecords(events) >= 2, "records after the SIGHUP go to the new file")
        #expect(after.filter { $0["type"] as? String == "requirement" }.count == 7)
        #expect(after.last?["type"] as? String == "summary")
        // Every line whole: one write per record.
        for url in [events, rotated] {
            let text = try String(contentsOf: url, encoding: .utf8)
            #expect(text.hasSuffix("\n"))
            #expect(text.split(separator: "\n").count == records(text).count)
        }
    }

    @Test func metricsAreServedOverHTTPWhileTheCaptureRuns() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        let dir = try folder("metrics-\(lab.id)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("icqscope.prom")
        let live = try startLive(lab, ["-i", lab.insideInterface, "-i", lab.outsideInterface, "--immediate",
                                       "--filter", "udp port 4000", "--duration", "30",
                                       "--metrics-listen", "127.0.0.1:9464", "--metrics-file", file.path])
        let server = try lab.spawn(in: lab.serverNamespace, Traffic.udpEchoServer(port: 4000, count: 5))
        #expect(server.waitForLine("ready"))
        let client = try lab.spawn(in: lab.clientNamespace, Traffic.udpClient(port: 4000, count: 5))
        #expect(client.finish().status == 0)
        _ = server.finish()
        usleep(1_500_000)  // a tick publishes the counts
        // Asked from inside the gateway's namespace, where icqscope listens.
        let scrape = try lab.spawn(in: lab.gatewayNamespace, ["curl", "-s", "-i", "http://127.0.0.1:9464/metrics"]).finish()
        let missing = try lab.spawn(in: lab.gatewayNamespace,
                                    ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:9464/nothing"]).finish()
        live.signal(SIGTERM)
        let r = live.finish()
        #expect(r.status == 0, "\(r.stderr)")

        #expect(scrape.stdout.hasPrefix("HTTP/1.1 200"))
        #expect(scrape.stdout.contains("Content-Type: text/plain; version=0.0.4"))
        #expect(scrape.stdout.contains("icqscope_packets_total{interface=\"\(lab.insideInterface)\"} 10"))
        #expect(scrape.stdout.contains("icqscope_packets_total{interface=\"\(lab.outsideInterface)\"} 10"))
        #expect(scrape.stdout.contains("# TYPE icqscope_findings_total counter"))
        #expect(scrape.stdout.contains("icqscope_kernel_drops_total{interface=\"\(lab.insideInterface)\"} 0"))
        #expect(scrape.stdout.contains("icqscope_processing_lag_seconds "))
        #expect(missing.stdout == "404")
        // The textfile: the final set, written atomically (no temporary left behind).
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains("icqscope_packets_total{interface=\"\(lab.insideInterface)\"} 10"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["icqscope.prom"])
    }

    /// Every thread's credentials (/proc/PID/task/TID/status): Uid, CapEff, CapPrm, NoNewPrivs.
    private func threadCredentials(_ pid: Int32) throws -> [[String: String]] {
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        return try tasks.map { tid in
            let text = try String(contentsOfFile: "/proc/\(pid)/task/\(tid)/status", encoding: .utf8)
            var fields: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return fields
        }
    }

    @Test func underZTheMetricsThreadStartsUnprivilegedLikeTheRest() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        let dir = try folder("z-\(lab.id)")
        defer { try? FileManager.default.removeItem(at: dir) }
        // The events file is opened as root, before the drop, in a folder nobody cannot write.
        let live = try startLive(lab, ["-i", lab.insideInterface, "--duration", "30", "-Z", "nobody",
                                       "--metrics-listen", "127.0.0.1:9464", "--events", dir.appendingPathComponent("e.ndjson").path])
        usleep(300_000)
        let threads = try threadCredentials(live.process.processIdentifier)
        let scrape = try lab.spawn(in: lab.gatewayNamespace, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                                              "http://127.0.0.1:9464/metrics"]).finish()
        live.signal(SIGTERM)
        let r = live.finish()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(scrape.stdout == "200")
        // The main thread and the metrics server's event-loop thread (at least two), all nobody,
        // none holding a capability, none able to gain one.
        #expect(threads.count >= 2)
        for t in threads {
            #expect(t["Uid"]?.split(whereSeparator: \.isWhitespace).allSatisfy { $0 == "65534" } == true, "\(t["Name"] ?? ""): \(t["Uid"] ?? "")")
            #expect(t["CapEff"] == "0000000000000000" && t["CapPrm"] == "0000000000000000", "\(t["Name"] ?? "")")
            #expect(t["NoNewPrivs"] == "1", "\(t["Name"] ?? "")")
        }
        let events = try String(contentsOf: dir.appendingPathComponent("e.ndjson"), encoding: .utf8)
        #expect(events.contains("\"type\":\"summary\""))
    }

    @Test func underZARingInAFolderTheUserCannotWriteIsRefusedAtStart() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        let dir = try folder("zring-\(lab.id)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        let live = try lab.spawn(in: lab.gatewayNamespace, [CommandRunner.executable.path, "live", "-i", lab.insideInterface,
                                                            "--duration", "30", "-Z", "nobody",
                                                            "--write", dir.appendingPathComponent("ring.pcapng").path,
                                                            "--write-size", "1M", "--write-files", "3"])
        let r = live.finish()
        #expect(r.status == 74, "\(r.stderr)")
        #expect(r.stderr.contains("the capture ring's folder is not writable once privileges are given up"))
    }
}
