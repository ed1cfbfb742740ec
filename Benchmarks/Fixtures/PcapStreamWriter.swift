#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SampleKit

/// Writes a classic pcap file record by record through one reused buffer, so a capture of
/// millions of packets never sits in memory. (SampleKit's `PcapBuilder` keeps the whole file in
/// an array, which is right for tests and wrong for a 100 MB fixture.)
struct PcapStreamWriter: ~Copyable {  // one owner: the FILE is closed once
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8] = []
    private static let flushThreshold = 1 << 20

    /// Opens `path` for writing and writes the file header (little-endian, microseconds, Ethernet).
    init(path: String) {
        guard let file = fopen(path, "wb") else {
            fatalError("cannot create fixture \(path): errno \(errno)")
        }
        self.file = file
        buffer.reserveCapacity(Self.flushThreshold + 65_536)
        buffer += PcapBuilder(linkType: 1, snapLength: 262_144).bytes
    }

    mutating func add(microseconds: Int64, frame: [UInt8]) {
        buffer.appendLE32(UInt32(truncatingIfNeeded: microseconds / 1_000_000))
        buffer.appendLE32(UInt32(truncatingIfNeeded: microseconds % 1_000_000))
        buffer.appendLE32(UInt32(frame.count))
        buffer.appendLE32(UInt32(frame.count))
        buffer += frame
        if buffer.count >= Self.flushThreshold { flush() }
    }

    private mutating func flush() {
        let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == buffer.count else { fatalError("short write to fixture: errno \(errno)") }
        buffer.removeAll(keepingCapacity: true)
    }

    consuming func close() {
        flush()
        guard fclose(file) == 0 else { fatalError("cannot close fixture: errno \(errno)") }
    }
}
