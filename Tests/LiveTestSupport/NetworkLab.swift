import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small gateway made of network namespaces for live-capture tests:
///
///     client ns ── veth ──  gateway ns  ── veth ── server ns
///     10.81.1.2     ci<id>  gi<id> | go<id>  so<id>  10.81.2.2
///                          10.81.1.1  10.81.2.1
///
/// The gateway forwards between its inside (`gi…`) and outside (`go…`) interfaces, so every
/// packet between client and server is seen on both, as on a real firewall. Names are unique per
/// lab (pid and a counter), and `remove()` deletes everything (tests call it with `defer`).
/// Traffic only ever goes to addresses inside these namespaces. Shared by the `Live` suites of
/// CaptureTests and CommandTests.
public final class NetworkLab: @unchecked Sendable {
    public static let clientAddress = "10.81.1.2"
    public static let gatewayInsideAddress = "10.81.1.1"
    public static let gatewayOutsideAddress = "10.81.2.1"
    public static let serverAddress = "10.81.2.2"

    public let id: String
    public let clientNamespace: String
    public let gatewayNamespace: String
    public let serverNamespace: String
    public let insideInterface: String
    public let outsideInterface: String
    private var removed = false

    private static let counter = Counter()

    public init() throws {
        let n = NetworkLab.counter.next()
        id = "\(getpid() % 10_000)n\(n)"
        clientNamespace = "icqc\(id)"
        gatewayNamespace = "icqg\(id)"
        serverNamespace = "icqs\(id)"
        insideInterface = "gi\(id)"
        outsideInterface = "go\(id)"
        do {
            try build()
        } catch {
            remove()
            throw error
        }
    }

    deinit { remove() }

