import Bytes

/// Classic pcap: a 24-byte file header, then 16-byte record headers each followed by the packet.
/// Both byte orders; microsecond (0xA1B2C3D4) and nanosecond (0xA1B23C4D) magic.
extension CaptureFileReader {
    static func readPcapFileHeader(_ input: inout ChunkedInput, name: String, bigEndian: Bool) throws(CaptureError) -> CaptureInterface {
        guard input.require(24) else {
            throw CaptureError(file: name, offset: 0, reason: .truncatedFileHeader,
                               message: "pcap file header is cut off: \(input.available) of 24 bytes present")
        }
        let header = input.window(count: 24)
        let magic = header.u32(at: 0, bigEndian: bigEndian)
        let nanos = magic == 0xA1B2_3C4D
        let snapLength = header.u32(at: 16, bigEndian: bigEndian)
        // The upper bits of the link-type field carry FCS information (pcap-savefile(5)).
        let linkType = LinkType(rawValue: header.u32(at: 20, bigEndian: bigEndian) & 0x03FF_FFFF)
        input.consume(24)
        return CaptureInterface(
            linkType: linkType, snapLength: snapLength,
            timestampResolution: nanos ? .nanoseconds : .microseconds)
    }

    // Inlined into nextPacket(), its only caller: the packet is then built in place instead of
    // being copied out through one more return.
    @inline(__always)
    mutating func nextPcapRecord(bigEndian: Bool) throws(CaptureError) -> CapturedPacket? {
        while true {
            let recordOffset = input.offset
            guard input.require(16) else {
                if input.available == 0 && input.readError == nil { return nil }
                frameCounter += 1
                let e = truncation(.truncatedRecord, what: "record header of frame \(frameCounter)", needed: 16)
                _ = input.consumeAll()
                throw e
            }
            let header = input.window(count: 16)
            let seconds = UInt64(header.u32(at: 0, bigEndian: bigEndian))
            let fraction = UInt64(header.u32(at: 4, bigEndian: bigEndian))
            let capturedLength = Int(header.u32(at: 8, bigEndian: bigEndian))
            let originalLength = Int(header.u32(at: 12, bigEndian: bigEndian))
            frameCounter += 1
            let frame = frameCounter
            if capturedLength > CaptureFileReader.maximumRecordLength {
                // The length is not believable, so the framing is lost: stop here.
                throw error(.recordTooLong, at: recordOffset, frame: frame,
                            "record length \(capturedLength) exceeds the \(CaptureFileReader.maximumRecordLength)-byte limit; the rest of the file cannot be framed")
            }
            guard input.require(16 + capturedLength) else {
                let e = truncation(.truncatedRecord, what: "frame \(frame) (record at offset \(recordOffset))", needed: 16 + capturedLength)
                _ = input.consumeAll()
                throw e
            }
            // Field by field, in place: copying the whole CaptureInterface (130 bytes with its
            // optional strings) for every record was a visible part of the read loop's time.
            let snapLength = interfaces[0].snapLength
            if snapLength > 0 && capturedLength > Int(snapLength) {
                // Framing is intact, so report this record and carry on with the next one.
                input.consume(16 + capturedLength)
                throw error(.recordLongerThanSnapLength, at: recordOffset, frame: frame,
                            "record length \(capturedLength) exceeds the file's snap length \(snapLength); record skipped",
                            fatal: false)
            }
            let nanos = interfaces[0].timestampResolution == .nanoseconds ? fraction : fraction &* 1000
            let packet = CapturedPacket(
                frameNumber: frame,
                timestampNanos: Int64(seconds) * 1_000_000_000 + Int64(nanos),
                interfaceIndex: 0, linkType: interfaces[0].linkType,
                originalLength: originalLength,
                bytes: input.window(skip: 16, count: capturedLength))
            // The window stays valid: consuming only moves the cursor; the next call may refill.
            input.consume(16 + capturedLength)
            return packet
        }
    }
}
