import Foundation
import Testing
import TestSupport

/// `--write-evidence FILE.pcapng`: the frames the findings name, each with a packet comment naming
/// the finding, its role and the original file and frame, opened in tshark (`frame.comment`);
/// interfaces keep their names; `--write-evidence-flows` adds the rest of their flows; a file that
/// cannot be written is one error and exit status 74, the analysis complete.
@Suite(.enabled(if: TShark.shouldRun, "tshark is not installed (scripts/ensure-deps.sh tshark)"))
struct EvidenceCommandTests {
    static var tshark: String? { TShark.executable }

    /// Captures with findings: samples and lab recordings (with their scaled thresholds).
    static let captures: [(String, [String])] = [
        ("samples/firewall-timeout.pcapng", []), ("samples/dropped-reply.pcapng", []),
        ("samples/blocked-peer-port.pcapng", []), ("samples/icq-v5-session.pcapng", []),
        ("samples/socks-association-lost.pcapng", []),
        ("samples/lab/timed-out-session/gateway.pcapng", try! HTMLReportCommandTests.labThresholds("timed-out-session")),
        ("samples/lab/blocked-peer-port-reset/gateway.pcapng", try! HTMLReportCommandTests.labThresholds("blocked-peer-port-reset")),
        ("samples/lab/socks-association-lost/gateway.pcapng", try! HTMLReportCommandTests.labThresholds("socks-association-lost")),
    ]

    /// Each packet of a pcapng as tshark shows it: interface name and comments.
    static func tsharkView(_ file: URL) throws -> [(interface: String, comments: [String])] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(tshark))
        process.arguments = ["-r", file.path, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|",
                             "-e", "frame.interface_name", "-e", "frame.comment"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "tshark could not read \(file.path)")
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return (columns[0], columns.count > 1 ? columns[1].split(separator: "|").map(String.init) : [])
        }
    }

    /// The original frame a comment names: "...; FILE frame N".
    static func originalFrame(_ comment: String, file: String) -> Int? {
        guard let range = comment.range(of: "; \(file) frame ", options: .backwards) else { return nil }
        return Int(comment[range.upperBound...])
    }

    /// Each frame's interface in the original capture.
    static func interfaceNames(_ capture: String) throws -> [Int: String] {
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--packets", capture])
        var names: [Int: String] = [:]
        for p in r.records(ofType: "packet") {
            let frame = p["frame"] as? [String: Any]
            if let n = frame?["number"] as? Int { names[n] = frame?["interface_name"] as? String }
        }
        return names
    }

    @Test(arguments: Self.captures)
    func holdsExactlyTheFramesTheFindingsNameWithComments(_ capture: String, _ thresholds: [String]) throws {
        let file = TestPaths.temporaryFile("evidence-\(capture.split(separator: "/").joined(separator: "-"))")
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--write-evidence", file.path] + thresholds + [capture])
        #expect(r.status == 0, "\(r.stderr)")
        let findings = r.records(ofType: "finding")
        #expect(!findings.isEmpty)
        let named = Set(findings.flatMap { ($0["frames"] as? [Int]) ?? [] })
        let packets = try Self.tsharkView(file)
        let originals = try Self.interfaceNames(capture)
        var written: [Int] = []
        for packet in packets {
            #expect(!packet.comments.isEmpty)
            let frames = Set(packet.comments.compactMap { Self.originalFrame($0, file: capture) })
            #expect(frames.count == 1, "\(packet.comments)")
            guard let frame = frames.first else { continue }
            written.append(frame)
            // The interface keeps its name.
            #expect(packet.interface == originals[frame] ?? "", "frame \(frame)")
            // One comment per finding that names the frame, naming its kind.
            let naming = findings.enumerated().filter { ($0.element["frames"] as? [Int])?.contains(frame) ?? false }
            #expect(packet.comments.count == naming.count, "frame \(frame): \(packet.comments)")
            for (i, finding) in naming {
                let kind = finding["kind"] as? String ?? "?"
                #expect(packet.comments.contains { $0.hasPrefix("icqscope finding \(i + 1) of \(findings.count): \(kind)") },
                        "frame \(frame): \(packet.comments)")
            }
        }
        #expect(written == written.sorted() && Set(written).count == written.count)
        #expect(Set(written) == named)
    }

    /// The roles the page and the comments give the frames of a gateway's drops.
    @Test func rolesNameWhatTheGatewayDid() throws {
        let file = TestPaths.temporaryFile("evidence-roles.pcapng")
        defer { try? FileManager.default.removeItem(at: file) }
        for (capture, role) in [("samples/firewall-timeout.pcapng", "push dropped at the gateway"),
                                ("samples/blocked-peer-port.pcapng", "forged RST")] {
            let r = try CommandRunner.run(["read", "--write-evidence", file.path, capture])
            #expect(r.status == 0)
            let comments = try Self.tsharkView(file).flatMap(\.comments)
            #expect(comments.contains { $0.contains(": \(role)") }, "\(comments)")
        }
    }

    @Test func flowsAddTheRestOfTheirFlows() throws {
        let capture = "samples/firewall-timeout.pcapng"
        let file = TestPaths.temporaryFile("evidence-flows.pcapng")
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--write-evidence", file.path, "--write-evidence-flows", capture])
        #expect(r.status == 0, "\(r.stderr)")
        let named = Set(r.records(ofType: "finding").flatMap { ($0["frames"] as? [Int]) ?? [] })
        let packets = try Self.tsharkView(file)
        let frames = packets.compactMap { $0.comments.compactMap { Self.originalFrame($0, file: capture) }.first }
        // Both flows of the session (inside and outside the NAT): every one of the 42 frames.
        #expect(frames == Array(1...42))
        #expect(named.isSubset(of: Set(frames)))
        for packet in packets {
            let frame = packet.comments.compactMap { Self.originalFrame($0, file: capture) }.first ?? 0
            #expect(named.contains(frame) || packet.comments.allSatisfy { $0.hasPrefix("icqscope: in the flow of finding") })
        }
    }

    @Test func unwritableFileIsStatus74AndTheAnalysisCompletes() throws {
        for path in ["/dev/full", "/nonexistent-folder/evidence.pcapng"] {
            let r = try CommandRunner.run(["read", "--format", "ndjson", "--write-evidence", path, "samples/firewall-timeout.pcapng"])
            #expect(r.status == 74)
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stderr.contains(path))
            #expect(r.records(ofType: "finding").count == 2)
            #expect(r.records(ofType: "requirement").count == 7)
            #expect(r.records(ofType: "summary").count == 1)
        }
    }

    @Test func standardInputIsAUsageError() throws {
        let r = try CommandRunner.run(["read", "--write-evidence", TestPaths.temporaryFile("x.pcapng").path, "-"],
                                      stdin: try Data(contentsOf: TestPaths.root.appendingPathComponent("samples/firewall-timeout.pcapng")))
        #expect(r.status == 64)
    }
}

/// Wireshark's command-line reader: installed by `scripts/test.sh` (`scripts/ensure-deps.sh tshark`);
/// its tests are skipped without it, and run anyway (and fail) in CI.
enum TShark {
    static var executable: String? {
        ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var shouldRun: Bool { executable != nil || ProcessInfo.processInfo.environment["CI"] != nil }
}
