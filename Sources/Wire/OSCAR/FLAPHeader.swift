import Bytes

/// The 6-byte FLAP header that frames every OSCAR PDU (all big-endian):
/// `2A`, channel, sequence number, data length. Wireshark: `aim.channel`, `aim.seqno`, `aim.datalen`.
public struct FLAPHeader: Sendable, Equatable {
    public static let startMarker: UInt8 = 0x2A
    public static let length = 6

    public var channel: UInt8
    public var sequence: UInt16
    public var dataLength: Int

    /// Length of the whole PDU, header included (Wireshark `get_aim_pdu_len`).
    @inlinable public var pduLength: Int { Self.length + dataLength }

    public init(channel: UInt8, sequence: UInt16, dataLength: Int) {
        self.channel = channel
        self.sequence = sequence
        self.dataLength = dataLength
    }

    /// Reads a header at `offset`, or nil when fewer than 6 bytes remain, the start marker is
    /// missing, or the channel is outside 1...5.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) -> FLAPHeader? {
        guard offset >= 0, bytes.count - offset >= length, bytes[offset] == startMarker else { return nil }
        let channel = bytes[offset + 1]
        guard FLAPChannel.isValid(channel) else { return nil }
        return FLAPHeader(channel: channel, sequence: bytes.u16BE(at: offset + 2),
                          dataLength: Int(bytes.u16BE(at: offset + 4)))
    }
}

/// FLAP channel numbers.
public enum FLAPChannel {
    public static let signOn: UInt8 = 1
    public static let snac: UInt8 = 2
    public static let error: UInt8 = 3
    public static let signOff: UInt8 = 4
    public static let keepAlive: UInt8 = 5

    @inlinable public static func isValid(_ channel: UInt8) -> Bool { channel >= 1 && channel <= 5 }

    public static func name(_ channel: UInt8) -> StaticString {
        switch channel {
        case signOn: "New Connection"
        case snac: "SNAC Data"
        case error: "FLAP-Level Error"
        case signOff: "Close Connection"
        case keepAlive: "Keep Alive"
        default: "Unknown"
        }
    }
}
