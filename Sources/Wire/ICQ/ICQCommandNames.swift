/// Names of every command code of docs/protocol.md#classic-client-commands and
/// #classic-server-commands, as static strings: looking a name up allocates nothing. Where sources
/// disagree on a name, Wireshark's is used (so users can move between the tools); the numbers are
/// what matter (docs/protocol.md#open-questions, 8).
public enum ICQCommandNames {
    /// Client → server commands shared by v2–v5.
    public static func client(_ code: UInt16) -> StaticString? {
        switch code {
        case 0x000A: "CMD_ACK"
        case 0x010E: "CMD_SEND_MESSAGE"
        case 0x015E: "CMD_TCP_REQUEST"
        case 0x03E8: "CMD_LOGIN"
        case 0x03F2: "CMD_GET_DEPS"
        case 0x03FC: "CMD_REG_NEW_USER"
        case 0x0406: "CMD_CONTACT_LIST"
        case 0x041A: "CMD_SEARCH_UIN"
        case 0x0424: "CMD_SEARCH_USER"
        case 0x042E: "CMD_KEEP_ALIVE"
        case 0x0438: "CMD_SEND_TEXT_CODE"
        case 0x0442: "CMD_ACK_MESSAGES"
        case 0x044C: "CMD_LOGIN_1"
        case 0x0456: "CMD_MSG_TO_NEW_USER"
        case 0x0460: "CMD_INFO_REQ"
        case 0x046A: "CMD_EXT_INFO_REQ"
        case 0x049C: "CMD_CHANGE_PW"
        case 0x04A6: "CMD_NEW_USER_INFO"
        case 0x04B0: "CMD_UPDATE_EXT_INFO"
        case 0x04BA: "CMD_QUERY_SERVERS"
        case 0x04C4: "CMD_QUERY_ADDONS"
        case 0x04D8: "CMD_STATUS_CHANGE"
        case 0x04EC: "CMD_NEW_USER_1"
        case 0x050A: "CMD_UPDATE_INFO"
        case 0x0514: "CMD_AUTH_UPDATE"
        case 0x051E: "CMD_KEEP_ALIVE2"
        case 0x0528: "CMD_LOGIN_2"
        case 0x053C: "CMD_ADD_TO_LIST"
        case 0x0564: "CMD_RAND_SET"
        case 0x056E: "CMD_RAND_SEARCH"
        case 0x064A: "CMD_META_USER"
        case 0x06A4: "CMD_INVIS_LIST"
        case 0x06AE: "CMD_VIS_LIST"
        case 0x06B8: "CMD_UPDATE_LIST"
        default: nil
        }
    }

    /// Client commands that only ICQ Groupware (protocol v3) uses (iserverd client.html). The
    /// reference lists their codes with a word of meaning at most; the names are the project's.
    public static func groupwareClient(_ code: UInt16) -> StaticString? {
        switch code {
        case 0x0532: "CMD_GW_STATS"
        case 0x0578, 0x0582, 0x058C, 0x0596, 0x05BE, 0x05F0: "CMD_GW_OTHER"
        case 0x05AA: "CMD_GW_NOTES"
        case 0x05C8: "CMD_GW_SEARCH"
        case 0x05D2: "CMD_GW_FRAGMENT"
        case 0x05DC, 0x05E6: "CMD_GW_REGISTRATION"
        case 0x05FA: "CMD_GW_INFO"
        default: nil
        }
    }

