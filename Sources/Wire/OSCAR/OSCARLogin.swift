import Bytes

/// Channel-1 FLAP (new connection): FLAP version `00 00 00 01`, then TLVs: the login ident
/// (TLV 1 screen name / UIN, TLV 2 roasted password, TLV 3 client id string) or, on the BOS
/// connection, TLV 6 the cookie the authorizer handed out.
public struct SignOn {
    public var flapVersion: UInt32
    public var screenName: UnsafeRawBufferPointer?
    /// Roasted password (a secret: masked at output unless secrets are revealed).
    public var roastedPassword: UnsafeRawBufferPointer?
    public var clientIDString: UnsafeRawBufferPointer?
    public var cookie: UnsafeRawBufferPointer?
    public var tlvCount: Int

    static func decode(_ data: UnsafeRawBufferPointer) -> SignOn? {
        guard data.count >= 4 else { return nil }
        var result = SignOn(flapVersion: data.u32BE(at: 0), tlvCount: 0)
        var tlvs = TLVIterator(data, from: 4)
        while let tlv = tlvs.next() {
            result.tlvCount += 1
            switch tlv.type {
            case 0x0001: result.screenName = tlv.value
            case 0x0002: result.roastedPassword = tlv.value
            case 0x0003: result.clientIDString = tlv.value
            case 0x0006: result.cookie = tlv.value
            default: break
            }
        }
        return result
    }
}

/// The authorizer's answer: on channel 4 (ICQ 2000-style login) or in SNAC(17,03) (MD5 login).
/// Also the client's own channel-4 sign-off, which carries no TLVs.
/// TLV 5 is the BOS server address "host[:port]", TLV 6 the cookie to present there.
public struct LoginReply {
    public var screenName: UnsafeRawBufferPointer?
    public var bosAddress: UnsafeRawBufferPointer?
    public var cookie: UnsafeRawBufferPointer?
    public var errorCode: UInt16?
    public var errorURL: UnsafeRawBufferPointer?
    /// TLV 9 on channel 4: the server disconnects this session (e.g. 1 = signed on elsewhere).
    public var disconnectReason: UInt16?
    public var tlvCount: Int

    static func decode(_ data: UnsafeRawBufferPointer, from offset: Int = 0) -> LoginReply {
        var result = LoginReply(tlvCount: 0)
        var tlvs = TLVIterator(data, from: offset)
        while let tlv = tlvs.next() {
            result.tlvCount += 1
            switch tlv.type {
            case 0x0001: result.screenName = tlv.value
            case 0x0004: result.errorURL = tlv.value
            case 0x0005: result.bosAddress = tlv.value
            case 0x0006: result.cookie = tlv.value
            case 0x0008: result.errorCode = tlv.u16
            case 0x0009: result.disconnectReason = tlv.u16
            default: break
            }
        }
        return result
    }

    /// The BOS port named in TLV 5 ("host:port"); 5190 when the address names no port.
    public var bosPort: UInt16? { bosAddress.map(ServerAddress.port) }
}

/// SNAC(01,05): where a requested service lives (TLV 0x0D family, TLV 5 address, TLV 6 cookie).
public struct ServiceRedirect {
    public var family: UInt16?
    public var address: UnsafeRawBufferPointer?
    public var cookie: UnsafeRawBufferPointer?

    static func decode(_ data: UnsafeRawBufferPointer, from offset: Int) -> ServiceRedirect {
        var result = ServiceRedirect()
        var tlvs = TLVIterator(data, from: offset)
        while let tlv = tlvs.next() {
            switch tlv.type {
            case 0x000D: result.family = tlv.u16
            case 0x0005: result.address = tlv.value
            case 0x0006: result.cookie = tlv.value
            default: break
            }
        }
        return result
    }

    public var port: UInt16? { address.map(ServerAddress.port) }
}

/// SNAC(17,02): MD5 login. TLV 1 screen name, TLV 0x25 the MD5 hash (a secret), TLV 0x4C present
/// when the hash is over MD5(password) rather than the password.
public struct MD5Login {
    public var screenName: UnsafeRawBufferPointer?
    public var passwordHash: UnsafeRawBufferPointer?
    public var hashesPasswordMD5: Bool
    public var clientIDString: UnsafeRawBufferPointer?

    static func decode(_ data: UnsafeRawBufferPointer, from offset: Int) -> MD5Login {
        var result = MD5Login(hashesPasswordMD5: false)
        var tlvs = TLVIterator(data, from: offset)
        while let tlv = tlvs.next() {
            switch tlv.type {
            case 0x0001: result.screenName = tlv.value
            case 0x0025: result.passwordHash = tlv.value
            case 0x004C: result.hashesPasswordMD5 = true
            case 0x0003: result.clientIDString = tlv.value
            default: break
            }
        }
        return result
    }
}

/// "host[:port]" as OSCAR servers write it; the port defaults to 5190.
public enum ServerAddress {
    public static let defaultPort: UInt16 = 5190

    public static func port(_ text: UnsafeRawBufferPointer) -> UInt16 {
        guard let colon = text.lastIndex(of: UInt8(ascii: ":")), colon + 1 < text.count else { return defaultPort }
        var value = 0
        for i in (colon + 1)..<text.count {
            let c = text[i]
            guard c >= 0x30, c <= 0x39 else { return defaultPort }
            value = value * 10 + Int(c - 0x30)
            if value > 65535 { return defaultPort }
        }
        return UInt16(value)
    }

    /// A host written as a dotted IPv4 address ("10.78.1.2"); nil for a name or anything else.
    public static func ipv4(_ text: UnsafeRawBufferPointer) -> IPAddress? {
        var value: UInt32 = 0, octet = 0, digits = 0, dots = 0
        for c in text {
            if c == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | UInt32(octet)
                octet = 0; digits = 0; dots += 1
            } else if c >= 0x30, c <= 0x39 {
                octet = octet * 10 + Int(c - 0x30)
                digits += 1
                guard octet <= 255, digits <= 3 else { return nil }
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        return IPAddress(ipv4: value << 8 | UInt32(octet))
    }

    /// The host part (before the last colon), as a view.
    public static func host(_ text: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let colon = text.lastIndex(of: UInt8(ascii: ":")) else { return text }
        return UnsafeRawBufferPointer(rebasing: text[..<colon])
    }
}

/// The ICQ 2000 "roasting" of the channel-1 password: XOR with a fixed 16-byte key.
public enum PasswordRoasting {
    public static let key: [UInt8] = [0xF3, 0x26, 0x81, 0xC4, 0x39, 0x86, 0xDB, 0x92,
                                      0x71, 0xA3, 0xB9, 0xE6, 0x53, 0x7A, 0x95, 0x7C]

    /// The clear password; only for output with secrets revealed (allocates the string).
    public static func unroast(_ roasted: UnsafeRawBufferPointer) -> String {
        var bytes = [UInt8](repeating: 0, count: roasted.count)
        for i in 0..<roasted.count { bytes[i] = roasted[i] ^ key[i % 16] }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// How output shows the secrets OSCAR carries (the roasted password of channel 1, the MD5 hash
/// of SNAC(17,02)): masked unless the user asked to reveal secrets. Allocates: output only.
public enum OSCARSecret {
    public static let mask = "********"

    /// The clear password when revealed, else the mask.
    public static func password(roasted: UnsafeRawBufferPointer, reveal: Bool) -> String {
        reveal ? PasswordRoasting.unroast(roasted) : mask
    }

    /// The hash in hex when revealed, else the mask.
    public static func hash(_ bytes: UnsafeRawBufferPointer, reveal: Bool) -> String {
        guard reveal else { return mask }
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
