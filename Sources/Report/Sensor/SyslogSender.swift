import Capture
import Diagnosis
#if canImport(Glibc)
import Glibc
#endif

/// `--syslog`: each finding as an RFC 5424 message (`SyslogMessage`) in one datagram to the local
/// syslog socket (`/dev/log`, which journald or rsyslog serve). The socket is connected when the
/// run starts, before privileges are given up; when the daemon restarts, the next message
/// connects again. A message that cannot be delivered is reported once (exit status 74).
public final class SyslogSender {
    public let socketPath: String
    public let facility: Int
    private var descriptor: Int32 = -1
    private let hostname: String
    private var failing = false
    private var pendingFailure: CaptureError?

    public static let defaultSocket = "/dev/log"

    public init(socketPath: String = SyslogSender.defaultSocket, facility: Int = 3) throws(CaptureError) {
        self.socketPath = socketPath
        self.facility = facility
        var name = [CChar](repeating: 0, count: 256)
        hostname = gethostname(&name, name.count - 1) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "-"
        if let err = connectSocket() {
            throw CaptureError(file: socketPath, reason: .cannotOpen,
                               message: "cannot reach the syslog socket: \(String(cString: strerror(err)))", isFatal: false)
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Connects a datagram socket to `socketPath`; the errno on failure.
    private func connectSocket() -> Int32? {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return errno }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            return ENAMETOOLONG
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.enumerated() { raw[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let err = errno
            close(fd)
            return err
        }
        descriptor = fd
        return nil
    }

    /// Sends one finding, stamped with the wall clock now.
    public func send(_ finding: Finding) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let message = SyslogMessage.format(finding, facility: facility, hostname: hostname, processID: getpid(),
                                           timestampNanos: Int64(now.tv_sec) &* 1_000_000_000 &+ Int64(now.tv_nsec))
        // Once on the connected socket; again on a new one if the daemon went away meanwhile.
        var err = transmit(message)
        if err != nil, connectSocket() == nil { err = transmit(message) }
        if let err {
            if !failing {
                failing = true
                pendingFailure = CaptureError(file: socketPath, reason: .writeFailed,
                                              message: "sending a finding to syslog failed: \(String(cString: strerror(err)))",
                                              isFatal: false)
            }
        } else {
            failing = false
        }
    }

    private func transmit(_ message: [UInt8]) -> Int32? {
        guard descriptor >= 0 else { return ENOTCONN }
        while true {
            let n = message.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
            if n >= 0 { return nil }
            if errno == EINTR { continue }
            return errno
        }
    }

    /// A failure to report (once per run of failures), then nil.
    public func takeFailure() -> CaptureError? {
        defer { pendingFailure = nil }
        return pendingFailure
    }
}
