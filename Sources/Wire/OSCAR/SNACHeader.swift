import Bytes

/// The 10-byte SNAC header at the start of every channel-2 FLAP (big-endian).
/// Wireshark: `aim.fnac.family`, `aim.fnac.subtype`, `aim.fnac.flags`, `aim.fnac.id`.
public struct SNACHeader: Sendable, Equatable {
    public static let length = 10
    /// More SNACs follow for the same request id.
    public static let flagMoreFollow: UInt16 = 0x0001
    /// A u16 length and that many bytes (a TLV block, e.g. the family version) precede the data.
    public static let flagContainsVersion: UInt16 = 0x8000

    public var family: UInt16
    public var subtype: UInt16
    public var flags: UInt16
    public var requestID: UInt32

    public init(family: UInt16, subtype: UInt16, flags: UInt16, requestID: UInt32) {
        self.family = family
        self.subtype = subtype
        self.flags = flags
        self.requestID = requestID
    }

    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) -> SNACHeader? {
        guard offset >= 0, bytes.count - offset >= length else { return nil }
        return SNACHeader(family: bytes.u16BE(at: offset), subtype: bytes.u16BE(at: offset + 2),
                          flags: bytes.u16BE(at: offset + 4), requestID: bytes.u32BE(at: offset + 6))
    }

    public var familyName: StaticString { SNACNames.family(family) }
    public var subtypeName: StaticString { SNACNames.subtype(family: family, subtype: subtype) }
}
