import Report
#if canImport(Glibc)
import Glibc
#endif

/// `--metrics-file PATH`: the metrics for node_exporter's textfile collector, replaced whole each
/// time (written to a temporary file beside it, then renamed over it), so that the collector
/// never reads a half-written file.
public struct MetricsFile: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// The temporary file: same folder (rename is atomic only within a file system), a name the
    /// textfile collector ignores (it reads `*.prom` only).
    var temporaryPath: String { path + ".tmp" }

    public func write(_ snapshot: MetricsSnapshot) throws(Failure) {
        try write(bytes: PrometheusExposition.render(snapshot))
    }

    public func write(bytes: [UInt8]) throws(Failure) {
        let temporary = temporaryPath
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create \(temporary)") }
        var offset = 0
        let written: Bool = bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
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
        if !written {
            let failure = failure("writing \(temporary) failed")
            close(fd)
            unlink(temporary)
            throw failure
        }
        if close(fd) != 0 {
            let failure = failure("closing \(temporary) failed")
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            let failure = failure("cannot rename \(temporary) to \(path)")
            unlink(temporary)
            throw failure
        }
    }

    /// Whether the folder can take the file (and its temporary), for a check at start.
    public func checkWritable() throws(Failure) {
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        if access(folder.isEmpty ? "/" : folder, W_OK | X_OK) != 0 {
            throw failure("the metrics file's folder \(folder.isEmpty ? "/" : folder) is not writable")
        }
    }

    private func failure(_ what: String) -> Failure {
        let err = errno
        return Failure(message: "\(path): \(what): \(String(cString: strerror(err)))")
    }
}
