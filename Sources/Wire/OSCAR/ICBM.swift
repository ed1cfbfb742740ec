import Bytes

/// Family 4 (ICBM) message SNACs: (04,06) outgoing, (04,07) incoming, (04,0B) client error /
/// auto-response, (04,0C) server ack, (04,14) typing notification.
/// All start with an 8-byte cookie and a u16 channel; then a screen name (u8 length + name), or
/// for (04,07) a whole user info block; then a TLV chain.
public struct ICBMMessage {
    public var cookie: UInt64
    /// ICBM channel: 1 plain text, 2 rendezvous, 4 ICQ-style message.
    /// Wireshark `aim_messaging.channelid`.
    public var channel: UInt16
    public var screenName: UnsafeRawBufferPointer
    /// The peer's presence, from the sender info block of (04,07).
    public var sender: PresenceTLVs?
    /// Message text: channel 1 TLV 2 fragment 1, channel 4 TLV 5 LNTS, channel 2 ICQ
    /// server-relay extension data (TLV 0x2711). A view: decode at output.
    public var text: UnsafeRawBufferPointer?
    /// Channel 1: the charset of the text fragment (0 ASCII, 2 UCS-2BE, 3 ISO-8859-1).
    public var charset: UInt16?
    /// Channel 2 and 4: the ICQ message type (1 plain, 4 URL, …).
    public var icqMessageType: UInt8?
    public var rendezvous: Rendezvous?
    /// Channel 4: the sender's UIN as carried (u32 LE) inside TLV 5.
    public var icqSenderUIN: UInt32?
    /// (04,14): typing notification type (0 finished, 1 typed, 2 begun).
    public var typingNotification: UInt16?

    static func decode(_ data: UnsafeRawBufferPointer, from offset: Int, subtype: UInt16) -> ICBMMessage? {
        var reader = ByteReader(data, position: offset)
        guard let cookie = reader.readU64BE(), let channel = reader.readU16BE() else { return nil }
        var result: ICBMMessage
        if subtype == 0x0007 {
            guard let info = UserInfoBlock.decode(data, at: reader.position) else { return nil }
            result = ICBMMessage(cookie: cookie, channel: channel, screenName: info.screenName, sender: info.presence)
            reader.position = info.end
        } else {
            guard let length = reader.readU8(), let name = reader.readBytes(Int(length)) else { return nil }
            result = ICBMMessage(cookie: cookie, channel: channel, screenName: name)
        }
        switch subtype {
        case 0x0006, 0x0007: break
        case 0x0014:
            result.typingNotification = reader.readU16BE()
            return result
        default:
            return result
        }
        var tlvs = TLVIterator(data, from: reader.position)
        while let tlv = tlvs.next() {
            switch (channel, tlv.type) {
            case (1, 0x0002): result.readTextFragments(tlv.value)
            case (2, 0x0005): result.rendezvous = Rendezvous.decode(tlv.value, into: &result)
            case (4, 0x0005): result.readICQMessage(tlv.value)
            default: break
            }
        }
        return result
    }

    /// Channel 1 TLV 2: fragments {u8 id, u8 version, u16 length, data}; id 1 is the text
    /// (u16 charset, u16 subset, text).
    mutating func readTextFragments(_ value: UnsafeRawBufferPointer) {
        var reader = ByteReader(value)
        while let id = reader.readU8(), reader.skip(1), let length = reader.readU16BE(),
              let fragment = reader.readBytes(Int(length)) {
            if id == 1, fragment.count >= 4 {
                charset = fragment.u16BE(at: 0)
                text = UnsafeRawBufferPointer(rebasing: fragment[4...])
                return
            }
        }
    }

    /// Channel 4 TLV 5: sender UIN u32 LE, type u8, flags u8, LNTS text (u16 LE length incl. NUL).
    mutating func readICQMessage(_ value: UnsafeRawBufferPointer) {
        var reader = ByteReader(value)
        guard let uin = reader.readU32LE(), let type = reader.readU8(), reader.skip(1),
              let length = reader.readU16LE(), let body = reader.readBytes(Int(length)) else { return }
        icqSenderUIN = uin
        icqMessageType = type
        text = LNTS.trimNUL(body)
    }
}

/// ICBM channel 2, TLV 5: a rendezvous proposal (file transfer, direct connection, or an ICQ
/// message relayed through the server). TLVs 3 and 4 are the proposer's internal and external
/// IP, TLV 5 the port it listens on.
public struct Rendezvous {
    /// 0 propose, 1 cancel, 2 accept. Wireshark `aim_messaging.rendezvous.msg_type`.
    public var messageType: UInt16
    public var cookie: UInt64
    public var capability: UnsafeRawBufferPointer
    public var internalAddress: IPAddress?
    public var externalAddress: IPAddress?
    public var port: UInt16?
    public var hasExtensionData = false

    static func decode(_ value: UnsafeRawBufferPointer, into message: inout ICBMMessage) -> Rendezvous? {
        var reader = ByteReader(value)
        guard let type = reader.readU16BE(), let cookie = reader.readU64BE(),
              let capability = reader.readBytes(16) else { return nil }
        var result = Rendezvous(messageType: type, cookie: cookie, capability: capability)
        var tlvs = TLVIterator(value, from: reader.position)
        while let tlv = tlvs.next() {
            switch tlv.type {
            case 0x0003 where tlv.length >= 4: result.internalAddress = .ipv4(tlv.value, at: 0)
            case 0x0004 where tlv.length >= 4: result.externalAddress = .ipv4(tlv.value, at: 0)
            case 0x0005: result.port = tlv.u16
            case 0x2711:
                result.hasExtensionData = true
                Self.readServerRelayMessage(tlv.value, into: &message)
            default: break
            }
        }
        return result
    }

    /// TLV 0x2711 of the ICQ server-relay capability: u16 LE length + header, u16 LE length +
    /// header, then type u8, flags u8, status u16 LE, priority u16 LE, LNTS text (all LE).
    static func readServerRelayMessage(_ value: UnsafeRawBufferPointer, into message: inout ICBMMessage) {
        var reader = ByteReader(value)
        guard let first = reader.readU16LE(), reader.skip(Int(first)),
              let second = reader.readU16LE(), reader.skip(Int(second)),
              let type = reader.readU8(), reader.skip(1 + 2 + 2),
              let length = reader.readU16LE(), let body = reader.readBytes(Int(length)) else { return }
        message.icqMessageType = type
        message.text = LNTS.trimNUL(body)
    }
}

/// Little-endian NUL-terminated strings of the ICQ protocols.
public enum LNTS {
    /// The bytes without a trailing NUL.
    @inlinable
    public static func trimNUL(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        if let last = bytes.last, last == 0 { return UnsafeRawBufferPointer(rebasing: bytes.dropLast()) }
        return bytes
    }
}
