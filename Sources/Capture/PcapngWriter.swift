#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Records packets as a pcapng file: a section header, an interface description per interface
/// (name, link type, snap length, nanosecond timestamps), an enhanced packet block per packet, and
/// at `finish` an interface statistics block per interface with its drop counters.
///
/// Blocks are assembled in one buffer allocated at open and written with large `write`s, so
/// recording allocates nothing per packet. The file is valid pcapng after every `flush()` (only
/// whole blocks are ever written), so a reader sees every packet up to the last flush even while
/// the capture runs; `finish` adds the statistics and closes it. Written little-endian.
/// A class because it owns the descriptor: dropped unfinished, it still writes what it holds.
public final class PcapngWriter {
    public let path: String
    private let descriptor: Int32
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var used = 0
    /// Interfaces described so far, in pcapng interface-id order.
    public private(set) var interfaceCount = 0
    public private(set) var packetsWritten: UInt64 = 0
    private var closed = false
    /// Bytes handed to the file so far; `size` adds what waits in the buffer.
    private var flushedBytes: Int64 = 0

    /// The file's size once everything assembled so far is written.
    public var size: Int64 { flushedBytes + Int64(used) }

    /// The size of the enhanced packet block `packet` takes.
    public static func blockSize(of packet: CapturedPacket) -> Int { 28 + padded(packet.bytes.count) + 4 }

    /// The most an interface statistics block `finish` writes takes.
    public static let statisticsBlockSize = 8 + 12 + 7 * 12 + 4 + 4

    /// Hands the file to another user (before `live -Z` gives up root, for a ring whose files that
    /// user will overwrite).
    public func changeOwner(uid: UInt32, gid: UInt32) -> Bool {
        fchown(descriptor, uid, gid) == 0
    }

    public static let defaultBufferSize = 1 << 20

