#if canImport(Glibc)
import Glibc
#endif
import Capture

/// One unlinked temporary file per process (on tmpfs when /dev/shm exists), rewritten with each
/// input, so the capture reader reads the input through a real descriptor, as it reads a file.
final class MemoryFile: @unchecked Sendable {
    static let shared = MemoryFile()
    private let fd: Int32

    private init() {
        var template = Array((access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp").utf8CString.dropLast())
        template += Array("/icqscope-fuzz-XXXXXX".utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        precondition(fd >= 0, "cannot create a temporary file for the fuzz input")
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    }

    /// The input as a capture source: the file holds exactly `bytes`, read from its start.
    /// A small chunk size makes records cross the reader's buffer often.
    func input(_ bytes: UnsafeRawBufferPointer) -> ChunkedInput {
        _ = ftruncate(fd, 0)
        var written = 0
        while written < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + written, bytes.count - written, off_t(written))
            precondition(n > 0, "cannot write the fuzz input to the temporary file")
            written += n
        }
        _ = lseek(fd, 0, SEEK_SET)
        return ChunkedInput(fd: fd, ownsDescriptor: false, chunkSize: 4096)
    }
}
