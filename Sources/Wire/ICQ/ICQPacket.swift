import Bytes

/// Which way a classic ICQ datagram travels. The two directions have different header forms and
/// different command tables.
public enum ICQDirection: Sendable, Equatable {
    case clientToServer
    case serverToClient

    /// "C→S" / "S→C", for one-line summaries.
    public var arrow: StaticString {
        switch self {
        case .clientToServer: "C→S"
        case .serverToClient: "S→C"
        }
    }
}

/// A classic ICQ header of any version (docs/protocol.md#classic-headers). Fields a version does
/// not carry are nil; everything is held by value.
public struct ICQHeader: Sendable, Equatable {
    public var version: UInt8
    public var direction: ICQDirection
    public var command: UInt16
    public var seq1: UInt16
    /// Absent in v2, which has a single sequence number (held in `seq1`).
    public var seq2: UInt16?
    /// The client's UIN; the v2 server header has none.
    public var uin: UInt32?
    /// v5 only.
    public var sessionID: UInt32?
    /// As on the wire, as Wireshark's `icq.checkcode` shows it: scrambled in a v5 client packet,
    /// plain in a v5 server packet and in v3/v4.
    public var checkcode: UInt32?
    /// v4 only: the RANDOM field.
    public var random: UInt16?
    /// Header length in bytes; the parameters start here.
    public var length: Int

    public init(
        version: UInt8, direction: ICQDirection, command: UInt16, seq1: UInt16, seq2: UInt16?,
        uin: UInt32?, sessionID: UInt32?, checkcode: UInt32?, random: UInt16? = nil, length: Int
    ) {
        self.version = version
        self.direction = direction
        self.command = command
        self.seq1 = seq1
        self.seq2 = seq2
        self.uin = uin
        self.sessionID = sessionID
        self.checkcode = checkcode
        self.random = random
        self.length = length
    }

    /// The command's name in the table of this direction, or nil for an unknown code.
    public var commandName: StaticString? {
        ICQCommandNames.name(command, direction: direction, version: version)
    }
}

/// A string inside the packet bytes: offset and length, without the LNTS length prefix and
/// without the terminating NUL. Converted to text (Windows-1252) only at output.
public struct ICQText: Sendable, Equatable {
    public var offset: Int
    public var length: Int

    public init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }

    public static let empty = ICQText(offset: 0, length: 0)

    /// The raw bytes, borrowed from `bytes` (the packet's plaintext).
    @inlinable
    public func bytes(in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
    }
}

/// CMD_LOGIN (docs/protocol.md#cmd-login). v5 has TIME first; v2 and v3 start with the port.
public struct ICQLogin: Sendable, Equatable {
    public var time: UInt32?
    /// The TCP port the client listens on for direct connections (0: none).
    public var tcpPort: UInt32
    /// A secret: masked at output unless secrets are revealed.
    public var password: ICQText
    public var x1: UInt32
    /// The LAN address the client reports for itself. Read in network order as the reference
    /// and Wireshark do; mICQ writes it byte-swapped (127.0.0.1 appears as 1.0.0.127).
    public var lanIP: IPAddress
    public var connectionMode: UInt8
    public var status: UInt32
    /// The direct-connection (TCP) protocol version, when present.
    public var dcVersion: UInt32?
}

/// SRV_LOGIN_REPLY (docs/protocol.md#srv-login-reply): the address the server sees.
public struct ICQLoginReply: Sendable, Equatable {
    public var externalIP: IPAddress
    /// v3/v5 body+4, the keep-alive interval in seconds minus 10 in iserverd's layout; its
    /// meaning for Mirabilis servers is uncertain (docs/flow-semantics.md#keepalive). nil for v2.
    public var keepAliveHint: UInt16?
}

/// SRV_USER_ONLINE (docs/protocol.md#srv-user-online) and SRV_RAND_USER, which share the first fields.
public struct ICQUserOnline: Sendable, Equatable {
    public var uin: UInt32
    public var externalIP: IPAddress
    /// The peer's advertised direct-connection TCP port (a u32 whose upper half is 0).
    public var tcpPort: UInt32
    public var lanIP: IPAddress
    public var connectionMode: UInt8
    public var status: UInt32?
    public var dcVersion: UInt32?
}

/// Messages: CMD_SEND_MESSAGE / CMD_MSG_TO_NEW_USER (to `uin`), SRV_SYS_DELIVERED_MESS and
/// SRV_RECV_MESSAGE (from `uin`).
public struct ICQMessage: Sendable, Equatable {
    public var uin: UInt32
    public var type: UInt16
    public var text: ICQText
    /// SRV_RECV_MESSAGE only: when the message was sent (year, month, day, hour, minute).
    public var sentYear: UInt16?
    public var sentMonth: UInt8 = 0
    public var sentDay: UInt8 = 0
    public var sentHour: UInt8 = 0
    public var sentMinute: UInt8 = 0
}

