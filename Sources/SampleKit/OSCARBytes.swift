/// OSCAR wire bytes for the samples (docs/protocol.md#flap to #oscar-dc-info): FLAP frames, SNACs,
/// TLVs, user info blocks and the DC info TLV, all big-endian. Each direction of a connection
/// numbers its FLAPs from its own random start (`FLAPCounter`).
enum OSCARBytes {
    static func tlv(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendBE16(type)
        out.appendBE16(UInt16(value.count))
        return out + value
    }

    static func tlv16(_ type: UInt16, _ value: UInt16) -> [UInt8] {
        var v: [UInt8] = []
        v.appendBE16(value)
        return tlv(type, v)
    }

    static func tlv32(_ type: UInt16, _ value: UInt32) -> [UInt8] {
        var v: [UInt8] = []
        v.appendBE32(value)
        return tlv(type, v)
    }

    static func snac(_ family: UInt16, _ subtype: UInt16, flags: UInt16 = 0, id: UInt32, _ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendBE16(family)
        out.appendBE16(subtype)
        out.appendBE16(flags)
        out.appendBE32(id)
        return out + body
    }

    /// The ICQ 2000 password roasting (XOR with the fixed 16-byte key).
    static func roast(_ password: String) -> [UInt8] {
        let key: [UInt8] = [0xF3, 0x26, 0x81, 0xC4, 0x39, 0x86, 0xDB, 0x92, 0x71, 0xA3, 0xB9, 0xE6, 0x53, 0x7A, 0x95, 0x7C]
        return Array(password.utf8).enumerated().map { $0.element ^ key[$0.offset % 16] }
    }

    /// TLV 0x0C, the 37-byte DC info: LAN IP, DC port (u32), type 4, DC version, cookie, web
    /// port 0x50, futures 3, three update times, 0.
    static func dcInfo(lanIP: UInt32, port: UInt16, version: UInt16, cookie: UInt32, times: UInt32) -> [UInt8] {
        var v: [UInt8] = []
        v.appendBE32(lanIP)
        v.appendBE32(UInt32(port))
        v.append(4)
        v.appendBE16(version)
        v.appendBE32(cookie)
        v.appendBE32(0x50)
        v.appendBE32(3)
        for k in 0..<3 { v.appendBE32(times &+ UInt32(k)) }
        v.appendBE16(0)
        return tlv(0x000C, v)
    }

    /// A user info block: screen name (the UIN in decimal), warning level 0, TLV count, TLVs.
    static func userInfo(uin: UInt32, tlvs: [[UInt8]]) -> [UInt8] {
        let name = Array(String(uin).utf8)
        var out: [UInt8] = [UInt8(name.count)] + name
        out.appendBE16(0)
        out.appendBE16(UInt16(tlvs.count))
        return out + tlvs.flatMap { $0 }
    }

    /// ICBM channel 1 TLV 2: the capabilities fragment (id 5) and the text fragment (id 1,
    /// charset 0 ASCII).
    static func channel1Text(_ text: String) -> [UInt8] {
        var fragments: [UInt8] = [0x05, 0x01, 0x00, 0x01, 0x01]
        let body = Array(text.utf8)
        fragments += [0x01, 0x01]
        fragments.appendBE16(UInt16(4 + body.count))
        fragments += [0x00, 0x00, 0x00, 0x00] + body
        return tlv(0x0002, fragments)
    }
}

/// FLAP sequence numbers of one direction of one connection: a random start, +1 per frame.
struct FLAPCounter {
    var next: UInt16

    mutating func flap(_ channel: UInt8, _ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x2A, channel]
        out.appendBE16(next)
        out.appendBE16(UInt16(data.count))
        next &+= 1
        return out + data
    }
}
