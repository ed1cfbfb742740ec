import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs one scenario of the gateway lab through `scripts/lab.sh` (the same script a user runs),
/// into a temporary folder, and hands back what it recorded.
enum Lab {
    static let root = TestPaths.root
    static let script = root.appendingPathComponent("scripts/lab.sh")

    /// Whether this machine can run the lab: root, and network namespaces can be created.
    static let availability: (ok: Bool, message: String) = {
        guard getuid() == 0 else {
            return (false, "the gateway lab needs root (network namespaces, veth pairs, nftables); run the tests as root")
        }
        let probe = "icqlabprobe\(getpid())"
        let created = (try? shell(["ip", "netns", "add", probe]))?.status == 0
        _ = try? shell(["ip", "netns", "del", probe])
        guard created else {
            return (false, "this machine cannot create network namespaces (ip netns add failed), so the gateway lab cannot run")
        }
        return (true, "")
    }()

    /// Enabled where the lab can run, and in CI, where an unavailable lab must fail, not skip.
    static var enabled: Bool { availability.ok || ProcessInfo.processInfo.environment["CI"] != nil }

    /// The built peers: beside the test bundle in the build folder (as CommandTests finds icqscope).
    static var binDirectory: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent(), bundle.deletingLastPathComponent().deletingLastPathComponent()] {
            if FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("icqlab-client").path) {
                return candidate
            }
        }
        return root.appendingPathComponent(".build/debug")
    }

    struct Run {
        let scenario: String
        let directory: URL
        let status: Int32
        let output: String

        /// The key=value lines the script writes (addresses, ports, interfaces, timings).
        var environment: [String: String] {
            let text = (try? String(contentsOf: directory.appendingPathComponent("scenario.env"), encoding: .utf8)) ?? ""
            var values: [String: String] = [:]
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
            }
            return values
        }

        func log(_ name: String) -> String {
            (try? String(contentsOf: directory.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? ""
        }

        /// What the gateway recorded on both interfaces, decoded.
        func capture() throws -> LabCapture { try LabCapture(directory: directory, environment: environment) }

        /// The NDJSON records `icqscope read` gives for the recording (findings included once the
        /// diagnosis is wired), for assertions such as
        /// `#expect(run.records(type: "finding").contains { $0["kind"] as? String == "…" })`.
        func icqscopeRecords(_ extraArguments: [String] = []) throws -> [[String: Any]] {
            let icqscope = Lab.binDirectory.appendingPathComponent("icqscope").path
            let files = try LabCapture.recordingFiles(in: directory).map(\.path)
            let result = try shell([icqscope, "read"] + files + ["--format", "ndjson"] + extraArguments)
            return result.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        /// icqscope's thresholds scaled like the scenario's intervals, as lab.sh gives them to
        /// icqscope live (ICQSCOPE_THRESHOLDS in scenario.env).
        var scaledThresholds: [String] {
            (environment["ICQSCOPE_THRESHOLDS"] ?? "").split(separator: " ").map(String.init)
        }

        /// The NDJSON records icqscope live streamed while the scenario ran (empty with tcpdump).
        func liveRecords() -> [[String: Any]] {
            let text = (try? String(contentsOf: directory.appendingPathComponent("live.ndjson"), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        /// The finding records `icqscope read` gives on the recording with the scaled thresholds.
        func findings() throws -> [[String: Any]] {
            try icqscopeRecords(scaledThresholds).filter { $0["type"] as? String == "finding" }
        }

        /// Removes the recording unless LAB_KEEP is set (to look at a failing run's files).
        func cleanUp() {
            if ProcessInfo.processInfo.environment["LAB_KEEP"] == nil {
                try? FileManager.default.removeItem(at: directory)
            }
        }
    }

    /// Runs a scenario; the script removes every namespace, rule and process it made, also when
    /// it fails. `extraArguments` go to the script (e.g. "--nat").
    static func run(_ scenario: String, _ extraArguments: [String] = []) throws -> Run {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("icqlab-\(getpid())-\(scenario)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let result = try shell(
            ["/bin/bash", script.path, "--quiet", "--bin", binDirectory.path, "--out", directory.path]
                + extraArguments + [scenario])
        return Run(scenario: scenario, directory: directory, status: result.status, output: result.stdout + result.stderr)
    }

    struct ShellResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a command to completion with posix_spawn, its output in temporary files.
    ///
    /// Not Foundation's `Process`: the test runner's threads block most signals, and a child
    /// started by `Process` inherits that mask, so the lab script could not stop tcpdump (or
    /// anything else) with SIGTERM. Here the child starts with an empty mask and default handlers.
    static func shell(_ arguments: [String]) throws -> ShellResult {
        let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("icqlab-out-\(UUID().uuidString)").path
        let errPath = outPath + ".err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard rc == 0 else { throw LabCaptureError.spawn(arguments[0], String(cString: strerror(rc))) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7F == 0
        let code = exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return ShellResult(status: code, stdout: read(outPath), stderr: read(errPath))
    }
}
