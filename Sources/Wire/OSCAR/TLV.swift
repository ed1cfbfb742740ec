import Bytes

/// One OSCAR TLV: type u16 BE, length u16 BE, value (a borrowed view).
public struct TLV {
    public var type: UInt16
    public var value: UnsafeRawBufferPointer
    /// Offset of the TLV header in the buffer it was read from.
    public var offset: Int

    @inlinable public var length: Int { value.count }
    @inlinable public var u8: UInt8? { value.count >= 1 ? value[0] : nil }
    @inlinable public var u16: UInt16? { value.count >= 2 ? value.u16BE(at: 0) : nil }
    @inlinable public var u32: UInt32? { value.count >= 4 ? value.u32BE(at: 0) : nil }
}

/// Walks a TLV chain (TLVs until the bytes end) or a TLV list (at most `limit` TLVs).
/// Stops at the first TLV whose length runs past the end and remembers where: `truncatedAt`.
public struct TLVIterator: IteratorProtocol, Sequence {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var position: Int
    public private(set) var remainingCount: Int
    /// Offset of a TLV that did not fit, or nil.
    public private(set) var truncatedAt: Int?

    public init(_ bytes: UnsafeRawBufferPointer, from position: Int = 0, limit: Int = Int.max) {
        self.bytes = bytes
        self.position = position
        self.remainingCount = limit
    }

    public mutating func next() -> TLV? {
        guard remainingCount > 0, position < bytes.count else { return nil }
        guard bytes.count - position >= 4 else { truncatedAt = position; position = bytes.count; return nil }
        let type = bytes.u16BE(at: position)
        let length = Int(bytes.u16BE(at: position + 2))
        guard bytes.count - position - 4 >= length else {
            truncatedAt = position
            position = bytes.count
            return nil
        }
        let tlv = TLV(type: type, value: UnsafeRawBufferPointer(rebasing: bytes[position + 4..<position + 4 + length]),
                      offset: position)
        position += 4 + length
        remainingCount -= 1
        return tlv
    }

    /// The first TLV of `type` in a chain.
    public static func first(_ type: UInt16, in bytes: UnsafeRawBufferPointer, from position: Int = 0,
                             limit: Int = Int.max) -> TLV? {
        var it = TLVIterator(bytes, from: position, limit: limit)
        while let tlv = it.next() {
            if tlv.type == type { return tlv }
        }
        return nil
    }
}