    /// Server → client replies.
    public static func server(_ code: UInt16) -> StaticString? {
        switch code {
        case 0x000A: "SRV_ACK"
        case 0x001E: "SRV_SILENT_TOO_LONG"
        case 0x0028: "SRV_GO_AWAY"
        case 0x0046: "SRV_NEW_UIN"
        case 0x005A: "SRV_LOGIN_REPLY"
        case 0x0064: "SRV_BAD_PASS"
        case 0x006E: "SRV_USER_ONLINE"
        case 0x0078: "SRV_USER_OFFLINE"
        case 0x0082: "SRV_QUERY"
        case 0x008C: "SRV_USER_FOUND"
        case 0x00A0: "SRV_END_OF_SEARCH"
        case 0x00B4: "SRV_NEW_USER"
        case 0x00BE: "SRV_UPDATE_BASIC_FAIL"
        case 0x00C8: "SRV_UPDATE_EXT"
        case 0x00D2: "SRV_UPDATE_DETAIL_FAIL"
        case 0x00DC: "SRV_RECV_MESSAGE"
        case 0x00E6: "SRV_END_OFFLINE_MESSAGES"
        case 0x00F0: "SRV_NOT_CONNECTED"
        case 0x00FA: "SRV_TRY_AGAIN"
        case 0x0104: "SRV_SYS_DELIVERED_MESS"
        case 0x0118: "SRV_INFO_REPLY"
        case 0x0122: "SRV_EXT_INFO_REPLY"
        case 0x012C: "SRV_INVALID_UIN"
        case 0x015E: "SRV_TCP_REQUEST"
        case 0x01A4: "SRV_STATUS_UPDATE"
        case 0x01C2: "SRV_SYSTEM_MESSAGE"
        case 0x01E0: "SRV_UPDATE_SUCCESS"
        case 0x01EA: "SRV_UPDATE_FAIL"
        case 0x01F4: "SRV_AUTH_UPDATE"
        case 0x01FE: "SRV_UPDATED_AUTH"
        case 0x0212: "SRV_MULTI_PACKET"
        case 0x021C: "SRV_END_CONTACTLIST_STATUS"
        case 0x024E: "SRV_RAND_USER"
        case 0x0370: "SRV_LOGIN_ERR"
        case 0x03DE: "SRV_META_USER"
        default: nil
        }
    }

    /// The name of `code` in the table of that direction and version, or nil if unknown.
    public static func name(_ code: UInt16, direction: ICQDirection, version: UInt8) -> StaticString? {
        switch direction {
        case .clientToServer:
            if let n = client(code) { return n }
            return version == 3 ? groupwareClient(code) : nil
        case .serverToClient:
            return server(code)
        }
    }

    /// META sub-commands (docs/protocol.md#meta), client side (CMD_META_USER).
    public static func clientMeta(_ sub: UInt16) -> StaticString? {
        switch sub {
        case 0x03E9, 0x03EA: "META_SET_GENERAL"
        case 0x03F2, 0x03F3: "META_SET_WORK"
        case 0x03FC, 0x03FD: "META_SET_MORE"
        case 0x0406: "META_SET_ABOUT"
        case 0x040B: "META_SET_EMAIL"
        case 0x0410: "META_SET_INTERESTS"
        case 0x041A: "META_SET_AFFILIATIONS"
        case 0x0424: "META_SET_SECURITY"
        case 0x042E: "META_SET_PASSWORD"
        case 0x0442: "META_SET_HOMEPAGE_CATEGORY"
        case 0x04B0, 0x04B1, 0x04B2: "META_REQ_FULL_INFO"
        case 0x04BA: "META_REQ_SHORT_INFO"
        case 0x04C4: "META_UNREGISTER"
        case 0x04CE, 0x04CF, 0x04D0: "META_REQ_OWN_INFO"
        case 0x0514, 0x0515: "META_SEARCH_NAME"
        case 0x051E, 0x051F: "META_SEARCH_UIN"
        case 0x0528, 0x0529: "META_SEARCH_EMAIL"
        case 0x0532, 0x0533: "META_SEARCH_WHITE_PAGES"
        case 0x055F: "META_SEARCH_WHITE_PAGES_TLV"
        case 0x0569: "META_SEARCH_UIN_TLV"
        case 0x06B8: "META_USAGE_STATS"
        case 0x074E: "META_RANDOM_SEARCH"
        case 0x0758: "META_SET_RANDOM_CHAT"
        case 0x07D0: "META_LOGIN"
        case 0x1482: "META_SEND_SMS"
        default: nil
        }
    }

