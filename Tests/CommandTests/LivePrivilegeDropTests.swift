import Foundation
import LiveTestSupport
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `icqscope live -Z USER`: once its interfaces and files are open, the process is USER with no
/// capabilities, as the kernel reports it (/proc/PID/status), and it goes on capturing.
@Suite(.enabled(if: NetworkLab.shouldRun, "\(NetworkLab.availability.message)"), .serialized)
struct LivePrivilegeDropTests {
    /// A system user made for one test, with a supplementary group, removed afterwards.
    private final class TemporaryUser {
        let name: String
        let extraGroup: String
        let uid: Int
        let gid: Int
        let groups: Set<Int>

        init() throws {
            let name = "icqz\(getpid())", extraGroup = "icqzx\(getpid())"
            // What a run killed midway (same pid after a reboot) may have left.
            for leftover in [["userdel", name], ["groupdel", name], ["groupdel", extraGroup]] {
                _ = try? Shell.run(leftover)
            }
            try Shell.run("groupadd", "--system", extraGroup)
            func number(_ flag: String) throws -> Int {
                try #require(Int(try Shell.run("id", flag, name).trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            do {
                try Shell.run("useradd", "--system", "--no-create-home", "--user-group", "--groups", extraGroup,
                              "--shell", "/usr/sbin/nologin", name)
                uid = try number("-u")
                gid = try number("-g")
                groups = Set(try Shell.run("id", "-G", name).split(whereSeparator: \.isWhitespace).compactMap { Int($0) })
            } catch {
                _ = try? Shell.run("userdel", name)
                _ = try? Shell.run("groupdel", name)
                _ = try? Shell.run("groupdel", extraGroup)
                throw error
            }
            self.name = name
            self.extraGroup = extraGroup
        }

        func remove() {
            _ = try? Shell.run("userdel", name)
            _ = try? Shell.run("groupdel", name)
            _ = try? Shell.run("groupdel", extraGroup)
        }
    }

    /// The lines of /proc/PID/status as name → value.
    private func status(of pid: Int32) throws -> [String: String] {
        try status(path: "/proc/\(pid)/status")
    }

    /// The status of each of the process's threads, once it has at least `count` (with
    /// `--threads 2` the capture thread starts at the first read, after the privileges are
    /// given up). Capabilities are per thread: each must have lost them.
    private func threadStatuses(of pid: Int32, atLeast count: Int) throws -> [[String: String]] {
        var tasks: [String] = []
        for _ in 0..<100 {
            tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            if tasks.count >= count { break }
            usleep(50_000)
        }
        #expect(tasks.count >= count, "threads: \(tasks)")
        return try tasks.map { try status(path: "/proc/\(pid)/task/\($0)/status") }
    }

    private func status(path: String) throws -> [String: String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    private func numbers(_ field: String?) -> [Int] {
        (field ?? "").split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    }

    private func capabilities(_ field: String?) -> UInt64? { field.flatMap { UInt64($0, radix: 16) } }

    /// Five UDP requests and their replies through the gateway: ten packets on its inside.
    private func exchangeTenPackets(_ lab: NetworkLab) throws {
        let server = try lab.spawn(in: lab.serverNamespace, Traffic.udpEchoServer(port: 4000, count: 5))
        #expect(server.waitForLine("ready"))
        let client = try lab.spawn(in: lab.clientNamespace, Traffic.udpClient(port: 4000, count: 5))
        #expect(client.finish().status == 0)
        _ = server.finish()
    }

    private func packetRecords(_ stdout: String) -> Int {
        stdout.split(separator: "\n").filter { $0.hasPrefix("{\"type\":\"packet\"") }.count
    }

    @Test func rootBecomesTheUserWithNoCapabilitiesAndCaptureGoesOn() throws {
        try NetworkLab.requireAvailable()
        try #require(geteuid() == 0, "becoming another user needs root")
        let lab = try NetworkLab()
        defer { lab.remove() }
        let user = try TemporaryUser()
        defer { user.remove() }
        // The recording sits in a folder only root may enter: opened before the drop, written after.
        let folder = TestPaths.temporaryFile("root-only-\(lab.id)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("recording.pcapng").path

        let live = try lab.spawn(in: lab.gatewayNamespace, [
            CommandRunner.executable.path, "live", "-Z", user.name, "-i", lab.insideInterface, "--immediate", "--threads", "2",
            "--filter", "udp port 4000", "--count", "10", "--duration", "20", "--format", "ndjson", "--packets",
            "--write", file,
        ])
        #expect(live.waitForLine("icqscope: capturing on", onStandardError: true), "the capture started")
        let fields = try status(of: live.process.processIdentifier)
        // Real, effective, saved and file-system ids alike.
        #expect(numbers(fields["Uid"]) == Array(repeating: user.uid, count: 4), "\(fields["Uid"] ?? "")")
        #expect(numbers(fields["Gid"]) == Array(repeating: user.gid, count: 4), "\(fields["Gid"] ?? "")")
        #expect(Set(numbers(fields["Groups"])) == user.groups, "\(fields["Groups"] ?? "")")
        #expect(user.groups.count == 2, "the user's own group and the supplementary one")
        for set in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
            #expect(capabilities(fields[set]) == 0, "\(set): \(fields[set] ?? "missing")")
        }
        // Root here holds CAP_SETPCAP, so the bounding set could be emptied too.
        #expect(capabilities(fields["CapBnd"]) == 0, "CapBnd: \(fields["CapBnd"] ?? "missing")")
        #expect(fields["NoNewPrivs"] == "1")
        // The capture thread too: no capability, the user's ids, no new privileges.
        for thread in try threadStatuses(of: live.process.processIdentifier, atLeast: 2) {
            for set in ["CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd"] {
                #expect(capabilities(thread[set]) == 0, "thread \(thread["Pid"] ?? "?") \(set): \(thread[set] ?? "missing")")
            }
            #expect(numbers(thread["Uid"]) == Array(repeating: user.uid, count: 4))
            #expect(thread["NoNewPrivs"] == "1")
        }

        try exchangeTenPackets(lab)
        let r = live.finish()
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("running as \(user.name) without capabilities"))
        #expect(!r.stderr.contains("warning"), "stderr: \(r.stderr)")
        #expect(packetRecords(r.stdout) == 10)
        // The recording, written after the drop, holds every packet and its statistics.
        let readBack = try CommandRunner.run(["read", "--format", "ndjson", "--packets", file])
        #expect(readBack.status == 0, "stderr: \(readBack.stderr)")
        #expect(readBack.records(ofType: "packet").count == 10)
    }

