import Foundation
import LiveTestSupport
import TestSupport

/// Runs the built `icqscope` binary as a user would, capturing stdout, stderr and the exit status.
enum CommandRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        /// stdout parsed as NDJSON, one object per line.
        var records: [[String: Any]] {
            stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        func records(ofType type: String) -> [[String: Any]] {
            records.filter { $0["type"] as? String == type }
        }
    }

    /// The binary sits beside the test bundle in the build folder.
    static var executable: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent(), bundle.deletingLastPathComponent().deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("icqscope")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return TestPaths.root.appendingPathComponent(".build/debug/icqscope")
    }

    static func run(_ arguments: [String], stdin: Data? = nil, directory: URL = TestPaths.root,
                    environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        // Read both pipes concurrently so a large output cannot block the child.
        let errors = ReadInBackground(err.fileHandleForReading)
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errors.wait(), as: UTF8.self))
    }
}
