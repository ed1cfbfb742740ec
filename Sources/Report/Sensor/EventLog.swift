import Capture
#if canImport(Glibc)
import Glibc
#endif

/// `--events FILE`: the NDJSON records a log pipeline ingests (findings, sessions, requirements,
/// stats, errors, the summary), appended to a file, one `write` per record so that a reader never
/// waits for a buffer and never sees half a record. After SIGHUP (logrotate moved the file away)
/// the path is opened again, created if missing, at the next record or tick.
public final class EventLog {
    public let path: String
    private var descriptor: Int32
    private var seenGeneration: UInt64
    /// The first failure not yet reported; later ones are not reported again until a write succeeds.
    private var pendingFailure: CaptureError?
    private var failing = false

    /// Opens (creates, appends to) `path`.
    public init(path: String) throws(CaptureError) {
        self.path = path
        seenGeneration = ReopenSignal.generation
        descriptor = -1
        descriptor = try Self.open(path)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    private static func open(_ path: String) throws(CaptureError) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            let err = errno
            throw CaptureError(file: path, reason: .cannotOpen,
                               message: "cannot open the events file: \(String(cString: strerror(err)))", isFatal: false)
        }
        return fd
    }

    /// Reopens the path if SIGHUP came since the last look.
    public func reopenIfSignalled() {
        let generation = ReopenSignal.generation
        guard generation != seenGeneration else { return }
        seenGeneration = generation
        reopen()
    }

    /// Closes the file and opens the path again (a new file when the old one was moved away).
    public func reopen() {
        do {
            let fd = try Self.open(path)
            if descriptor >= 0 { close(descriptor) }
            descriptor = fd
        } catch {
            fail(error)
        }
    }

    /// Appends one whole record.
    public func write(_ record: [UInt8]) {
        reopenIfSignalled()
        guard descriptor >= 0 else { return }
        var offset = 0
        let complete: Bool = record.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
        if complete {
            failing = false
        } else {
            let err = errno
            fail(CaptureError(file: path, reason: .writeFailed,
                              message: "writing the events file failed: \(String(cString: strerror(err)))", isFatal: false))
        }
    }

    private func fail(_ error: CaptureError) {
        guard !failing else { return }
        failing = true
        pendingFailure = error
    }

    /// A failure to report (once per run of failures), then nil.
    public func takeFailure() -> CaptureError? {
        defer { pendingFailure = nil }
        return pendingFailure
    }
}
