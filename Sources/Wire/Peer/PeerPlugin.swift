/// The plugins a classic peer-to-peer plugin message (type 0x1A, TCP v7/v8) names by the 16-byte
/// GUID at the start of its plugin header (docs/protocol.md#peer-plugins). GUIDs from Alexandr
/// Shutko's OSCAR documentation (`plugins.html`, in registry form), written here as they are on the
/// wire: the Windows GUID layout, first three groups little-endian. Licq's `PLUGIN_*` and the
/// chat and file GUIDs Licq and climm write, and the message GUID of a real ICQ 2003b packet,
/// match this table byte for byte.
public enum PeerPlugin: UInt8, Sendable, CaseIterable {
    case message, fileTransfer, chat, url, contacts, sms, phoneInfo, statusManager, infoManager
    /// ICQ's "External plugin": the one that starts an external application (voice, video,
    /// games) with an online user, the firewall guide's "Voice/Video/games" menu.
    case external
    case voiceMessage, ircq

    /// The plugin named by `guid` (16 bytes as on the wire), or nil for one not in the table.
    public static func identify(_ guid: UnsafeRawBufferPointer) -> PeerPlugin? {
        guard guid.count == 16 else { return nil }
        // The table is built once; identifying a plugin allocates nothing.
        return guids.firstIndex { $0.elementsEqual(guid) }.flatMap { PeerPlugin(rawValue: UInt8($0)) }
    }

    static let guids: [[UInt8]] = allCases.map(\.wireGUID)

    /// Shutko's name for the plugin.
    public var name: StaticString {
        switch self {
        case .message: "Message plugin"
        case .fileTransfer: "File transfer plugin"
        case .chat: "Chat plugin"
        case .url: "URL plugin"
        case .contacts: "Send contact list plugin"
        case .sms: "SMS plugin"
        case .phoneInfo: "Phone info plugin"
        case .statusManager: "Status manager plugin"
        case .infoManager: "Info manager plugin"
        case .external: "External plugin"
        case .voiceMessage: "Voice message plugin"
        case .ircq: "IRCQ plugin"
        }
    }

    /// The plugin as a field value names it (`icq.peer.plugin_guid_name`).
    public var id: StaticString {
        switch self {
        case .message: "message"
        case .fileTransfer: "file_transfer"
        case .chat: "chat"
        case .url: "url"
        case .contacts: "contacts"
        case .sms: "sms"
        case .phoneInfo: "phone_info"
        case .statusManager: "status_manager"
        case .infoManager: "info_manager"
        case .external: "external"
        case .voiceMessage: "voice_message"
        case .ircq: "ircq"
        }
    }

    /// Whether the plugin starts an external application in the guide's sense.
    public var isExternalApplication: Bool { self == .external }

    /// The GUID as on the wire.
    public var guid: [UInt8] { Self.guids[Int(rawValue)] }

    private var wireGUID: [UInt8] {
        switch self {
        case .message: Self.wire(0x05736BBE, 0xC20F, 0x4F10, [0xA6, 0xDE, 0x4D, 0xB1, 0xE3, 0x56, 0x4B, 0x0E])
        case .fileTransfer: Self.wire(0xD9122DF0, 0x9130, 0x11D3, [0x8D, 0xD7, 0x00, 0x10, 0x4B, 0x06, 0x46, 0x2E])
        case .chat: Self.wire(0xB220F7BF, 0x8E37, 0x11D4, [0xBD, 0x28, 0x00, 0x04, 0xAC, 0x96, 0xD9, 0x05])
        case .url: Self.wire(0x72581C37, 0x87E9, 0x11D4, [0xA4, 0xC1, 0x00, 0xD0, 0xB7, 0x59, 0xB1, 0xD9])
        case .contacts: Self.wire(0x467D0E2A, 0x7676, 0x11D4, [0xBC, 0xE6, 0x00, 0x04, 0xAC, 0x96, 0x1E, 0xA6])
        case .sms: Self.wire(0x00F6280E, 0xE711, 0x11D3, [0xBC, 0xF3, 0x00, 0x04, 0xAC, 0x96, 0x9D, 0xC2])
        case .phoneInfo: Self.wire(0x2C217C90, 0x4D91, 0x11D3, [0xAD, 0xEB, 0x00, 0x04, 0xAC, 0x96, 0xAA, 0xB2])
        case .statusManager: Self.wire(0xD140CF10, 0xE94F, 0x11D3, [0xBC, 0xD2, 0x00, 0x04, 0xAC, 0x96, 0xDD, 0x96])
        case .infoManager: Self.wire(0x373FE9A0, 0xE94F, 0x11D3, [0xBC, 0xD2, 0x00, 0x04, 0xAC, 0x96, 0xDD, 0x96])
        case .external: Self.wire(0x393436BC, 0x07A4, 0x40A2, [0x90, 0x0C, 0x35, 0xA9, 0xF0, 0x03, 0xBE, 0x09])
        case .voiceMessage: Self.wire(0xC031D0D1, 0x312C, 0x11D2, [0x8A, 0x09, 0x00, 0x10, 0x4B, 0x9B, 0x48, 0xAB])
        case .ircq: Self.wire(0x1CC913A1, 0x7E1E, 0x11D2, [0xAC, 0x9F, 0x00, 0x10, 0x4B, 0xBC, 0x2B, 0x53])
        }
    }

    /// {AAAAAAAA-BBBB-CCCC-DDDD-DDDDDDDDDDDD} as Windows stores it: A, B and C little-endian.
    static func wire(_ a: UInt32, _ b: UInt16, _ c: UInt16, _ d: [UInt8]) -> [UInt8] {
        [UInt8(a & 0xFF), UInt8(a >> 8 & 0xFF), UInt8(a >> 16 & 0xFF), UInt8(a >> 24),
         UInt8(b & 0xFF), UInt8(b >> 8), UInt8(c & 0xFF), UInt8(c >> 8)] + d
    }
}