    /// META sub-commands (docs/protocol.md#meta), server side (SRV_META_USER). 0x0190/0x019A follow
    /// Wireshark's labels (iserverd swaps them).
    public static func serverMeta(_ sub: UInt16) -> StaticString? {
        switch sub {
        case 0x0064: "META_SET_GENERAL_ACK"
        case 0x006E: "META_SET_WORK_ACK"
        case 0x0078: "META_SET_MORE_ACK"
        case 0x0082: "META_SET_ABOUT_ACK"
        case 0x008C: "META_SET_INTERESTS_ACK"
        case 0x0096: "META_SET_AFFILIATIONS_ACK"
        case 0x00A0: "META_SET_SECURITY_ACK"
        case 0x00AA: "META_SET_PASSWORD_ACK"
        case 0x00B4: "META_UNREGISTER_ACK"
        case 0x00BE: "META_SET_HOMEPAGE_CATEGORY_ACK"
        case 0x00C8: "META_USER_INFO"
        case 0x00D2: "META_WORK_INFO"
        case 0x00DC: "META_MORE_INFO"
        case 0x00E6: "META_ABOUT"
        case 0x00EB: "META_EMAIL_INFO"
        case 0x00F0: "META_INTERESTS_INFO"
        case 0x00FA: "META_AFFILIATIONS_INFO"
        case 0x0104: "META_SHORT_INFO"
        case 0x010E: "META_HOMEPAGE_CATEGORY_INFO"
        case 0x0190: "META_EX_USER_FOUND"
        case 0x019A: "META_USER_FOUND"
        case 0x01A4: "META_WHITE_PAGES_FOUND"
        case 0x01AE: "META_WHITE_PAGES_LAST_FOUND"
        case 0x0366: "META_RANDOM_USER"
        case 0x0370: "META_SET_RANDOM_CHAT_ACK"
        default: nil
        }
    }

    /// Message types (docs/protocol.md#message-types-and-status), by the low byte; the high byte
    /// carries flags (0x80: mass message).
    public static func messageType(_ type: UInt16) -> StaticString? {
        switch type & 0x00FF {
        case 0x01: "MSG_TEXT"
        case 0x02: "MSG_CHAT"
        case 0x03: "MSG_FILE"
        case 0x04: "MSG_URL"
        case 0x06: "MSG_AUTH_REQ"
        case 0x07: "MSG_AUTH_DENIED"
        case 0x08: "MSG_AUTH"
        case 0x09: "MSG_SERVER"
        case 0x0A: "MSG_EXTERNAL"
        case 0x0C: "MSG_USER_ADDED"
        case 0x0D: "MSG_WEB_PAGER"
        case 0x0E: "MSG_EMAIL"
        case 0x13: "MSG_CONTACTS"
        case 0x1A: "MSG_PLUGIN"
        case 0xE8: "MSG_AUTO_AWAY"
        case 0xE9: "MSG_AUTO_OCCUPIED"
        case 0xEA: "MSG_AUTO_NA"
        case 0xEB: "MSG_AUTO_DND"
        case 0xEC: "MSG_AUTO_FFC"
        default: nil
        }
    }

    /// The status word (docs/protocol.md#message-types-and-status), decoded by the documented
    /// precedence; invisible (0x0100) is named only when no other state bit is set.
    public static func status(_ status: UInt32) -> StaticString {
        let s = status & 0xFFFF
        if s == 0xFFFF { return "offline" }
        if s & 0x02 != 0 { return "dnd" }
        if s & 0x10 != 0 { return "occupied" }
        if s & 0x04 != 0 { return "na" }
        if s & 0x01 != 0 { return "away" }
        if s & 0x20 != 0 { return "ffc" }
        if s & 0x0100 != 0 { return "invisible" }
        return "online"
    }

    /// Direct-connection mode byte of CMD_LOGIN / SRV_USER_ONLINE (docs/protocol.md#cmd-login,
    /// docs/flow-semantics.md#peer-connections). nil for other values (mICQ sends 3, whose meaning
    /// the sources do not agree on).
    public static func connectionMode(_ mode: UInt8) -> StaticString? {
        switch mode {
        case 0x04: "direct"
        case 0x02: "indirect"
        case 0x01: "firewall"
        default: nil
        }
    }
}
