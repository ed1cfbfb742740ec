#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A classic pcap file (Ethernet, nanosecond timestamps) written as its packets are made,
/// through a 1 MiB buffer: a capture of millions of packets needs no more memory than one of ten.
public final class PcapFileStream {
    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    public let path: String
    public private(set) var packets = 0
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8] = []
    private var closed = false

    public init(path: String) throws {
        guard let file = fopen(path, "wb") else {
            throw WriteError(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.file = file
        buffer.reserveCapacity(1 << 20 + 70_000)
        buffer += PcapBuilder(linkType: 1, snapLength: 262_144, nanosecond: true).bytes
    }

    deinit { if !closed { fclose(file) } }

    public func add(_ time: Int64, _ frame: [UInt8]) throws {
        buffer.appendLE32(UInt32(truncatingIfNeeded: time / 1_000_000_000))
        buffer.appendLE32(UInt32(truncatingIfNeeded: time % 1_000_000_000))
        buffer.appendLE32(UInt32(frame.count))
        buffer.appendLE32(UInt32(frame.count))
        buffer += frame
        packets += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Writes what is buffered and closes the file.
    public func finish() throws {
        try flush()
        closed = true
        guard fclose(file) == 0 else {
            throw WriteError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    private func flush() throws {
        let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == buffer.count else {
            throw WriteError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