    @Test func anOrdinaryUserWithFileCapabilitiesDropsThemAndCaptureGoesOn() throws {
        try NetworkLab.requireAvailable()
        try #require(geteuid() == 0, "setcap and switching to nobody need root")
        let lab = try NetworkLab()
        defer { lab.remove() }
        // A copy of the binary with the two capabilities capturing needs, run as nobody.
        let folder = TestPaths.temporaryFile("setcap-\(lab.id)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = folder.appendingPathComponent("icqscope")
        try FileManager.default.copyItem(at: CommandRunner.executable, to: binary)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary.path)
        try Shell.run("setcap", "cap_net_raw,cap_net_admin=eip", binary.path)

        let live = try lab.spawn(in: lab.gatewayNamespace, [
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            binary.path, "live", "-Z", "root", "-i", lab.insideInterface, "--immediate", "--threads", "2",
            "--filter", "udp port 4000", "--count", "10", "--duration", "20", "--format", "ndjson", "--packets",
        ])
        #expect(live.waitForLine("icqscope: capturing on", onStandardError: true), "the capture started")
        let fields = try status(of: live.process.processIdentifier)
        #expect(numbers(fields["Uid"]) == [65534, 65534, 65534, 65534], "\(fields["Uid"] ?? "")")
        for set in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
            #expect(capabilities(fields[set]) == 0, "\(set): \(fields[set] ?? "missing")")
        }
        for thread in try threadStatuses(of: live.process.processIdentifier, atLeast: 2) {
            for set in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
                #expect(capabilities(thread[set]) == 0, "thread \(thread["Pid"] ?? "?") \(set): \(thread[set] ?? "missing")")
            }
        }

        try exchangeTenPackets(lab)
        let r = live.finish()
        #expect(r.status == 0, "stderr: \(r.stderr)")
        // -Z root cannot be honoured without root: said once, and the capabilities go anyway.
        #expect(r.stderr.contains("warning: -Z root: only root can change user"), "stderr: \(r.stderr)")
        #expect(r.stderr.contains("without capabilities; SIGINT"))
        #expect(packetRecords(r.stdout) == 10)
    }

    @Test func rootWithoutZIsWarned() throws {
        try NetworkLab.requireAvailable()
        try #require(geteuid() == 0)
        let lab = try NetworkLab()
        defer { lab.remove() }
        let live = try lab.spawn(in: lab.gatewayNamespace, [
            CommandRunner.executable.path, "live", "-i", lab.insideInterface, "--duration", "0.5",
        ])
        let r = live.finish()
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("icqscope: warning: running as root: -Z USER"), "stderr: \(r.stderr)")
    }
}

/// -Z's argument is checked before anything is opened: no root or namespace needed.
struct LivePrivilegeOptionTests {
    @Test func anUnknownUserIsAUsageErrorNamingIt() throws {
        let r = try CommandRunner.run(["live", "-Z", "no-such-user-icqscope", "-i", "lo"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("no such user 'no-such-user-icqscope'"), "stderr: \(r.stderr)")
    }
}
