#if canImport(Glibc)
import Glibc
#endif

/// `--metrics-listen HOST:PORT`: the listening socket, made and bound when the run starts, before
/// privileges are given up and before any thread exists, so that a port in use is an error at
/// once. The HTTP server (`MetricsServer`) takes it over once the process runs unprivileged.
public struct MetricsListener: Sendable {
    public let address: String
    public let descriptor: Int32

    public struct Failure: Error, Sendable {
        public let message: String
    }

    /// `127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464`, `:9464` (every IPv4 address).
    public static func parse(_ text: String) -> (host: String, port: UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        var v4 = in_addr(), v6 = in6_addr()
        guard inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 else { return nil }
        return (host, port)
    }

    public init(_ text: String) throws(Failure) {
        guard let (host, port) = Self.parse(text) else {
            throw Failure(message: "--metrics-listen '\(text)' is not an address and port (e.g. 127.0.0.1:9464, [::1]:9464)")
        }
        address = text
        var v4 = in_addr(), v6 = in6_addr()
        let isV4 = inet_pton(AF_INET, host, &v4) == 1
        if !isV4 { _ = inet_pton(AF_INET6, host, &v6) }
        let fd = socket(isV4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Self.failure(text, "cannot make a socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound: Int32
        if isV4 {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            sa.sin_addr = v4
            bound = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        } else {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = port.bigEndian
            sa.sin6_addr = v6
            bound = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        guard bound == 0 else {
            let failure = Self.failure(text, "cannot listen on \(text)")
            close(fd)
            throw failure
        }
        guard listen(fd, 64) == 0 else {
            let failure = Self.failure(text, "cannot listen on \(text)")
            close(fd)
            throw failure
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        descriptor = fd
    }

    /// The port actually bound (useful with port 0).
    public var port: UInt16 {
        var sa = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard ok == 0 else { return 0 }
        return withUnsafeBytes(of: &sa) { raw in
            // sin_port and sin6_port are both at offset 2, in network order.
            UInt16(raw[2]) << 8 | UInt16(raw[3])
        }
    }

    private static func failure(_ text: String, _ what: String) -> Failure {
        let err = errno
        return Failure(message: "\(what): \(String(cString: strerror(err)))")
    }
}
