#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Capture

/// Writes a whole file at the end of a run (the HTML page): created or truncated, written, and
/// closed, with one error naming the file when any step fails.
enum OutputFile {
    static func write(_ text: String, to path: String, what: String) throws(CaptureError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(path, "cannot create the \(what)") }
        var bytes = Array(text.utf8)
        var offset = 0
        var failed: CaptureError? = nil
        bytes.withUnsafeMutableBytes { raw in
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    if n == 0 { errno = ENOSPC }
                    failed = failure(path, "writing the \(what) failed")
                    return
                }
            }
        }
        if let failed {
            close(fd)
            throw failed
        }
        if close(fd) != 0 { throw failure(path, "closing the \(what) failed") }
    }

    private static func failure(_ path: String, _ message: String) -> CaptureError {
        CaptureError(file: path, reason: .writeFailed, message: "\(message): \(String(cString: strerror(errno)))", isFatal: false)
    }
}
