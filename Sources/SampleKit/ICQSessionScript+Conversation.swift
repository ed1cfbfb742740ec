import Bytes
import Wire

/// A contact the server reports online: where its client can be reached directly.
public struct ICQContact: Sendable {
    public var uin: UInt32
    public var externalIP: UInt32
    public var tcpPort: UInt16
    public var lanIP: UInt32
    /// 0x04 direct connections accepted, 0x02 via proxy, 0x01 firewalled.
    public var mode: UInt8

    public init(uin: UInt32, externalIP: UInt32, tcpPort: UInt16, lanIP: UInt32, mode: UInt8 = 0x04) {
        self.uin = uin
        self.externalIP = externalIP
        self.tcpPort = tcpPort
        self.lanIP = lanIP
        self.mode = mode
    }

    public var endpoint: Endpoint { Endpoint(address: IPAddress(ipv4: externalIP), port: tcpPort) }
}

/// The steps of a v5 session as mICQ and the ICQ 99 client run them against iserverd
/// (docs/protocol.md#srv-login-reply, and the order in the real capture
/// `icqv5-udp-and-peer-v6__iserverd-micq`).
extension ICQSessionScript {
    /// CMD_LOGIN (advertising the TCP port and the LAN address), SRV_LOGIN_REPLY (keep-alive hint
    /// and the address the server sees), CMD_LOGIN_1, CMD_CONTACT_LIST, a SRV_USER_ONLINE per online
    /// contact, SRV_X1 (end of contact list status), SRV_X2 (end of offline messages) and
    /// CMD_ACK_MESSAGES, each acked. Frames: `login`, `login.ack`, `login_reply`, `login_reply.ack`,
    /// `login_1`, `contact_list`, `user_online` (every contact; also `user_online.<uin>`),
    /// `contact_list_done`, `offline_done`, `ack_messages` (each with its `.ack`).
    /// `loginCopies` lets the login itself be retransmitted or lost.
    @discardableResult
    public mutating func login(contacts: [UInt32] = [], online: [ICQContact] = [],
                               loginCopies: [RequestCopy] = [.acked]) -> RequestOutcome {
        let parameters = ICQParameters.login(
            time: UInt32(truncatingIfNeeded: now / Self.second), tcpPort: UInt32(setup.tcpPort),
            password: setup.password, lanIP: setup.clientIP, mode: 0x04, status: 0, dcVersion: 6,
            x1: 0xD5, dcCookie: randomU32())
        let login = request(ICQCommand.Client.login, parameters, name: "login", copies: loginCopies)
        guard let received = login.serverReceived else { return login }
        // The server records the address the login came from; pushes go there from now on.
        recordedClient = setup.socksRelay ?? clientOutside
        let externalIP = setup.socksRelay == nil ? publicClientIP : setup.socksRelay!.address.ipv4Value
        let reply = push(ICQCommand.Server.loginReply, ICQParameters.loginReply(externalIP: externalIP, keepAlive: setup.serverPingTime,
                                                          timeout: UInt16(setup.serverRetransmitTimeout / Self.second),
                                                          retries: UInt16(setup.serverRetries)),
                         at: received + 8 * Self.millisecond, seq2: login.seq2, name: "login_reply")
        guard let replied = reply.delivered else { return login }
        at(max(now, replied + 200_000))
        request(ICQCommand.Client.login1, ICQParameters.random(randomU32()), name: "login_1")
        advance(seconds: 0.6)
        let list = request(ICQCommand.Client.contactList, ICQParameters.uinList(contacts + online.map(\.uin)), name: "contact_list")
        var serverClock = (list.serverReceived ?? now) + 9 * Self.millisecond
        for contact in online {
            push(ICQCommand.Server.userOnline, ICQParameters.userOnline(uin: contact.uin, externalIP: contact.externalIP,
                                                 tcpPort: UInt32(contact.tcpPort), lanIP: contact.lanIP,
                                                 mode: contact.mode),
                 at: serverClock, name: "user_online", alias: "user_online.\(contact.uin)")
            serverClock += 1 * Self.millisecond
        }
        push(ICQCommand.Server.endContactListStatus, [], at: serverClock, name: "contact_list_done")
        let done = push(ICQCommand.Server.endOfflineMessages, [], at: serverClock + 1 * Self.millisecond, name: "offline_done")
        at(max(now, (done.delivered ?? now) + 50_000))
        request(ICQCommand.Client.ackMessages, ICQParameters.random(randomU32()), name: "ack_messages")
        return login
    }

    /// CMD_SEND_MESSAGE through the server, at `now`.
    @discardableResult
    public mutating func sendMessage(to uin: UInt32, _ text: String, name: String, alias: String? = nil,
                                     copies: [RequestCopy] = [.acked]) -> RequestOutcome {
        request(ICQCommand.Client.sendMessage, ICQParameters.message(uin: uin, text: text), name: name, alias: alias, copies: copies)
    }

    /// SRV_SYS_DELIVERED_MESS: a message from a contact, relayed by the server `after` ns past the
    /// client's `now`.
    @discardableResult
    public mutating func receiveMessage(from uin: UInt32, _ text: String, after: Int64 = 0, name: String,
                                        alias: String? = nil, copies: [PushCopy] = [.acked]) -> PushOutcome {
        push(ICQCommand.Server.systemDeliveredMessage, ICQParameters.message(uin: uin, text: text), at: serverTime(after: after), name: name,
             alias: alias, copies: copies)
    }

    /// CMD_KEEP_ALIVE (SEQ2 0, 4 random bytes) at `now`.
    @discardableResult
    public mutating func keepAlive(name: String = "keepalive", alias: String? = nil,
                                   copies: [RequestCopy] = [.acked]) -> RequestOutcome {
        request(ICQCommand.Client.keepAlive, ICQParameters.random(randomU32()), name: name, alias: alias, copies: copies)
    }

    /// CMD_SEND_TEXT_CODE "B_USER_DISCONNECTED": the log-off, sent once, not acked.
    public mutating func logout(name: String = "logout") {
        sendOnce(ICQCommand.Client.sendTextCode, ICQParameters.textCode(), name: name)
    }
}
