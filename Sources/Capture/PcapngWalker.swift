import Bytes

/// pcapng: a sequence of blocks (type, total length, body, total length again), grouped into
/// sections that each declare their own byte order and interfaces.
extension CaptureFileReader {
    enum BlockType {
        static let sectionHeader: UInt32 = 0x0A0D_0D0A
        static let interfaceDescription: UInt32 = 1
        static let obsoletePacket: UInt32 = 2
        static let simplePacket: UInt32 = 3
        static let interfaceStatistics: UInt32 = 5
        static let enhancedPacket: UInt32 = 6
    }

    // Inlined into nextPacket(), its only caller, as the pcap walker is.
    @inline(__always)
    mutating func nextPcapngPacket() throws(CaptureError) -> CapturedPacket? {
        while true {
            let blockOffset = input.offset
            guard input.require(12) else {
                if input.available == 0 && input.readError == nil { return nil }
                let e = truncation(.truncatedRecord, what: "block header", needed: 12)
                _ = input.consumeAll()
                throw e
            }
            var head = input.window(count: 12)
            let rawType = head.u32LE(at: 0)
            if rawType == BlockType.sectionHeader {
                // The byte-order magic decides how this and every later block is read.
                switch head.u32LE(at: 8) {
                case 0x1A2B_3C4D: sectionBigEndian = false
                case 0x4D3C_2B1A: sectionBigEndian = true
                default:
                    throw error(.badBlock, at: blockOffset, "section header block has no valid byte-order magic")
                }
                head = input.window(count: 12)
            }
            let bigEndian = sectionBigEndian
            let blockType = head.u32(at: 0, bigEndian: bigEndian)
            let totalLength = Int(head.u32(at: 4, bigEndian: bigEndian))
            guard totalLength >= 12, totalLength % 4 == 0 else {
                throw error(.badBlock, at: blockOffset,
                            "block of type 0x\(String(blockType, radix: 16)) has an invalid length \(totalLength)")
            }
            guard totalLength <= CaptureFileReader.maximumBlockLength else {
                throw error(.recordTooLong, at: blockOffset,
                            "block length \(totalLength) exceeds the \(CaptureFileReader.maximumBlockLength)-byte limit")
            }
            guard input.require(totalLength) else {
                let e = truncation(.truncatedRecord, what: "block of type 0x\(String(blockType, radix: 16)) at offset \(blockOffset)", needed: totalLength)
                _ = input.consumeAll()
                throw e
            }
            let block = input.window(count: totalLength)
            let trailingLength = Int(block.u32(at: totalLength - 4, bigEndian: bigEndian))
            guard trailingLength == totalLength else {
                throw error(.blockLengthMismatch, at: blockOffset,
                            "block length fields differ (\(totalLength) at the start, \(trailingLength) at the end)")
            }
            let body = UnsafeRawBufferPointer(rebasing: block[8..<(totalLength - 4)])
            input.consume(totalLength)

            switch blockType {
            case BlockType.sectionHeader:
                sectionInterfaceBase = interfaces.count
            case BlockType.interfaceDescription:
                try readInterfaceDescription(body, at: blockOffset)
            case BlockType.enhancedPacket:
                return try timestampedPacket(body, at: blockOffset, shortInterfaceID: false)
            case BlockType.simplePacket:
                return try simplePacket(body, at: blockOffset)
            case BlockType.obsoletePacket:
                return try timestampedPacket(body, at: blockOffset, shortInterfaceID: true)
            case BlockType.interfaceStatistics:
                readInterfaceStatistics(body)
            default:
                // Name resolution, decryption secrets, custom and unknown blocks: skipped by length.
                continue
            }
        }
    }

    private mutating func readInterfaceDescription(_ body: UnsafeRawBufferPointer, at offset: Int64) throws(CaptureError) {
        guard body.count >= 8 else {
            throw error(.badBlock, at: offset, "interface description block is too short (\(body.count) bytes)")
        }
        let bigEndian = sectionBigEndian
        var interface = CaptureInterface(
            linkType: LinkType(rawValue: UInt32(body.u16(at: 0, bigEndian: bigEndian))),
            snapLength: body.u32(at: 4, bigEndian: bigEndian))
        forEachOption(UnsafeRawBufferPointer(rebasing: body[8...])) { code, value in
            switch code {
            case 2: interface.name = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
            case 3: interface.description = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
            case 9 where value.count >= 1: interface.timestampResolution = TimestampResolution(pcapngOption: value[0])
            case 14 where value.count >= 8: interface.timestampOffsetSeconds = Int64(bitPattern: value.u64(at: 0, bigEndian: bigEndian))
            default: break
            }
        }
        interfaces.append(interface)
    }

    private mutating func readInterfaceStatistics(_ body: UnsafeRawBufferPointer) {
        guard body.count >= 12 else { return }
        let bigEndian = sectionBigEndian
        let index = sectionInterfaceBase + Int(body.u32(at: 0, bigEndian: bigEndian))
        guard index < interfaces.count else { return }
        var stats = interfaces[index].statistics ?? InterfaceStatistics()
        forEachOption(UnsafeRawBufferPointer(rebasing: body[12...])) { code, value in
            guard value.count >= 8 else { return }
            let v = value.u64(at: 0, bigEndian: bigEndian)
            switch code {
            case 4: stats.received = v
            case 5: stats.interfaceDropped = v
            case 6: stats.filterAccepted = v
            case 7: stats.osDropped = v
            case 8: stats.delivered = v
            default: break
            }
        }
        // Later statistics blocks supersede earlier ones: the counters are cumulative.
        interfaces[index].statistics = stats
    }