/// A count-prefixed list of UINs (CMD_CONTACT_LIST, CMD_VIS_LIST, CMD_INVIS_LIST).
public struct ICQUINList: Sendable, Equatable {
    public var count: Int
    /// Offset of the first UIN; each is a u32 LE.
    public var offset: Int

    public func uin(at index: Int, in bytes: UnsafeRawBufferPointer) -> UInt32 {
        bytes.u32LE(at: offset + 4 * index)
    }
}

/// CMD_META_USER / SRV_META_USER (docs/protocol.md#meta).
public struct ICQMeta: Sendable, Equatable {
    public var subcommand: UInt16
    /// Server only: 0x0A success, 0x32 failure.
    public var result: UInt8?
    public var dataOffset: Int
}

/// CMD_SEARCH_USER, SRV_USER_FOUND, SRV_INFO_REPLY: nick, first, last, e-mail.
public struct ICQUserRecord: Sendable, Equatable {
    public var uin: UInt32?
    public var nick: ICQText
    public var first: ICQText
    public var last: ICQText
    public var email: ICQText
    public var authorization: UInt8?
}

/// SRV_MULTI_PACKET: `count` entries of {u16 length, a complete server packet}. The lengths were
/// checked to fit at decode time; `ICQDecoder.forEachInnerPacket` decodes the entries.
public struct ICQMultiPacket: Sendable, Equatable {
    public var count: Int
    public var firstEntryOffset: Int
}

/// CMD_TCP_REQUEST / SRV_TCP_REQUEST: only the first three fields are decoded; the rest of the
/// layout is uncertain (docs/protocol.md#open-questions, 4).
public struct ICQTCPRequest: Sendable, Equatable {
    public var uin: UInt32
    public var ip: IPAddress
    public var port: UInt32
}

/// The decoded parameters of a packet. Offsets are into the packet's plaintext bytes.
public enum ICQBody: Sendable, Equatable {
    /// The command has no parameters.
    case none
    /// Parameters are present but their layout is not decoded for this command and version.
    case undecoded
    /// The random filler of CMD_ACK, CMD_KEEP_ALIVE(2), CMD_LOGIN_1 and CMD_ACK_MESSAGES (which
    /// mICQ/climm send as 2 bytes, Wireshark reads as 4: both are accepted).
    case random(UInt32?)
    case login(ICQLogin)
    case loginReply(ICQLoginReply)
    case userOnline(ICQUserOnline)
    case userOffline(uin: UInt32)
    /// CMD_STATUS_CHANGE (uin nil) and SRV_STATUS_UPDATE.
    case status(uin: UInt32?, status: UInt32)
    case uinList(ICQUINList)
    case message(ICQMessage)
    /// CMD_SEND_TEXT_CODE ("B_USER_DISCONNECTED" = log off) and SRV_LOGIN_ERR.
    case textCode(text: ICQText, x1: UInt16?)
    case meta(ICQMeta)
    case userRecord(ICQUserRecord)
    /// CMD_SEARCH_UIN, CMD_INFO_REQ, CMD_EXT_INFO_REQ, CMD_ADD_TO_LIST, SRV_INVALID_UIN.
    case uin(UInt32)
    case endOfSearch(more: UInt8)
    case multi(ICQMultiPacket)
    case tcpRequest(ICQTCPRequest)
}

/// One decoded classic ICQ packet.
///
/// `bytes` is the packet's plaintext, borrowed: for a v5 client or v4 packet it is the decoder's
/// scratch buffer (valid until the decoder's next call), otherwise the UDP payload itself (valid
/// as long as the frame is). Text views in the body are offsets into it.
public struct ICQPacket {
    public var header: ICQHeader
    public var body: ICQBody
    public var bytes: UnsafeRawBufferPointer
    /// Whether the checkcode fits the packet: v5 both directions, v4 client (algorithm not
    /// verified against a real v4 capture). nil where it cannot be checked (v2, v3).
    public var checkcodeValid: Bool?
    /// v5 client: the unscrambled checkcode and the XOR key derived from it.
    public var plainCheckcode: UInt32?
    public var key: UInt32?

    public var commandName: StaticString? { header.commandName }
}

/// What the classifier concluded about one UDP payload.
public enum ICQClassification {
    case icq(ICQPacket)
    /// The datagram has ICQ's shape but is damaged: too short, a failed v5 client checkcode, a
    /// body whose lengths overrun. `header` holds what could be read. The malformation's offset
    /// is relative to the UDP payload (add the payload offset for the frame).
    case malformed(Malformation, header: ICQHeader?)
    case notICQ

    public var packet: ICQPacket? {
        if case .icq(let p) = self { return p }
        return nil
    }

    public var isICQ: Bool { packet != nil }

    public var isNotICQ: Bool {
        if case .notICQ = self { return true }
        return false
    }

    public var malformation: Malformation? {
        if case .malformed(let m, _) = self { return m }
        return nil
    }
}
