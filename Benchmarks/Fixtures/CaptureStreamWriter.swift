#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SampleKit

/// The file formats a fixture can be written in. Both little-endian, microsecond timestamps,
/// Ethernet, as tcpdump (pcap) and dumpcap/Wireshark (pcapng) write them by default.
public enum CaptureFormat: String, Sendable {
    case pcap, pcapng
}

/// Writes a capture file record by record through one reused buffer, so a capture of millions of
/// packets never sits in memory. (SampleKit's builders keep the whole file in an array, which is
/// right for tests and wrong for a 100 MB fixture; their headers are reused here.)
struct CaptureStreamWriter: ~Copyable {  // one owner: the FILE is closed once
    private let file: UnsafeMutablePointer<FILE>
    private let format: CaptureFormat
    private var buffer: [UInt8] = []
    private static let flushThreshold = 1 << 20

    /// Opens `path` for writing and writes the file header: pcap's, or pcapng's section header
    /// and one Ethernet interface.
    init(path: String, format: CaptureFormat) {
        guard let file = fopen(path, "wb") else {
            fatalError("cannot create fixture \(path): errno \(errno)")
        }
        self.file = file
        self.format = format
        buffer.reserveCapacity(Self.flushThreshold + 65_536)
        switch format {
        case .pcap:
            buffer += PcapBuilder(linkType: 1, snapLength: 262_144).bytes
        case .pcapng:
            var header = PcapngBuilder(bigEndian: false)
            header.interface(linkType: 1, snapLength: 262_144, name: "eth0")
            buffer += header.bytes
        }
    }

    mutating func add(microseconds: Int64, frame: [UInt8]) {
        switch format {
        case .pcap:
            buffer.appendLE32(UInt32(truncatingIfNeeded: microseconds / 1_000_000))
            buffer.appendLE32(UInt32(truncatingIfNeeded: microseconds % 1_000_000))
            buffer.appendLE32(UInt32(frame.count))
            buffer.appendLE32(UInt32(frame.count))
            buffer += frame
        case .pcapng:
            // Enhanced packet block: type, length, interface, timestamp high and low (in the
            // interface's default microseconds), lengths, padded data, length again.
            let padding = (4 - frame.count % 4) % 4
            let total = UInt32(32 + frame.count + padding)
            buffer.appendLE32(6)
            buffer.appendLE32(total)
            buffer.appendLE32(0)
            buffer.appendLE32(UInt32(truncatingIfNeeded: UInt64(microseconds) >> 32))
            buffer.appendLE32(UInt32(truncatingIfNeeded: UInt64(microseconds)))
            buffer.appendLE32(UInt32(frame.count))
            buffer.appendLE32(UInt32(frame.count))
            buffer += frame
            buffer.append(contentsOf: repeatElement(0, count: padding))
            buffer.appendLE32(total)
        }
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
