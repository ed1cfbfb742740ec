/// Classic ICQ command codes by name (docs/protocol.md#classic-client-commands,
/// #classic-server-commands): the one set the decoder, the session tracker, the rules, the sample
/// builders and the lab peers compare and write. Each name is Wireshark's (`ICQCommandNames`) in
/// lower camel case. They are inlinable computed values, so that comparing with one costs what
/// comparing with a literal does, in any module.
public enum ICQCommand {
    /// CMD_ACK and SRV_ACK: an ack has the same code in both directions.
    @inlinable public static var ack: UInt16 { 0x000A }

    /// Client → server commands (v2–v5 share the numbering).
    public enum Client {
        /// CMD_ACK
        @inlinable public static var ack: UInt16 { 0x000A }
        /// CMD_SEND_MESSAGE
        @inlinable public static var sendMessage: UInt16 { 0x010E }
        /// CMD_TCP_REQUEST
        @inlinable public static var tcpRequest: UInt16 { 0x015E }
        /// CMD_LOGIN
        @inlinable public static var login: UInt16 { 0x03E8 }
        /// CMD_GET_DEPS
        @inlinable public static var getDeps: UInt16 { 0x03F2 }
        /// CMD_REG_NEW_USER
        @inlinable public static var registerNewUser: UInt16 { 0x03FC }
        /// CMD_CONTACT_LIST
        @inlinable public static var contactList: UInt16 { 0x0406 }
        /// CMD_SEARCH_UIN
        @inlinable public static var searchUIN: UInt16 { 0x041A }
        /// CMD_SEARCH_USER
        @inlinable public static var searchUser: UInt16 { 0x0424 }
        /// CMD_KEEP_ALIVE
        @inlinable public static var keepAlive: UInt16 { 0x042E }
        /// CMD_SEND_TEXT_CODE
        @inlinable public static var sendTextCode: UInt16 { 0x0438 }
        /// CMD_ACK_MESSAGES
        @inlinable public static var ackMessages: UInt16 { 0x0442 }
        /// CMD_LOGIN_1
        @inlinable public static var login1: UInt16 { 0x044C }
        /// CMD_MSG_TO_NEW_USER
        @inlinable public static var messageToNewUser: UInt16 { 0x0456 }
        /// CMD_INFO_REQ
        @inlinable public static var infoRequest: UInt16 { 0x0460 }
        /// CMD_EXT_INFO_REQ
        @inlinable public static var extInfoRequest: UInt16 { 0x046A }
        /// CMD_CHANGE_PW
        @inlinable public static var changePassword: UInt16 { 0x049C }
        /// CMD_NEW_USER_INFO
        @inlinable public static var newUserInfo: UInt16 { 0x04A6 }
        /// CMD_UPDATE_EXT_INFO
        @inlinable public static var updateExtInfo: UInt16 { 0x04B0 }
        /// CMD_QUERY_SERVERS
        @inlinable public static var queryServers: UInt16 { 0x04BA }
        /// CMD_QUERY_ADDONS
        @inlinable public static var queryAddons: UInt16 { 0x04C4 }
        /// CMD_STATUS_CHANGE
        @inlinable public static var statusChange: UInt16 { 0x04D8 }
        /// CMD_NEW_USER_1
        @inlinable public static var newUser1: UInt16 { 0x04EC }
        /// CMD_UPDATE_INFO
        @inlinable public static var updateInfo: UInt16 { 0x050A }
        /// CMD_AUTH_UPDATE
        @inlinable public static var authUpdate: UInt16 { 0x0514 }
        /// CMD_KEEP_ALIVE2
        @inlinable public static var keepAlive2: UInt16 { 0x051E }
        /// CMD_LOGIN_2
        @inlinable public static var login2: UInt16 { 0x0528 }
        /// CMD_ADD_TO_LIST
        @inlinable public static var addToList: UInt16 { 0x053C }
        /// CMD_RAND_SET
        @inlinable public static var randomSet: UInt16 { 0x0564 }
        /// CMD_RAND_SEARCH
        @inlinable public static var randomSearch: UInt16 { 0x056E }
        /// CMD_META_USER
        @inlinable public static var metaUser: UInt16 { 0x064A }
        /// CMD_INVIS_LIST
        @inlinable public static var invisibleList: UInt16 { 0x06A4 }
        /// CMD_VIS_LIST
        @inlinable public static var visibleList: UInt16 { 0x06AE }
        /// CMD_UPDATE_LIST
        @inlinable public static var updateList: UInt16 { 0x06B8 }
    }

