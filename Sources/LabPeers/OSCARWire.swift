/// The few OSCAR encodings the lab's OSCAR server writes and reads (docs/protocol.md, OSCAR):
/// FLAP frames, SNAC headers and TLVs, all big-endian. Reading is bounds-checked: a client's
/// bytes are never trusted.
enum OSCARWire {
    static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func u32(_ value: UInt32) -> [UInt8] { u16(UInt16(value >> 16)) + u16(UInt16(value & 0xFFFF)) }

    static func tlv(_ type: UInt16, _ value: [UInt8]) -> [UInt8] { u16(type) + u16(UInt16(value.count)) + value }

    static func snac(_ family: UInt16, _ subtype: UInt16, id: UInt32, _ body: [UInt8]) -> [UInt8] {
        u16(family) + u16(subtype) + u16(0) + u32(id) + body
    }

    /// The user info block of SNAC(03,0B), (04,07) and (01,0F): screen name, warning level, TLVs.
    static func userInfo(_ screenName: String, tlvs: [[UInt8]]) -> [UInt8] {
        let name = Array(screenName.utf8)
        return [UInt8(name.count)] + name + u16(0) + u16(UInt16(tlvs.count)) + tlvs.flatMap { $0 }
    }

    static func readU16(_ bytes: ArraySlice<UInt8>, _ at: Int) -> UInt16? {
        let i = bytes.startIndex + at
        guard at >= 0, i + 1 < bytes.endIndex else { return nil }
        return UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
    }

    static func readU32(_ bytes: ArraySlice<UInt8>, _ at: Int) -> UInt32? {
        guard let high = readU16(bytes, at), let low = readU16(bytes, at + 2) else { return nil }
        return UInt32(high) << 16 | UInt32(low)
    }

    /// A TLV chain: (type, value) in order; nil when a length runs past the end.
    static func tlvs(_ bytes: ArraySlice<UInt8>) -> [(type: UInt16, value: ArraySlice<UInt8>)]? {
        var result: [(type: UInt16, value: ArraySlice<UInt8>)] = []
        var offset = 0
        while offset < bytes.count {
            guard let type = readU16(bytes, offset), let length = readU16(bytes, offset + 2),
                  offset + 4 + Int(length) <= bytes.count else { return nil }
            let start = bytes.startIndex + offset + 4
            result.append((type, bytes[start..<start + Int(length)]))
            offset += 4 + Int(length)
        }
        return result
    }
}

/// One TCP connection's FLAP framing: bytes in, whole frames out; frames out with the
/// connection's own sequence numbers.
struct FLAPConnection {
    private var buffer: [UInt8] = []
    private var sequence: UInt16 = UInt16.random(in: 0...0x7FFF)

    enum Incoming {
        case frame(channel: UInt8, data: ArraySlice<UInt8>)
        case malformed
    }

    mutating func received(_ bytes: [UInt8]) -> [Incoming] {
        buffer += bytes
        var frames: [Incoming] = []
        while buffer.count >= 6 {
            guard buffer[0] == 0x2A else { buffer.removeAll(); frames.append(.malformed); break }
            let length = Int(buffer[4]) << 8 | Int(buffer[5])
            guard buffer.count >= 6 + length else { break }
            frames.append(.frame(channel: buffer[1], data: ArraySlice(buffer[6..<6 + length])))
            buffer.removeFirst(6 + length)
        }
        return frames
    }

    mutating func frame(channel: UInt8, _ data: [UInt8]) -> [UInt8] {
        sequence &+= 1
        return [0x2A, channel] + OSCARWire.u16(sequence) + OSCARWire.u16(UInt16(data.count)) + data
    }
}