    /// Walks pcapng options (code, length, value padded to 4) until opt_endofopt or the end.
    private func forEachOption(_ options: UnsafeRawBufferPointer, _ body: (UInt16, UnsafeRawBufferPointer) -> Void) {
        let bigEndian = sectionBigEndian
        var position = 0
        while position + 4 <= options.count {
            let code = options.u16(at: position, bigEndian: bigEndian)
            let length = Int(options.u16(at: position + 2, bigEndian: bigEndian))
            if code == 0 { return }
            let valueStart = position + 4
            guard valueStart + length <= options.count else { return }
            body(code, UnsafeRawBufferPointer(rebasing: options[valueStart..<(valueStart + length)]))
            position = valueStart + (length + 3) & ~3
        }
    }

    private mutating func interface(_ localIndex: Int, at offset: Int64, frame: UInt64) throws(CaptureError) -> Int {
        let index = sectionInterfaceBase + localIndex
        guard localIndex >= 0, index < interfaces.count else {
            throw error(.unknownInterface, at: offset, frame: frame,
                        "packet names interface \(localIndex), which the section has not described; packet skipped",
                        fatal: false)
        }
        return index
    }

    private mutating func packet(interface index: Int, frame: UInt64, units: UInt64, capturedLength: Int,
                                 originalLength: Int, data: UnsafeRawBufferPointer, at offset: Int64) throws(CaptureError) -> CapturedPacket {
        // Field by field, in place: copying the whole CaptureInterface (130 bytes, its name a
        // String to retain and release) for every packet cost more than the rest of this function.
        guard capturedLength <= data.count else {
            throw error(.badBlock, at: offset, frame: frame,
                        "captured length \(capturedLength) runs past the end of its block; packet skipped", fatal: false)
        }
        guard capturedLength <= CaptureFileReader.maximumRecordLength else {
            throw error(.recordTooLong, at: offset, frame: frame,
                        "captured length \(capturedLength) exceeds the \(CaptureFileReader.maximumRecordLength)-byte limit; packet skipped", fatal: false)
        }
        let snapLength = interfaces[index].snapLength
        if snapLength > 0 && capturedLength > Int(snapLength) {
            throw error(.recordLongerThanSnapLength, at: offset, frame: frame,
                        "captured length \(capturedLength) exceeds the interface's snap length \(snapLength); packet skipped",
                        fatal: false)
        }
        let nanos = interfaces[index].timestampResolution.nanoseconds(fromUnits: units)
            &+ interfaces[index].timestampOffsetSeconds &* 1_000_000_000
        return CapturedPacket(
            frameNumber: frame, timestampNanos: nanos, interfaceIndex: index, linkType: interfaces[index].linkType,
            originalLength: originalLength,
            bytes: UnsafeRawBufferPointer(rebasing: data[0..<capturedLength]))
    }

    /// The enhanced packet block and the obsolete packet block share one layout after the
    /// interface id: a u32 id in the first, a u16 id (and a u16 drop count) in the second.
    private mutating func timestampedPacket(_ body: UnsafeRawBufferPointer, at offset: Int64,
                                            shortInterfaceID: Bool) throws(CaptureError) -> CapturedPacket {
        frameCounter += 1
        let frame = frameCounter
        guard body.count >= 20 else {
            throw error(.badBlock, at: offset, frame: frame,
                        "\(shortInterfaceID ? "packet" : "enhanced packet") block is too short; packet skipped", fatal: false)
        }
        let bigEndian = sectionBigEndian
        let id = shortInterfaceID ? Int(body.u16(at: 0, bigEndian: bigEndian)) : Int(body.u32(at: 0, bigEndian: bigEndian))
        let index = try interface(id, at: offset, frame: frame)
        let units = UInt64(body.u32(at: 4, bigEndian: bigEndian)) << 32 | UInt64(body.u32(at: 8, bigEndian: bigEndian))
        return try packet(
            interface: index, frame: frame, units: units,
            capturedLength: Int(body.u32(at: 12, bigEndian: bigEndian)),
            originalLength: Int(body.u32(at: 16, bigEndian: bigEndian)),
            data: UnsafeRawBufferPointer(rebasing: body[20...]), at: offset)
    }

    /// A simple packet block has no timestamp and no captured length: it belongs to the section's
    /// first interface and is cut to that interface's snap length.
    private mutating func simplePacket(_ body: UnsafeRawBufferPointer, at offset: Int64) throws(CaptureError) -> CapturedPacket {
        frameCounter += 1
        let frame = frameCounter
        guard body.count >= 4 else {
            throw error(.badBlock, at: offset, frame: frame, "simple packet block is too short; packet skipped", fatal: false)
        }
        let index = try interface(0, at: offset, frame: frame)
        let originalLength = Int(body.u32(at: 0, bigEndian: sectionBigEndian))
        let snap = Int(interfaces[index].snapLength)
        var captured = min(originalLength, body.count - 4)
        if snap > 0 { captured = min(captured, snap) }
        return try packet(interface: index, frame: frame, units: 0, capturedLength: captured,
                          originalLength: originalLength,
                          data: UnsafeRawBufferPointer(rebasing: body[4...]), at: offset)
    }
}
