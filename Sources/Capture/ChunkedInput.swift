import Bytes

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file descriptor in large chunks into one buffer and lends out windows of it.
///
/// The walkers ask for "at least N bytes from here"; the buffer is refilled (moving the unread
/// tail to the front) only when a record crosses its end. A window handed out stays valid until
/// the next `require` call. Works on pipes as well as files, so standard input is just fd 0.
public struct ChunkedInput: ~Copyable {
    private var storage: UnsafeMutableRawBufferPointer
    /// Valid bytes are storage[start..<end].
    private var start = 0
    private var end = 0
    private let fd: Int32
    private let ownsDescriptor: Bool
    public private(set) var reachedEOF = false
    /// File offset of storage[start].
    public private(set) var offset: Int64 = 0
    /// The largest window one request may ask for.
    public let maximumWindow: Int

    public static let defaultChunkSize = 1 << 20

    public init(fd: Int32, ownsDescriptor: Bool, chunkSize: Int = ChunkedInput.defaultChunkSize,
                maximumWindow: Int = 64 << 20) {
        self.fd = fd
        self.ownsDescriptor = ownsDescriptor
        self.maximumWindow = maximumWindow
        storage = .allocate(byteCount: max(chunkSize, 4096), alignment: 16)
    }

    deinit {
        storage.deallocate()
        if ownsDescriptor { _ = close(fd) }
    }

    /// Bytes buffered and not yet consumed.
    public var available: Int { end - start }

    /// Makes at least `count` bytes available from the current position, reading as needed.
    /// Returns false at end of input (fewer bytes remain) or on a read error (`readError` set).
    @inline(__always)
    public mutating func require(_ count: Int) -> Bool {
        // Almost every call is answered from the buffer: keep that test inline in the walkers'
        // per-record loop and the refill out of line.
        if end - start >= count { return true }
        return refill(toHold: count)
    }

    @inline(never)
    private mutating func refill(toHold count: Int) -> Bool {
        guard count <= maximumWindow else { return false }
        if count > storage.count {
            // One block larger than the buffer: grow once, keep the unread bytes.
            var newSize = storage.count
            while newSize < count { newSize *= 2 }
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: newSize, alignment: 16)
            if end > start {
                bigger.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: end - start)
            }
            storage.deallocate()
            storage = bigger
            end -= start
            start = 0
        } else if start + count > storage.count {
            // Move the partial record to the front so the refill can complete it.
            if end > start {
                memmove(storage.baseAddress!, storage.baseAddress! + start, end - start)
            }
            end -= start
            start = 0
        }
        while end - start < count {
            if reachedEOF { return false }
            let n = read(fd, storage.baseAddress! + end, storage.count - end)
            if n > 0 {
                end += n
            } else if n == 0 {
                reachedEOF = true
            } else if errno == EINTR {
                continue
            } else {
                readError = errno
                reachedEOF = true
            }
        }
        return true
    }

    /// The errno of a failed read, if one failed.
    public private(set) var readError: Int32?

    /// A window of `count` bytes starting `skip` bytes past the current position.
    /// The caller must have called `require(skip + count)` successfully.
    @inlinable
    public func window(skip: Int = 0, count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: baseAddress + skip, count: count)
    }

    @usableFromInline
    var baseAddress: UnsafeRawPointer { UnsafeRawPointer(storage.baseAddress!) + start }

    /// Marks `count` bytes as consumed.
    public mutating func consume(_ count: Int) {
        start += count
        offset += Int64(count)
    }

    /// Consumes everything still buffered and reports how many bytes that was.
    public mutating func consumeAll() -> Int {
        let n = end - start
        consume(n)
        return n
    }
}

public enum InputOpener {
    /// Opens a path, or standard input for "-".
    public static func open(_ path: String) throws(CaptureError) -> ChunkedInput {
        if path == "-" { return ChunkedInput(fd: 0, ownsDescriptor: false) }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let reason = String(cString: strerror(errno))
            throw CaptureError(file: path, reason: .cannotOpen, message: "cannot open: \(reason)")
        }
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            _ = close(fd)
            throw CaptureError(file: path, reason: .cannotOpen, message: "cannot open: is a directory")
        }
        return ChunkedInput(fd: fd, ownsDescriptor: true)
    }
}