    private func build() throws {
        let client = clientNamespace, gateway = gatewayNamespace, server = serverNamespace
        for ns in [client, gateway, server] {
            try Shell.run("ip", "netns", "add", ns)
            // No IPv6 chatter (router solicitations, MLD) in the captures: only our traffic.
            try Shell.run("ip", "netns", "exec", ns, "sysctl", "-q", "-w",
                          "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
            try Shell.run("ip", "-n", ns, "link", "set", "lo", "up")
        }
        try Shell.run("ip", "link", "add", insideInterface, "netns", gateway, "type", "veth",
                      "peer", "name", "ci\(id)", "netns", client)
        try Shell.run("ip", "link", "add", outsideInterface, "netns", gateway, "type", "veth",
                      "peer", "name", "so\(id)", "netns", server)
        try Shell.run("ip", "-n", client, "addr", "add", "\(Self.clientAddress)/24", "dev", "ci\(id)")
        try Shell.run("ip", "-n", client, "link", "set", "ci\(id)", "up")
        try Shell.run("ip", "-n", client, "route", "add", "default", "via", Self.gatewayInsideAddress)
        try Shell.run("ip", "-n", server, "addr", "add", "\(Self.serverAddress)/24", "dev", "so\(id)")
        try Shell.run("ip", "-n", server, "link", "set", "so\(id)", "up")
        try Shell.run("ip", "-n", server, "route", "add", "default", "via", Self.gatewayOutsideAddress)
        try Shell.run("ip", "-n", gateway, "addr", "add", "\(Self.gatewayInsideAddress)/24", "dev", insideInterface)
        try Shell.run("ip", "-n", gateway, "addr", "add", "\(Self.gatewayOutsideAddress)/24", "dev", outsideInterface)
        try Shell.run("ip", "-n", gateway, "link", "set", insideInterface, "up")
        try Shell.run("ip", "-n", gateway, "link", "set", outsideInterface, "up")
        try Shell.run("ip", "netns", "exec", gateway, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
    }

    /// Deletes the interfaces and namespaces; safe to call twice.
    public func remove() {
        if removed { return }
        removed = true
        _ = try? Shell.run("ip", "-n", gatewayNamespace, "link", "del", insideInterface)
        _ = try? Shell.run("ip", "-n", gatewayNamespace, "link", "del", outsideInterface)
        for ns in [clientNamespace, gatewayNamespace, serverNamespace] {
            _ = try? Shell.run("ip", "netns", "del", ns)
        }
    }

    /// Runs `body` on this thread inside the gateway namespace. Sockets opened there (libpcap's
    /// among them) stay in it after the thread returns to its own namespace.
    public func inGateway<T: ~Copyable>(_ body: () throws -> T) throws -> T {
        try NetworkLab.inNamespace(gatewayNamespace, body)
    }

    public static func inNamespace<T: ~Copyable>(_ ns: String, _ body: () throws -> T) throws -> T {
        let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        let target = open("/var/run/netns/\(ns)", O_RDONLY | O_CLOEXEC)
        defer { close(original); close(target) }
        let newNet: Int32 = 0x4000_0000  // CLONE_NEWNET
        guard original >= 0, target >= 0, let setns = NetworkLab.setns, setns(target, newNet) == 0 else {
            throw LabError.failed("cannot enter network namespace \(ns): \(String(cString: strerror(errno)))")
        }
        defer {
            // Returning must not fail: the thread would stay in the lab's namespace.
            precondition(NetworkLab.setns!(original, newNet) == 0, "cannot return to the original network namespace")
        }
        return try body()
    }

    /// glibc's setns(2), which the Glibc module does not export (it is a _GNU_SOURCE function).
    private static let setns: (@convention(c) (Int32, Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "setns") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()

    /// Starts a command inside one of the lab's namespaces.
    public func spawn(in ns: String, _ arguments: [String]) throws -> Spawned {
        try Spawned(["ip", "netns", "exec", ns] + arguments)
    }

    /// Whether this machine lets us create namespaces and veth pairs (root, or the capabilities).
    public static let availability: (ok: Bool, message: String) = {
        // Unique per process (test processes may probe at once).
        let probe = "icqprobe\(getpid())x\(UInt32.random(in: 0..<1_000_000))"
        do {
            try Shell.run("ip", "netns", "add", probe)
            defer { _ = try? Shell.run("ip", "netns", "del", probe) }
            try Shell.run("ip", "-n", probe, "link", "add", "pa0", "type", "veth", "peer", "name", "pa1")
            return (true, "")
        } catch {
            return (false, "this machine cannot create network namespaces and veth pairs (\(error)); live-capture tests need root or CAP_NET_ADMIN+CAP_SYS_ADMIN+CAP_NET_RAW")
        }
    }()

    /// Tests run where namespaces work; where they do not, they run anyway under CI (and fail with
    /// the reason) and are skipped with the reason elsewhere.
    public static var shouldRun: Bool {
        availability.ok || ProcessInfo.processInfo.environment["CI"] != nil
    }

    public static func requireAvailable() throws {
        if !availability.ok { throw LabError.failed(availability.message) }
    }
}

public enum LabError: Error, CustomStringConvertible {
    case failed(String)
    public var description: String {
        switch self { case .failed(let m): m }
    }
}

final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next() -> Int { lock.withLock { value += 1; return value } }
}

/// Runs a command to completion, throwing with its stderr when it fails.
public enum Shell {
    @discardableResult
    public static func run(_ arguments: String...) throws -> String {
        try run(arguments)
    }

    @discardableResult
    public static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw LabError.failed("\(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// A process started in the background, with its stdout readable line by line.
public final class Spawned: @unchecked Sendable {
    public let process = Process()
    private let out = Pipe()
    private let err = Pipe()

    public init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        try process.run()
    }

    /// Reads stdout (or stderr) until a line equal to (or, on stderr, starting with) `line`, or
    /// the end of output. What was read is kept for `finish`.
    public func waitForLine(_ line: String, onStandardError: Bool = false, prefix: Bool = false) -> Bool {
        let handle = (onStandardError ? err : out).fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { return false }
            if onStandardError { stderrSeen.append(chunk) } else { stdoutSeen.append(chunk) }
            let text = String(decoding: onStandardError ? stderrSeen : stdoutSeen, as: UTF8.self)
            // A terminal (`script`) ends lines with "\r\n", one Character in Swift: split on both.
            let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            if lines.contains(where: { onStandardError || prefix ? $0.hasPrefix(line) : $0 == line }) { return true }
        }
    }

    private var stdoutSeen = Data()
    private var stderrSeen = Data()

    /// Waits for the end; returns status, stdout and stderr.
    public func finish() -> (status: Int32, stdout: String, stderr: String) {
        // stderr is read on another thread so that neither pipe can fill up and block the child.
        let errors = ReadInBackground(err.fileHandleForReading)
        let o = stdoutSeen + out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: stderrSeen + errors.wait(), as: UTF8.self))
    }

