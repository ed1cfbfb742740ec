import Bytes

/// SNAC(15,02) request / (15,03) reply: TLV 1 carries a little-endian ICQ packet:
/// u16 chunk size, u32 owner UIN, u16 request type, u16 request sequence, then data
/// (for 0x07D0 / 0x07DA meta: a u16 subcommand). Wireshark: `aim_icq.chunk_size`,
/// `aim_icq.owner_uid`, `aim_icq.request_type`, `aim_icq.request_seq_number`, `aim_icq.subtype`.
public struct ICQExtension {
    public var chunkSize: UInt16
    public var ownerUIN: UInt32
    public var requestType: UInt16
    public var requestSequence: UInt16
    public var metaSubtype: UInt16?
    /// Bytes after the meta subtype (or after the sequence), a view.
    public var data: UnsafeRawBufferPointer

    public static let offlineMessagesRequest: UInt16 = 0x003C
    public static let deleteOfflineMessages: UInt16 = 0x003E
    public static let offlineMessage: UInt16 = 0x0041
    public static let endOfOfflineMessages: UInt16 = 0x0042
    public static let metaRequest: UInt16 = 0x07D0
    public static let metaReply: UInt16 = 0x07DA

    static func decode(_ data: UnsafeRawBufferPointer, from offset: Int) -> ICQExtension? {
        guard let tlv = TLVIterator.first(0x0001, in: data, from: offset) else { return nil }
        var reader = ByteReader(tlv.value)
        guard let size = reader.readU16LE(), let owner = reader.readU32LE(), let type = reader.readU16LE(),
              let sequence = reader.readU16LE() else { return nil }
        var result = ICQExtension(chunkSize: size, ownerUIN: owner, requestType: type, requestSequence: sequence,
                                  data: reader.rest)
        if type == Self.metaRequest || type == Self.metaReply, let sub = reader.readU16LE() {
            result.metaSubtype = sub
            result.data = reader.rest
        }
        return result
    }

    public var requestTypeName: StaticString {
        switch requestType {
        case Self.offlineMessagesRequest: "Offline Message Request"
        case Self.deleteOfflineMessages: "Offline Messages Delete"
        case Self.offlineMessage: "Offline Message"
        case Self.endOfOfflineMessages: "End Of Offline Messages"
        case Self.metaRequest: "Meta Request"
        case Self.metaReply: "Meta Reply"
        default: "Unknown"
        }
    }
}
