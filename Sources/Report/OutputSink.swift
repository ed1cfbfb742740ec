#if canImport(Glibc)
import Glibc
#endif

/// Writes finished records to a file descriptor in large blocks. Records are whole lines, so a
/// reader never sees half a record, and `flush()` at the end (or on a signal) loses nothing.
public final class OutputSink {
    private let fd: Int32
    private var pending: [UInt8] = []
    private let threshold: Int
    /// The errno of the first write that failed (a full disk, a reader gone); later records are
    /// dropped, as nothing more can be said there.
    public private(set) var failure: Int32?

    /// `failure` in words.
    public var failureReason: String? { failure.map { String(cString: strerror($0)) } }

    public init(fd: Int32 = 1, threshold: Int = 1 << 16) {
        self.fd = fd
        self.threshold = threshold
        pending.reserveCapacity(threshold * 2)
    }

    public func write(_ bytes: [UInt8]) {
        pending.append(contentsOf: bytes)
        if pending.count >= threshold { flush() }
    }

    public func write(_ text: String) {
        pending.append(contentsOf: text.utf8)
        if pending.count >= threshold { flush() }
    }

    /// Writes `writer`'s record and clears it for reuse.
    public func take(_ writer: inout JSONWriter) {
        write(writer.buffer)
        writer.removeAll()
    }

    public func flush() {
        guard failure == nil else {
            pending.removeAll(keepingCapacity: true)
            return
        }
        var offset = 0
        pending.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    // The reader went away (EPIPE) or the disk is full: nothing more can be said.
                    failure = n < 0 ? errno : ENOSPC
                    break
                }
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
