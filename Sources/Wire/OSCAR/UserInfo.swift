import Bytes

/// TLV 0x0C "DC info": how to reach a user directly (docs/protocol.md#oscar-dc-info). All big-endian.
/// Wireshark: `aim.dcinfo.addr`, `aim.dcinfo.tcpport`, `aim.dcinfo.type`, `aim.dcinfo.proto_version`.
public struct DCInfo: Sendable, Equatable {
    public var internalAddress: IPAddress
    public var tcpPort: UInt32
    public var type: UInt8
    public var protocolVersion: UInt16
    public var authCookie: UInt32?

    /// Needs at least the address, port, type and version (11 bytes); the full block is 37.
    public static func decode(_ value: UnsafeRawBufferPointer) -> DCInfo? {
        guard value.count >= 11 else { return nil }
        return DCInfo(internalAddress: .ipv4(value, at: 0), tcpPort: value.u32BE(at: 4), type: value[8],
                      protocolVersion: value.u16BE(at: 9),
                      authCookie: value.count >= 15 ? value.u32BE(at: 11) : nil)
    }
}

/// What a TLV list or chain about a user says: status (TLV 6), external IP (TLV 0x0A),
/// DC info (TLV 0x0C). Used by SNAC(01,1E) (own) and by user info blocks (peers).
public struct PresenceTLVs {
    public var statusFlags: UInt16?
    public var status: UInt16?
    public var externalAddress: IPAddress?
    public var dcInfo: DCInfo?
    public var tlvCount = 0
    /// A TLV 0x0C whose value was too short to read.
    public var dcInfoMalformed = false

    mutating func take(_ tlv: TLV) {
        tlvCount += 1
        switch tlv.type {
        case 0x0006 where tlv.length >= 4:
            statusFlags = tlv.value.u16BE(at: 0)
            status = tlv.value.u16BE(at: 2)
        case 0x000A where tlv.length >= 4:
            externalAddress = .ipv4(tlv.value, at: 0)
        case 0x000C:
            dcInfo = DCInfo.decode(tlv.value)
            dcInfoMalformed = dcInfo == nil
        default: break
        }
    }

    static func chain(_ data: UnsafeRawBufferPointer, from offset: Int) -> PresenceTLVs {
        var result = PresenceTLVs()
        var tlvs = TLVIterator(data, from: offset)
        while let tlv = tlvs.next() { result.take(tlv) }
        return result
    }
}

/// A user info block: u8 screen-name length, screen name (the UIN in decimal for ICQ),
/// u16 warning level, u16 TLV count, that many TLVs.
public struct UserInfoBlock {
    public var screenName: UnsafeRawBufferPointer
    public var warningLevel: UInt16
    public var presence: PresenceTLVs
    /// Offset just past the block.
    public var end: Int

    public static func decode(_ data: UnsafeRawBufferPointer, at offset: Int) -> UserInfoBlock? {
        var reader = ByteReader(data, position: offset)
        guard let nameLength = reader.readU8(), let name = reader.readBytes(Int(nameLength)),
              let warning = reader.readU16BE(), let count = reader.readU16BE() else { return nil }
        var presence = PresenceTLVs()
        var tlvs = TLVIterator(data, from: reader.position, limit: Int(count))
        while let tlv = tlvs.next() { presence.take(tlv) }
        guard tlvs.truncatedAt == nil, presence.tlvCount == Int(count) else { return nil }
        return UserInfoBlock(screenName: name, warningLevel: warning, presence: presence, end: tlvs.position)
    }

    /// The screen name read as an ICQ UIN (ASCII decimal), or nil for AIM names.
    public var uin: UInt32? { ScreenName.uin(screenName) }
}

/// SNAC(03,0B) buddy arrived, (03,0C) departed, (01,0F) own info, (02,06) user info:
/// one or more user info blocks; the first is decoded, the rest counted.
public struct UserInfoList {
    public var first: UserInfoBlock
    public var count: Int

    static func decode(_ data: UnsafeRawBufferPointer, from offset: Int, many: Bool) -> UserInfoList? {
        guard let first = UserInfoBlock.decode(data, at: offset) else { return nil }
        var count = 1
        var position = first.end
        // Bounded: every block consumes at least 5 bytes.
        while many, position < data.count, let next = UserInfoBlock.decode(data, at: position) {
            count += 1
            position = next.end
        }
        return UserInfoList(first: first, count: count)
    }
}

public enum ScreenName {
    /// A screen name of 1–10 ASCII digits read as a UIN.
    public static func uin(_ name: UnsafeRawBufferPointer) -> UInt32? {
        guard !name.isEmpty, name.count <= 10 else { return nil }
        var value: UInt64 = 0
        for c in name {
            guard c >= 0x30, c <= 0x39 else { return nil }
            value = value * 10 + UInt64(c - 0x30)
        }
        return value <= UInt64(UInt32.max) ? UInt32(value) : nil
    }
}