    /// Creates (or truncates) `path` and writes the section header.
    public init(path: String, bufferSize: Int = PcapngWriter.defaultBufferSize,
                application: String = "icqscope") throws(CaptureError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let err = errno
            throw CaptureError(file: path, reason: .cannotOpen,
                               message: "cannot create the pcapng file: \(String(cString: strerror(err)))")
        }
        self.path = path
        descriptor = fd
        capacity = max(bufferSize, 4096)
        buffer = .allocate(byteCount: capacity, alignment: 8)
        writeSectionHeader(application: application)
    }

    deinit {
        // Not finished (an error on the way out): keep what was recorded, as whole blocks.
        if !closed {
            _ = try? Self.writeAll(descriptor, buffer, used, path: path)
            close(descriptor)
        }
        buffer.deallocate()
    }

    /// Describes one more interface; returns its pcapng interface id. Packets name interfaces by
    /// this id, so add them in the order of the source's `interfaces`.
    @discardableResult
    public func addInterface(_ interface: CaptureInterface) -> Int {
        let name = Array((interface.name ?? "").utf8)
        let description = Array((interface.description ?? "").utf8)
        var optionsLength = 4 + 4 + 4  // if_tsresol (padded) + opt_endofopt
        if !name.isEmpty { optionsLength += 4 + Self.padded(name.count) }
        if !description.isEmpty { optionsLength += 4 + Self.padded(description.count) }
        let total = 8 + 8 + optionsLength + 4
        reserve(total)
        beginBlock(type: 1, length: total)
        put16(UInt16(truncatingIfNeeded: interface.linkType.rawValue))
        put16(0)
        put32(interface.snapLength)
        if !name.isEmpty { putOption(2, name) }
        if !description.isEmpty { putOption(3, description) }
        putOption(9, [9])  // if_tsresol: 10^-9, our timestamps are nanoseconds
        put32(0)  // opt_endofopt
        put32(UInt32(total))
        interfaceCount += 1
        return interfaceCount - 1
    }

    /// Records one packet: its bytes as captured, its lengths, its timestamp to the nanosecond,
    /// on its interface (`packet.interfaceIndex`, which must have been added).
    public func write(_ packet: CapturedPacket) throws(CaptureError) {
        precondition(packet.interfaceIndex < interfaceCount, "packet names an interface not yet described")
        let captured = packet.bytes.count
        let total = 28 + Self.padded(captured) + 4
        if used + total > capacity { try flushBuffer() }
        reserve(total)
        beginBlock(type: 6, length: total)
        put32(UInt32(truncatingIfNeeded: packet.interfaceIndex))
        let units = UInt64(bitPattern: packet.timestampNanos)
        put32(UInt32(truncatingIfNeeded: units >> 32))
        put32(UInt32(truncatingIfNeeded: units))
        put32(UInt32(truncatingIfNeeded: captured))
        put32(UInt32(truncatingIfNeeded: packet.originalLength))
        putBytes(packet.bytes)
        put32(UInt32(total))
        packetsWritten += 1
    }

    /// Records one packet on interface `interfaceID` (which must have been added), with a packet
    /// comment (`opt_comment`) for each of `comments`: Wireshark shows them with the packet.
    public func write(_ packet: CapturedPacket, interfaceID: Int, comments: [String]) throws(CaptureError) {
        precondition(interfaceID < interfaceCount, "packet names an interface not yet described")
        let texts = comments.map { Array($0.utf8.prefix(65_000)) }
        let captured = packet.bytes.count
        let optionsLength = texts.isEmpty ? 0 : texts.reduce(4) { $0 + 4 + Self.padded($1.count) }
        let total = 28 + Self.padded(captured) + optionsLength + 4
        if used + total > capacity { try flushBuffer() }
        reserve(total)
        beginBlock(type: 6, length: total)
        put32(UInt32(truncatingIfNeeded: interfaceID))
        let units = UInt64(bitPattern: packet.timestampNanos)
        put32(UInt32(truncatingIfNeeded: units >> 32))
        put32(UInt32(truncatingIfNeeded: units))
        put32(UInt32(truncatingIfNeeded: captured))
        put32(UInt32(truncatingIfNeeded: packet.originalLength))
        putBytes(packet.bytes)
        for text in texts { putOption(1, text) }  // opt_comment
        if !texts.isEmpty { put32(0) }  // opt_endofopt
        put32(UInt32(total))
        packetsWritten += 1
    }

    /// Records a packet from a source whose interfaces may still grow (pcapng files declare them
    /// as they go): describes any interface up to the packet's first.
    public func write(_ packet: CapturedPacket, interfaces: [CaptureInterface]) throws(CaptureError) {
        while interfaceCount <= packet.interfaceIndex && interfaceCount < interfaces.count {
            addInterface(interfaces[interfaceCount])
        }
        try write(packet)
    }

    /// Writes out every whole block assembled so far.
    public func flush() throws(CaptureError) {
        try flushBuffer()
    }

    /// Appends an interface statistics block per interface (nil entries are skipped), stamped
    /// `timestampNanos`, then flushes and closes the file.
    public func finish(statistics: [InterfaceStatistics?], timestampNanos: Int64,
                                startNanos: Int64? = nil) throws(CaptureError) {
        guard !closed else { return }
        for (id, stats) in statistics.enumerated() where id < interfaceCount {
            guard let stats else { continue }
            writeStatistics(interfaceID: id, stats, timestampNanos: timestampNanos, startNanos: startNanos)
        }
        try flushBuffer()
        closed = true
        // A file removed (or replaced) while recording takes its packets with it, though every
        // write succeeded: say so rather than report a recording nobody can read. A path the
        // process may no longer look up (live -Z gave up root after opening it) proves nothing.
        var open = stat(), named = stat()
        let found = stat(path, &named) == 0
        let lookupError = found ? 0 : errno
        let vanished = fstat(descriptor, &open) == 0
            && (found ? named.st_ino != open.st_ino || named.st_dev != open.st_dev
                      : lookupError == ENOENT || lookupError == ENOTDIR)
            && (open.st_mode & S_IFMT) == S_IFREG
        if close(descriptor) != 0 {
            let err = errno
            throw CaptureError(file: path, reason: .writeFailed,
                               message: "closing the pcapng file failed: \(String(cString: strerror(err)))")
        }
        if vanished {
            throw CaptureError(file: path, reason: .writeFailed,
                               message: "the pcapng file was removed or replaced while recording; its packets are lost")
        }
    }

    private func writeStatistics(interfaceID: Int, _ stats: InterfaceStatistics,
                                          timestampNanos: Int64, startNanos: Int64?) {
        var counters: [(UInt16, UInt64)] = []
        if let startNanos { counters.append((2, UInt64(bitPattern: startNanos))) }  // isb_starttime
        counters.append((3, UInt64(bitPattern: timestampNanos)))  // isb_endtime
        if let v = stats.received { counters.append((4, v)) }  // isb_ifrecv
        if let v = stats.interfaceDropped { counters.append((5, v)) }  // isb_ifdrop
        if let v = stats.filterAccepted { counters.append((6, v)) }  // isb_filteraccept
        if let v = stats.osDropped { counters.append((7, v)) }  // isb_osdrop
        if let v = stats.delivered { counters.append((8, v)) }  // isb_usrdeliv
        let total = 8 + 12 + counters.count * 12 + 4 + 4
        reserve(total)
        beginBlock(type: 5, length: total)
        put32(UInt32(interfaceID))
        let units = UInt64(bitPattern: timestampNanos)
        put32(UInt32(truncatingIfNeeded: units >> 32))
        put32(UInt32(truncatingIfNeeded: units))
        for (code, value) in counters {
            // Timestamps (start/end) are split high/low like block timestamps; counters are u64.
            put16(code)
            put16(8)
            if code == 2 || code == 3 {
                put32(UInt32(truncatingIfNeeded: value >> 32))
                put32(UInt32(truncatingIfNeeded: value))
            } else {
                put64(value)
            }
        }
        put32(0)
        put32(UInt32(total))
    }

    private func writeSectionHeader(application: String) {
        let app = Array(application.utf8)
        let total = 8 + 16 + 4 + Self.padded(app.count) + 4 + 4
        reserve(total)
        beginBlock(type: 0x0A0D_0D0A, length: total)
        put32(0x1A2B_3C4D)  // byte-order magic
        put16(1)  // version 1.0
        put16(0)
        put64(UInt64.max)  // section length unknown
        putOption(4, app)  // shb_userappl
        put32(0)
        put32(UInt32(total))
    }

    // MARK: buffer

    private static func padded(_ n: Int) -> Int { (n + 3) & ~3 }

    /// Makes room for a block of `count` bytes: flushing is the caller's choice (whole blocks);
    /// this only grows the buffer, once, for a block larger than it.
    private func reserve(_ count: Int) {
        guard used + count > capacity else { return }
        let newCapacity = max(capacity * 2, used + count)
        let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
        grown.copyMemory(from: buffer, byteCount: used)
        buffer.deallocate()
        buffer = grown
        capacity = newCapacity
    }

    private func flushBuffer() throws(CaptureError) {
        let count = used
        used = 0
        flushedBytes += Int64(count)
        try Self.writeAll(descriptor, buffer, count, path: path)
    }

    private static func writeAll(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ used: Int,
                                 path: String) throws(CaptureError) {
        var offset = 0
        while offset < used {
            let n = Glibc.write(descriptor, buffer + offset, used - offset)
            if n < 0 {
                let err = errno
                if err == EINTR { continue }
                throw CaptureError(file: path, reason: .writeFailed,
                                   message: "writing the pcapng file failed: \(String(cString: strerror(err)))")
            }
            offset += n
        }
    }

    private func beginBlock(type: UInt32, length: Int) {
        put32(type)
        put32(UInt32(length))
    }

    private func put16(_ v: UInt16) {
        buffer.storeBytes(of: v.littleEndian, toByteOffset: used, as: UInt16.self)
        used += 2
    }

    private func put32(_ v: UInt32) {
        buffer.storeBytes(of: v.littleEndian, toByteOffset: used, as: UInt32.self)
        used += 4
    }

    private func put64(_ v: UInt64) {
        buffer.storeBytes(of: v.littleEndian, toByteOffset: used, as: UInt64.self)
        used += 8
    }

    /// Copies bytes and zero-pads to a multiple of 4.
    private func putBytes(_ bytes: UnsafeRawBufferPointer) {
        if let base = bytes.baseAddress, bytes.count > 0 {
            (buffer + used).copyMemory(from: base, byteCount: bytes.count)
        }
        let padding = Self.padded(bytes.count) - bytes.count
        (buffer + used + bytes.count).initializeMemory(as: UInt8.self, repeating: 0, count: padding)
        used += bytes.count + padding
    }

    private func putOption(_ code: UInt16, _ value: [UInt8]) {
        put16(code)
        put16(UInt16(value.count))
        value.withUnsafeBytes { putBytes($0) }
    }
}