    /// Server → client commands.
    public enum Server {
        /// SRV_ACK
        @inlinable public static var ack: UInt16 { 0x000A }
        /// SRV_SILENT_TOO_LONG
        @inlinable public static var silentTooLong: UInt16 { 0x001E }
        /// SRV_GO_AWAY
        @inlinable public static var goAway: UInt16 { 0x0028 }
        /// SRV_NEW_UIN
        @inlinable public static var newUIN: UInt16 { 0x0046 }
        /// SRV_LOGIN_REPLY
        @inlinable public static var loginReply: UInt16 { 0x005A }
        /// SRV_BAD_PASS
        @inlinable public static var badPassword: UInt16 { 0x0064 }
        /// SRV_USER_ONLINE
        @inlinable public static var userOnline: UInt16 { 0x006E }
        /// SRV_USER_OFFLINE
        @inlinable public static var userOffline: UInt16 { 0x0078 }
        /// SRV_QUERY
        @inlinable public static var query: UInt16 { 0x0082 }
        /// SRV_USER_FOUND
        @inlinable public static var userFound: UInt16 { 0x008C }
        /// SRV_END_OF_SEARCH
        @inlinable public static var endOfSearch: UInt16 { 0x00A0 }
        /// SRV_NEW_USER
        @inlinable public static var newUser: UInt16 { 0x00B4 }
        /// SRV_UPDATE_BASIC_FAIL
        @inlinable public static var updateBasicFail: UInt16 { 0x00BE }
        /// SRV_UPDATE_EXT
        @inlinable public static var updateExt: UInt16 { 0x00C8 }
        /// SRV_UPDATE_DETAIL_FAIL
        @inlinable public static var updateDetailFail: UInt16 { 0x00D2 }
        /// SRV_RECV_MESSAGE
        @inlinable public static var receiveMessage: UInt16 { 0x00DC }
        /// SRV_END_OFFLINE_MESSAGES
        @inlinable public static var endOfflineMessages: UInt16 { 0x00E6 }
        /// SRV_NOT_CONNECTED
        @inlinable public static var notConnected: UInt16 { 0x00F0 }
        /// SRV_TRY_AGAIN
        @inlinable public static var tryAgain: UInt16 { 0x00FA }
        /// SRV_SYS_DELIVERED_MESS
        @inlinable public static var systemDeliveredMessage: UInt16 { 0x0104 }
        /// SRV_INFO_REPLY
        @inlinable public static var infoReply: UInt16 { 0x0118 }
        /// SRV_EXT_INFO_REPLY
        @inlinable public static var extInfoReply: UInt16 { 0x0122 }
        /// SRV_INVALID_UIN
        @inlinable public static var invalidUIN: UInt16 { 0x012C }
        /// SRV_TCP_REQUEST
        @inlinable public static var tcpRequest: UInt16 { 0x015E }
        /// SRV_STATUS_UPDATE
        @inlinable public static var statusUpdate: UInt16 { 0x01A4 }
        /// SRV_SYSTEM_MESSAGE
        @inlinable public static var systemMessage: UInt16 { 0x01C2 }
        /// SRV_UPDATE_SUCCESS
        @inlinable public static var updateSuccess: UInt16 { 0x01E0 }
        /// SRV_UPDATE_FAIL
        @inlinable public static var updateFail: UInt16 { 0x01EA }
        /// SRV_AUTH_UPDATE
        @inlinable public static var authUpdate: UInt16 { 0x01F4 }
        /// SRV_UPDATED_AUTH
        @inlinable public static var updatedAuth: UInt16 { 0x01FE }
        /// SRV_MULTI_PACKET
        @inlinable public static var multiPacket: UInt16 { 0x0212 }
        /// SRV_END_CONTACTLIST_STATUS
        @inlinable public static var endContactListStatus: UInt16 { 0x021C }
        /// SRV_RAND_USER
        @inlinable public static var randomUser: UInt16 { 0x024E }
        /// SRV_LOGIN_ERR
        @inlinable public static var loginError: UInt16 { 0x0370 }
        /// SRV_META_USER
        @inlinable public static var metaUser: UInt16 { 0x03DE }
    }
}
