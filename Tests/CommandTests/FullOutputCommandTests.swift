import Foundation
import Testing
import TestSupport

/// An output that cannot be written completely (OUTPUT.md, exit status 74): standard output on a
/// full disk. (`live --write` on a full disk, a full tmpfs and a removed folder is in
/// `LiveCommandTests`, which needs a network namespace.)
struct FullOutputCommandTests {
    /// `read` with its stdout on /dev/full (every write fails with ENOSPC).
    static func readToDevFull(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = CommandRunner.executable
        process.arguments = arguments
        process.standardOutput = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        let err = Pipe()
        process.standardError = err
        try process.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: errData, as: UTF8.self))
    }

    @Test func standardOutputOnAFullDiskIsStatus74WithOneLine() throws {
        let sample = TestPaths.root.appendingPathComponent("samples/gateway-basic.pcapng").path
        for format in ["text", "ndjson"] {
            let r = try Self.readToDevFull(["read", "--format", format, "--packets", "--flows", sample])
            #expect(r.status == 74, "stderr: \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines == ["icqscope: standard output: writing the results failed: No space left on device"])
        }
    }

    @Test func damagedInputWithAFullOutputIsStill74() throws {
        // 74 takes precedence over 2 (damaged input): the output's failure is the one to fix first.
        let file = TestPaths.temporaryFile("truncated-\(getpid()).pcapng")
        defer { try? FileManager.default.removeItem(at: file) }
        let sample = try Data(contentsOf: TestPaths.root.appendingPathComponent("samples/gateway-basic.pcapng"))
        try sample.prefix(sample.count - 7).write(to: file)
        let r = try Self.readToDevFull(["read", "--packets", file.path])
        #expect(r.status == 74)
        #expect(r.stderr.contains("is cut off"))
        #expect(r.stderr.contains("standard output: writing the results failed: No space left on device"))
    }
}
