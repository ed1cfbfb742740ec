import Foundation
import SampleKit
import Testing
import TestSupport

/// The progress line of a long `read`: drawn on stderr only when it is a terminal (a pseudo-
/// terminal made by `script`), at most four times a second, bytes read of the file size rising,
/// erased at the end; nothing without a terminal, nothing with `--quiet`, and nothing when results
/// stream to the same terminal (NDJSON).
@Suite(.serialized)
struct ProgressCommandTests {
    /// Long enough that the debug binary reads it for a second or more.
    static let packets = 60_000

    static func capture(_ name: String) throws -> URL {
        let url = TestPaths.temporaryFile("progress-\(name).pcap")
        _ = try GatewayMixFile.write(users: 50, packets: packets, to: url.path)
        return url
    }

    /// Runs a shell command line on a pseudo-terminal (`script -qec`): what the terminal showed,
    /// and how long it took.
    static func onTerminal(_ commandLine: String) throws -> (shown: String, seconds: Double, status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", commandLine, "/dev/null"]
        process.currentDirectoryURL = TestPaths.root
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), Date().timeIntervalSince(start), process.terminationStatus)
    }

    static func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// The lines drawn: what each carriage return redraws (the erasing sequence removed).
    static func redraws(_ shown: String) -> [String] {
        shown.split(separator: "\r").map { $0.replacingOccurrences(of: "\u{1B}[K", with: "") }
            .filter { $0.contains("packets/s") }
    }

    @Test func drawnOnATerminalRisingAndErasedAtTheEnd() throws {
        let file = try Self.capture("drawn")
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try Self.onTerminal("\(Self.quoted(CommandRunner.executable.path)) read \(Self.quoted(file.path)) > /dev/null")
        #expect(run.status == 0)
        let lines = Self.redraws(run.shown)
        #expect(!lines.isEmpty, "no progress line in \(run.shown.debugDescription)")
        let size = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as! Int
        let tenths = Int((Double(size) / 1e5).rounded())
        let total = "\(tenths / 10).\(tenths % 10) MB"
        var last = -1
        for line in lines {
            #expect(line.contains("/\(total)"), "\(line)")
            let percent = try #require(Int(line.split(separator: "%")[0].split(separator: " ").last ?? ""), "\(line)")
            #expect(percent >= last && percent <= 100)
            last = percent
        }
        // At most four a second (and a first one only after a quarter of a second).
        #expect(Double(lines.count) <= run.seconds * 4 + 1, "\(lines.count) lines in \(run.seconds) s")
        // Erased at the end: the last thing on the terminal is the erasing sequence.
        #expect(run.shown.hasSuffix("\r\u{1B}[K"))
    }

    @Test func quietDrawsNothing() throws {
        let file = try Self.capture("quiet")
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try Self.onTerminal("\(Self.quoted(CommandRunner.executable.path)) read --quiet \(Self.quoted(file.path)) > /dev/null")
        #expect(run.status == 0)
        #expect(run.shown.isEmpty, "\(run.shown.prefix(200).debugDescription)")
    }

    @Test func resultsStreamingToTheSameTerminalAreNotInterrupted() throws {
        let file = try Self.capture("ndjson")
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try Self.onTerminal("\(Self.quoted(CommandRunner.executable.path)) read --format ndjson \(Self.quoted(file.path))")
        #expect(run.status == 0)
        #expect(run.shown.contains("\"type\":\"summary\""))
        #expect(Self.redraws(run.shown).isEmpty)
    }

    @Test func noTerminalNoProgress() throws {
        let file = try Self.capture("pipe")
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try CommandRunner.run(["read", file.path])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty, "\(r.stderr.prefix(200).debugDescription)")
    }
}