    public func terminate() { if process.isRunning { process.terminate() } }

    /// Sends a signal (e.g. SIGINT) to the process.
    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }
}

/// Reads a file handle to its end on a thread of its own; `wait()` returns what it read. The hand
/// over is under a lock, so that the thread sanitizer (scripts/sanitize-threads.sh) sees it.
public final class ReadInBackground: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Data? = nil

    public init(_ handle: FileHandle) {
        Thread { [self] in
            let data = handle.readDataToEndOfFile()
            lock.withLock { result = data }
        }.start()
    }

    public func wait() -> Data {
        while true {
            if let data = lock.withLock({ result }) { return data }
            usleep(1000)
        }
    }
}

/// Python snippets for real UDP and TCP traffic across the lab.
public enum Traffic {
    /// Receives `count` datagrams on UDP `port` and echoes each; prints "ready" once bound.
    public static func udpEchoServer(port: Int, count: Int) -> [String] {
        ["python3", "-c", """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("\(NetworkLab.serverAddress)", \(port)))
        print("ready", flush=True)
        s.settimeout(10)
        for i in range(\(count)):
            data, peer = s.recvfrom(2048)
            s.sendto(b"reply:" + data, peer)
        """]
    }

    /// Sends `count` datagrams (payload "packet N") to the server and waits for each reply.
    public static func udpClient(port: Int, count: Int) -> [String] {
        ["python3", "-c", """
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("\(NetworkLab.clientAddress)", 40000))
        s.settimeout(5)
        for i in range(\(count)):
            s.sendto(b"packet %d" % i, ("\(NetworkLab.serverAddress)", \(port)))
            s.recvfrom(2048)
        print("done", flush=True)
        """]
    }

    /// Accepts one TCP connection on `port`, reads to the end, answers "ok", closes.
    public static func tcpServer(port: Int) -> [String] {
        ["python3", "-c", """
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("\(NetworkLab.serverAddress)", \(port)))
        s.listen(1)
        print("ready", flush=True)
        s.settimeout(10)
        c, _ = s.accept()
        data = b""
        while True:
            chunk = c.recv(65536)
            if not chunk: break
            data += chunk
        c.sendall(b"ok %d" % len(data))
        c.close()
        """]
    }

    /// Connects, sends `bytes` bytes, half-closes, reads the answer.
    public static func tcpClient(port: Int, bytes: Int) -> [String] {
        ["python3", "-c", """
        import socket
        c = socket.create_connection(("\(NetworkLab.serverAddress)", \(port)), timeout=5)
        c.sendall(b"x" * \(bytes))
        c.shutdown(socket.SHUT_WR)
        print(c.recv(100).decode(), flush=True)
        c.close()
        """]
    }

    /// Sends `count` datagrams to a port nobody listens on, as fast as it can, without waiting.
    /// `numbered`: each payload starts with the datagram's number (4 bytes, big-endian), to
    /// tell datagrams apart (their IP ids are all 0: an unconnected socket's DF datagrams).
    public static func udpBurst(port: Int, count: Int, size: Int = 64, numbered: Bool = false) -> [String] {
        ["python3", "-c", """
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        payload = b"z" * \(size)
        for i in range(\(count)):
            data = i.to_bytes(4, "big") + payload[4:] if \(numbered ? "True" : "False") else payload
            try:
                s.sendto(data, ("\(NetworkLab.serverAddress)", \(port)))
            except OSError:
                pass
        print("done", flush=True)
        """]
    }
}
