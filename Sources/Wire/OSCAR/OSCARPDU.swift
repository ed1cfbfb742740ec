import Bytes

/// One decoded FLAP and what it carries. Holds views into bytes borrowed from the stream: use it
/// (format it, copy the few values you keep) before handing the stream the next packet.
public struct OSCARPDU {
    public var flap: FLAPHeader
    /// The FLAP data (after the 6-byte header).
    public var data: UnsafeRawBufferPointer
    public var snac: SNACHeader?
    /// Offset in `data` where the SNAC body starts (after the header and the optional
    /// version block of flag 0x8000).
    public var snacBodyOffset: Int
    public var body: OSCARBody
    /// Set when the FLAP or the message inside it is shorter or stranger than its lengths say.
    public var malformation: Malformation?

    /// Decodes one complete FLAP: `pdu` holds exactly the header and `dataLength` bytes.
    public static func decode(_ pdu: UnsafeRawBufferPointer) -> OSCARPDU? {
        guard let header = FLAPHeader.parse(pdu), pdu.count >= header.pduLength else { return nil }
        let data = UnsafeRawBufferPointer(rebasing: pdu[FLAPHeader.length..<header.pduLength])
        var result = OSCARPDU(flap: header, data: data, snac: nil, snacBodyOffset: 0, body: .none)
        switch header.channel {
        case FLAPChannel.signOn:
            if let signOn = SignOn.decode(data) {
                result.body = .signOn(signOn)
            } else if !data.isEmpty {
                result.malformation = Malformation(.oscar, at: FLAPHeader.length, "sign-on shorter than the FLAP version")
            }
        case FLAPChannel.signOff:
            result.body = .signOff(LoginReply.decode(data))
        case FLAPChannel.keepAlive:
            result.body = .keepAlive
        case FLAPChannel.error:
            result.body = .flapError
        default:
            result.decodeSNAC()
        }
        return result
    }

    mutating func decodeSNAC() {
        guard let snac = SNACHeader.parse(data) else {
            malformation = Malformation(.oscar, at: FLAPHeader.length, "SNAC header truncated")
            return
        }
        self.snac = snac
        var bodyOffset = SNACHeader.length
        if snac.flags & SNACHeader.flagContainsVersion != 0 {
            guard data.count >= bodyOffset + 2 else {
                malformation = Malformation(.oscar, at: FLAPHeader.length + bodyOffset, "SNAC version block truncated")
                return
            }
            let skip = Int(data.u16BE(at: bodyOffset))
            guard data.count >= bodyOffset + 2 + skip else {
                malformation = Malformation(.oscar, at: FLAPHeader.length + bodyOffset, "SNAC version block truncated")
                return
            }
            bodyOffset += 2 + skip
        }
        snacBodyOffset = bodyOffset
        body = OSCARBody.decode(snac: snac, data: data, from: bodyOffset)
        if case .malformed(let reason) = body {
            malformation = Malformation(.oscar, at: FLAPHeader.length + bodyOffset, reason)
        }
    }
}

/// The message a FLAP carries, for the messages that matter to a firewall admin.
public enum OSCARBody {
    /// Not decoded beyond the headers.
    case none
    /// Channel 1: sign-on (FLAP version, login ident or cookie).
    case signOn(SignOn)
    /// Channel 4: the authorizer's reply (BOS address, cookie or error) or a sign-off.
    case signOff(LoginReply)
    /// Channel 5.
    case keepAlive
    /// Channel 3.
    case flapError
    /// (01,04): the family of the service the client asks for.
    case serviceRequest(family: UInt16)
    /// (01,05): the service's address and cookie.
    case redirect(ServiceRedirect)
    /// (01,07).
    case rateInfo(RateInfo)
    /// (01,1E): own status and DC info.
    case setStatus(PresenceTLVs)
    /// (01,0F) own info, (02,06) user info, (03,0B) buddy arrived, (03,0C) buddy departed.
    case userInfo(UserInfoList)
    /// (04,06), (04,07), (04,0B), (04,0C), (04,14).
    case icbm(ICBMMessage)
    /// (13,06) list; (13,08), (13,09), (13,0A) item edits.
    case ssi(SSIList)
    /// (13,0E).
    case ssiAck(SSIAck)
    /// (15,02), (15,03).
    case icq(ICQExtension)
    /// (17,02).
    case md5Login(MD5Login)
    /// (17,03).
    case loginReply(LoginReply)
    /// (17,06): key request for this screen name.
    case md5KeyRequest(screenName: UnsafeRawBufferPointer?)
    /// (17,07): the key (u16 length + key).
    case md5Key(UnsafeRawBufferPointer)
    /// The SNAC is one we decode, but its body is shorter or stranger than its lengths say.
    case malformed(StaticString)

    static func decode(snac: SNACHeader, data: UnsafeRawBufferPointer, from offset: Int) -> OSCARBody {
        // Subtype 1 is an error in every family; its body is an error code, not the message.
        if snac.subtype == 0x0001 { return .none }
        switch (snac.family, snac.subtype) {
        case (0x0001, 0x0004):
            guard data.count - offset >= 2 else { return .malformed("service request truncated") }
            return .serviceRequest(family: data.u16BE(at: offset))
        case (0x0001, 0x0005):
            return .redirect(ServiceRedirect.decode(data, from: offset))
        case (0x0001, 0x0007):
            guard let info = RateInfo.decode(data, from: offset) else { return .malformed("rate info truncated") }
            return .rateInfo(info)
        case (0x0001, 0x001E):
            return .setStatus(PresenceTLVs.chain(data, from: offset))
        case (0x0001, 0x000F), (0x0002, 0x0006), (0x0003, 0x000B), (0x0003, 0x000C):
            let many = snac.family == 0x0003
            guard let list = UserInfoList.decode(data, from: offset, many: many) else {
                return .malformed("user info block truncated")
            }
            return .userInfo(list)
        case (0x0004, 0x0006), (0x0004, 0x0007), (0x0004, 0x000B), (0x0004, 0x000C), (0x0004, 0x0014):
            guard let message = ICBMMessage.decode(data, from: offset, subtype: snac.subtype) else {
                return .malformed("ICBM header truncated")
            }
            return .icbm(message)
        case (0x0013, 0x0006), (0x0013, 0x0008), (0x0013, 0x0009), (0x0013, 0x000A):
            guard let list = SSIList.decode(data, from: offset, isList: snac.subtype == 0x0006) else {
                return .malformed("SSI list truncated")
            }
            return .ssi(list)
        case (0x0013, 0x000E):
            return .ssiAck(SSIAck(codes: UnsafeRawBufferPointer(rebasing: data[offset...])))
        case (0x0015, 0x0002), (0x0015, 0x0003):
            guard let icq = ICQExtension.decode(data, from: offset) else { return .malformed("ICQ TLV 1 truncated") }
            return .icq(icq)
        case (0x0017, 0x0002):
            return .md5Login(MD5Login.decode(data, from: offset))
        case (0x0017, 0x0003):
            return .loginReply(LoginReply.decode(data, from: offset))
        case (0x0017, 0x0006):
            return .md5KeyRequest(screenName: TLVIterator.first(0x0001, in: data, from: offset)?.value)
        case (0x0017, 0x0007):
            var reader = ByteReader(data, position: offset)
            guard let length = reader.readU16BE(), let key = reader.readBytes(Int(length)) else {
                return .malformed("MD5 key truncated")
            }
            return .md5Key(key)
        default:
            return .none
        }
    }
}
