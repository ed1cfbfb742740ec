#if canImport(Glibc)
import Glibc
#endif

public struct LabSocketError: Error, CustomStringConvertible {
    public let description: String

    init(_ what: String) {
        description = "\(what): \(String(cString: strerror(errno)))"
    }

    init(message: String) { description = message }
}

/// Thin owners of POSIX socket descriptors. Every socket is non-blocking: the event loop polls
/// them, so a peer never hangs on one.
enum Sockets {
    static func makeNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    static func bind(_ fd: Int32, _ endpoint: LabEndpoint) throws {
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sa = endpoint.sockaddr
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw LabSocketError("bind \(endpoint)") }
    }

    static func localEndpoint(_ fd: Int32) -> LabEndpoint? {
        var sa = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return rc == 0 ? LabEndpoint(sa) : nil
    }
}

/// A bound UDP socket.
public final class UDPSocket {
    public let fd: Int32
    public let local: LabEndpoint

    public init(bind endpoint: LabEndpoint) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw LabSocketError("socket(udp)") }
        do {
            try Sockets.bind(fd, endpoint)
        } catch {
            close(fd)
            throw error
        }
        Sockets.makeNonBlocking(fd)
        local = Sockets.localEndpoint(fd) ?? endpoint
    }

    deinit { close(fd) }

    /// Sends one datagram; a failure (e.g. an ICMP error reported on an earlier send) is returned
    /// as text for the log, not thrown: a real client keeps going.
    @discardableResult
    public func send(_ bytes: [UInt8], to endpoint: LabEndpoint) -> String? {
        var sa = endpoint.sockaddr
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        return sent == bytes.count ? nil : String(cString: strerror(errno))
    }

    /// Reads one datagram if one is waiting.
    public func receive() -> (bytes: [UInt8], from: LabEndpoint)? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var sa = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = buffer.withUnsafeMutableBytes { raw in
            withUnsafeMutablePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &length)
                }
            }
        }
        guard count >= 0 else { return nil }
        return (Array(buffer[0..<count]), LabEndpoint(sa))
    }
}

/// A listening TCP socket.
public final class TCPListener {
    public let fd: Int32
    public let local: LabEndpoint

    public init(bind endpoint: LabEndpoint) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LabSocketError("socket(tcp)") }
        do {
            try Sockets.bind(fd, endpoint)
            guard listen(fd, 16) == 0 else { throw LabSocketError("listen \(endpoint)") }
        } catch {
            close(fd)
            throw error
        }
        Sockets.makeNonBlocking(fd)
        local = Sockets.localEndpoint(fd) ?? endpoint
    }

    deinit { close(fd) }

    public func accept() -> (TCPStream, LabEndpoint)? {
        var sa = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let client = withUnsafeMutablePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd, $0, &length) }
        }
        guard client >= 0 else { return nil }
        Sockets.makeNonBlocking(client)
        return (TCPStream(fd: client), LabEndpoint(sa))
    }
}

/// A TCP connection, connected or connecting.
public final class TCPStream {
    public let fd: Int32
    private(set) var closed = false

    init(fd: Int32) { self.fd = fd }

    /// Starts a non-blocking connect from `local` (address only; port 0 = ephemeral) to `remote`.
    public static func connect(from local: LabEndpoint?, to remote: LabEndpoint) throws -> TCPStream {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LabSocketError("socket(tcp)") }
        let stream = TCPStream(fd: fd)
        if let local { try Sockets.bind(fd, local) }
        Sockets.makeNonBlocking(fd)
        var sa = remote.sockaddr
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 || errno == EINPROGRESS else { throw LabSocketError("connect \(remote)") }
        return stream
    }

    deinit { close() }

    public func close() {
        if closed { return }
        closed = true
        Glibc.close(fd)
    }

    /// After the socket became writable: nil when the connect succeeded, else the reason.
    public func connectError() -> String? {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error == 0 ? nil : String(cString: strerror(error))
    }

    public var localEndpoint: LabEndpoint? { Sockets.localEndpoint(fd) }

    /// Writes all of `bytes` (small handshake packets: the socket buffer takes them at once).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return sent == bytes.count
    }

    public enum ReadResult {
        case data([UInt8])
        case wouldBlock
        case closed(reason: String)
    }

    public func read() -> ReadResult {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 { return .data(Array(buffer[0..<count])) }
        if count == 0 { return .closed(reason: "closed by peer (FIN)") }
        if errno == EAGAIN || errno == EWOULDBLOCK { return .wouldBlock }
        return .closed(reason: String(cString: strerror(errno)))
    }
}
