import Testing
import Wire

/// Every named command code is the code `ICQCommandNames` gives that name to (Wireshark's).
@Suite struct ICQCommandCodeTests {
    @Test func clientConstantsCarryTheirNames() {
        let named: [(UInt16, String)] = [
            (ICQCommand.Client.ack, "CMD_ACK"),
            (ICQCommand.Client.sendMessage, "CMD_SEND_MESSAGE"),
            (ICQCommand.Client.tcpRequest, "CMD_TCP_REQUEST"),
            (ICQCommand.Client.login, "CMD_LOGIN"),
            (ICQCommand.Client.getDeps, "CMD_GET_DEPS"),
            (ICQCommand.Client.registerNewUser, "CMD_REG_NEW_USER"),
            (ICQCommand.Client.contactList, "CMD_CONTACT_LIST"),
            (ICQCommand.Client.searchUIN, "CMD_SEARCH_UIN"),
            (ICQCommand.Client.searchUser, "CMD_SEARCH_USER"),
            (ICQCommand.Client.keepAlive, "CMD_KEEP_ALIVE"),
            (ICQCommand.Client.sendTextCode, "CMD_SEND_TEXT_CODE"),
            (ICQCommand.Client.ackMessages, "CMD_ACK_MESSAGES"),
            (ICQCommand.Client.login1, "CMD_LOGIN_1"),
            (ICQCommand.Client.messageToNewUser, "CMD_MSG_TO_NEW_USER"),
            (ICQCommand.Client.infoRequest, "CMD_INFO_REQ"),
            (ICQCommand.Client.extInfoRequest, "CMD_EXT_INFO_REQ"),
            (ICQCommand.Client.changePassword, "CMD_CHANGE_PW"),
            (ICQCommand.Client.newUserInfo, "CMD_NEW_USER_INFO"),
            (ICQCommand.Client.updateExtInfo, "CMD_UPDATE_EXT_INFO"),
            (ICQCommand.Client.queryServers, "CMD_QUERY_SERVERS"),
            (ICQCommand.Client.queryAddons, "CMD_QUERY_ADDONS"),
            (ICQCommand.Client.statusChange, "CMD_STATUS_CHANGE"),
            (ICQCommand.Client.newUser1, "CMD_NEW_USER_1"),
            (ICQCommand.Client.updateInfo, "CMD_UPDATE_INFO"),
            (ICQCommand.Client.authUpdate, "CMD_AUTH_UPDATE"),
            (ICQCommand.Client.keepAlive2, "CMD_KEEP_ALIVE2"),
            (ICQCommand.Client.login2, "CMD_LOGIN_2"),
            (ICQCommand.Client.addToList, "CMD_ADD_TO_LIST"),
            (ICQCommand.Client.randomSet, "CMD_RAND_SET"),
            (ICQCommand.Client.randomSearch, "CMD_RAND_SEARCH"),
            (ICQCommand.Client.metaUser, "CMD_META_USER"),
            (ICQCommand.Client.invisibleList, "CMD_INVIS_LIST"),
            (ICQCommand.Client.visibleList, "CMD_VIS_LIST"),
            (ICQCommand.Client.updateList, "CMD_UPDATE_LIST"),
        ]
        for (code, name) in named { #expect(ICQCommandNames.client(code)?.description == name) }
        #expect(Set(named.map(\.0)).count == named.count)
    }

    @Test func serverConstantsCarryTheirNames() {
        let named: [(UInt16, String)] = [
            (ICQCommand.Server.ack, "SRV_ACK"),
            (ICQCommand.Server.silentTooLong, "SRV_SILENT_TOO_LONG"),
            (ICQCommand.Server.goAway, "SRV_GO_AWAY"),
            (ICQCommand.Server.newUIN, "SRV_NEW_UIN"),
            (ICQCommand.Server.loginReply, "SRV_LOGIN_REPLY"),
            (ICQCommand.Server.badPassword, "SRV_BAD_PASS"),
            (ICQCommand.Server.userOnline, "SRV_USER_ONLINE"),
            (ICQCommand.Server.userOffline, "SRV_USER_OFFLINE"),
            (ICQCommand.Server.query, "SRV_QUERY"),
            (ICQCommand.Server.userFound, "SRV_USER_FOUND"),
            (ICQCommand.Server.endOfSearch, "SRV_END_OF_SEARCH"),
            (ICQCommand.Server.newUser, "SRV_NEW_USER"),
            (ICQCommand.Server.updateBasicFail, "SRV_UPDATE_BASIC_FAIL"),
            (ICQCommand.Server.updateExt, "SRV_UPDATE_EXT"),
            (ICQCommand.Server.updateDetailFail, "SRV_UPDATE_DETAIL_FAIL"),
            (ICQCommand.Server.receiveMessage, "SRV_RECV_MESSAGE"),
            (ICQCommand.Server.endOfflineMessages, "SRV_END_OFFLINE_MESSAGES"),
            (ICQCommand.Server.notConnected, "SRV_NOT_CONNECTED"),
            (ICQCommand.Server.tryAgain, "SRV_TRY_AGAIN"),
            (ICQCommand.Server.systemDeliveredMessage, "SRV_SYS_DELIVERED_MESS"),
            (ICQCommand.Server.infoReply, "SRV_INFO_REPLY"),
            (ICQCommand.Server.extInfoReply, "SRV_EXT_INFO_REPLY"),
            (ICQCommand.Server.invalidUIN, "SRV_INVALID_UIN"),
            (ICQCommand.Server.tcpRequest, "SRV_TCP_REQUEST"),
            (ICQCommand.Server.statusUpdate, "SRV_STATUS_UPDATE"),
            (ICQCommand.Server.systemMessage, "SRV_SYSTEM_MESSAGE"),
            (ICQCommand.Server.updateSuccess, "SRV_UPDATE_SUCCESS"),
            (ICQCommand.Server.updateFail, "SRV_UPDATE_FAIL"),
            (ICQCommand.Server.authUpdate, "SRV_AUTH_UPDATE"),
            (ICQCommand.Server.updatedAuth, "SRV_UPDATED_AUTH"),
            (ICQCommand.Server.multiPacket, "SRV_MULTI_PACKET"),
            (ICQCommand.Server.endContactListStatus, "SRV_END_CONTACTLIST_STATUS"),
            (ICQCommand.Server.randomUser, "SRV_RAND_USER"),
            (ICQCommand.Server.loginError, "SRV_LOGIN_ERR"),
            (ICQCommand.Server.metaUser, "SRV_META_USER"),
        ]
        for (code, name) in named { #expect(ICQCommandNames.server(code)?.description == name) }
        #expect(Set(named.map(\.0)).count == named.count)
    }
}
