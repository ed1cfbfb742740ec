import Bytes

/// SNAC(01,07) rate info: u16 class count, the classes (id, window, clear, alert, limit,
/// disconnect, current, max levels, and in the current format a last time u32 and a state u8:
/// 35 bytes; 30 in the old one), then per class a group: id u16, pair count u16, pairs of
/// family/subtype (some servers list fewer groups than classes). Wireshark: `aim_generic.rateinfo.numclasses`, `…class.window_size`, …
public struct RateInfo {
    public var classCount: Int
    /// 35 or 30: whichever makes the groups end exactly where the SNAC ends (0 if neither).
    public var classLength: Int
    public var pairCount: Int
    public var classes: UnsafeRawBufferPointer

    static func decode(_ data: UnsafeRawBufferPointer, from offset: Int) -> RateInfo? {
        guard data.count - offset >= 2 else { return nil }
        let count = Int(data.u16BE(at: offset))
        for attempt in 0..<2 {
            let classLength = attempt == 0 ? 35 : 30
            let groupsStart = offset + 2 + count * classLength
            guard groupsStart <= data.count else { continue }
            var reader = ByteReader(data, position: groupsStart)
            var pairs = 0
            var complete = true
            // Servers may list fewer groups than classes (a small Python server sends one).
            for _ in 0..<count where !reader.isAtEnd {
                guard reader.skip(2), let n = reader.readU16BE(), reader.skip(Int(n) * 4) else { complete = false; break }
                pairs += Int(n)
            }
            if complete && reader.isAtEnd {
                return RateInfo(classCount: count, classLength: classLength, pairCount: pairs,
                                classes: UnsafeRawBufferPointer(rebasing: data[(offset + 2)..<groupsStart]))
            }
        }
        return RateInfo(classCount: count, classLength: 0, pairCount: 0, classes: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Class `index`: (id, window size, limit level, current level), or nil.
    public func rateClass(_ index: Int) -> (id: UInt16, windowSize: UInt32, limitLevel: UInt32, currentLevel: UInt32)? {
        guard classLength > 0, index >= 0, index < classCount else { return nil }
        let base = index * classLength
        return (classes.u16BE(at: base), classes.u32BE(at: base + 2), classes.u32BE(at: base + 14),
                classes.u32BE(at: base + 22))
    }
}

/// SNAC(13,06) server-stored list: u8 version, u16 item count, items, u32 last change time.
/// Item: u16 name length, name, u16 group id, u16 item id, u16 type, u16 TLV length, TLVs.
/// Also the item SNACs (13,08) add, (13,09) modify, (13,0A) delete: items only.
public struct SSIList {
    public var version: UInt8?
    public var itemCount: Int
    /// Items actually walked (equals `itemCount` when the list is well formed).
    public var itemsRead: Int
    public var buddies: Int
    public var groups: Int
    public var lastChange: UInt32?

    static func decode(_ data: UnsafeRawBufferPointer, from offset: Int, isList: Bool) -> SSIList? {
        var reader = ByteReader(data, position: offset)
        var result = SSIList(itemCount: 0, itemsRead: 0, buddies: 0, groups: 0)
        var declared = Int.max
        if isList {
            guard let version = reader.readU8(), let count = reader.readU16BE() else { return nil }
            result.version = version
            declared = Int(count)
            result.itemCount = declared
        }
        while result.itemsRead < declared, reader.remaining >= 10 {
            if isList && reader.remaining == 4 { break }
            guard let nameLength = reader.readU16BE(), reader.skip(Int(nameLength)), reader.skip(4),
                  let type = reader.readU16BE(), let tlvLength = reader.readU16BE(), reader.skip(Int(tlvLength))
            else { break }
            result.itemsRead += 1
            if type == 0 { result.buddies += 1 } else if type == 1 { result.groups += 1 }
        }
        if isList {
            result.lastChange = reader.readU32BE()
        } else {
            result.itemCount = result.itemsRead
        }
        return result
    }
}

/// SNAC(13,0E): one u16 result code per edited item (0 = ok). Wireshark `aim.ssi.code`.
public struct SSIAck {
    public var codes: UnsafeRawBufferPointer
    public var count: Int { codes.count / 2 }
    public func code(_ i: Int) -> UInt16 { codes.u16BE(at: i * 2) }
}
