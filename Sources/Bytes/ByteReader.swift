/// A bounds-checked cursor over bytes borrowed for the length of one call.
///
/// Every read checks the remaining length first and returns `nil` rather than trapping, so a
/// decoder can turn "not enough bytes" into a located error. Nothing is copied: the reader holds
/// only the base pointer, the bounds and the position.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    /// Offset of the next byte to read, from the start of `bytes`.
    public var position: Int

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    @inlinable public var remaining: Int { bytes.count - position }
    @inlinable public var isAtEnd: Bool { position >= bytes.count }

    @inlinable
    public mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, count <= remaining else { return false }
        position += count
        return true
    }

    @inlinable
    public mutating func readU8() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    @inlinable
    public mutating func readU16BE() -> UInt16? {
        guard remaining >= 2 else { return nil }
        defer { position += 2 }
        return bytes.u16BE(at: position)
    }

    @inlinable
    public mutating func readU16LE() -> UInt16? {
        guard remaining >= 2 else { return nil }
        defer { position += 2 }
        return bytes.u16LE(at: position)
    }

    @inlinable
    public mutating func readU32BE() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { position += 4 }
        return bytes.u32BE(at: position)
    }

    @inlinable
    public mutating func readU32LE() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { position += 4 }
        return bytes.u32LE(at: position)
    }

    @inlinable
    public mutating func readU64BE() -> UInt64? {
        guard remaining >= 8 else { return nil }
        defer { position += 8 }
        return bytes.u64BE(at: position)
    }

    /// The next `count` bytes as a borrowed slice (rebased to start at 0), or nil.
    @inlinable
    public mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, count <= remaining else { return nil }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }

    /// Everything not yet read, as a borrowed slice.
    @inlinable
    public var rest: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[min(position, bytes.count)...])
    }
}

/// Unchecked fixed-width loads at an offset the caller has already bounds-checked.
extension UnsafeRawBufferPointer {
    @inlinable
    public func u16BE(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    @inlinable
    public func u16LE(at offset: Int) -> UInt16 {
        UInt16(self[offset + 1]) << 8 | UInt16(self[offset])
    }

    @inlinable
    public func u32BE(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable
    public func u32LE(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable
    public func u64BE(at offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inlinable
    public func u64LE(at offset: Int) -> UInt64 {
        UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A 32-bit value in the byte order a capture file section declared.
    @inlinable
    public func u32(at offset: Int, bigEndian: Bool) -> UInt32 {
        bigEndian ? u32BE(at: offset) : u32LE(at: offset)
    }

    @inlinable
    public func u16(at offset: Int, bigEndian: Bool) -> UInt16 {
        bigEndian ? u16BE(at: offset) : u16LE(at: offset)
    }

    @inlinable
    public func u64(at offset: Int, bigEndian: Bool) -> UInt64 {
        bigEndian ? u64BE(at: offset) : u64LE(at: offset)
    }
}
