import Wire

/// One classic ICQ v5 session of a user with the server on UDP 4000, as `ICQSessionScript` runs
/// one (docs/protocol.md#reliability): client packets encrypted with a fresh checkcode on every
/// send, SEQ1 counting every client packet but CMD_ACK, SEQ2 counting requests from 1 at login (0
/// on keep-alives, acks and the log-off), the server's own SEQ1 from 0, acks echoing both. The
/// counters advance as the frames are built, in time order. A class: queued frames share it, and
/// those of a session that has just logged off still use it.
final class MixICQSession {
    let sessionID: UInt32
    let clientPort: UInt16
    var seq1: UInt16
    var seq2: UInt16
    var serverSeq1: UInt16

    init(sessionID: UInt32, clientPort: UInt16, seq1: UInt16, seq2: UInt16, serverSeq1: UInt16) {
        self.sessionID = sessionID
        self.clientPort = clientPort
        self.seq1 = seq1
        self.seq2 = seq2
        self.serverSeq1 = serverSeq1
    }
}

/// The sequence numbers one request or push got when its first copy went out, for its ack and
/// its retransmission.
final class MixICQExchange {
    var seq1: UInt16 = 0
    var seq2: UInt16 = 0
    var payload: [UInt8] = []
}

struct MixICQState {
    /// Exchanges a session lasts before the user logs off and on again. Sessions are long, so that
    /// a retransmission 10 s after a lost ack stays inside its session even at 10 users (when an
    /// exchange takes a user 2.5 ms); and every user is mid-session when the capture starts.
    static let exchangesPerSession = 2_000
    /// One exchange in this many loses its ack, and its sender retransmits 10 s later.
    static let lossOneIn = 2_000

    var session: MixICQSession
    /// Exchanges since the login; 0: the next episode is the login.
    var exchange: Int
    /// The last retransmission still to come: the client does not log off before it.
    var busyUntil: Int64 = .min
    /// While its login is under way, the user has no other exchange.
    var readyAt: Int64 = .min

    /// A session already running when the mix starts, at a random point of its life.
    init(random: inout SeededRandom) {
        exchange = 1 + Int(random.next() % UInt64(Self.exchangesPerSession))
        session = MixICQSession(sessionID: UInt32(truncatingIfNeeded: random.next()),
                                clientPort: 1025 + UInt16(random.next() % 30_000),
                                seq1: UInt16(truncatingIfNeeded: random.next()),
                                seq2: UInt16(truncatingIfNeeded: 4 + exchange / 2),
                                serverSeq1: UInt16(truncatingIfNeeded: 5 + exchange / 2))
    }

    /// After the log-off: the client starts again from a new port and logs in.
    mutating func restart(random: inout SeededRandom) {
        let port = session.clientPort >= 31_000 ? 1025 : session.clientPort + 1
        session = MixICQSession(sessionID: UInt32(truncatingIfNeeded: random.next()), clientPort: port,
                                seq1: UInt16(truncatingIfNeeded: random.next()) & 0x7FFF, seq2: 1, serverSeq1: 0)
        exchange = 0
    }
}

extension GatewayMix {
    static let icqServerTTL: UInt8 = 52
    /// The gateway's public address: what the server reports back as the client's address.
    static let publicAddress: UInt32 = 0xCB00_7105
    static let retransmitTimeout: Int64 = 10 * ICQSessionScript.second
    static let clientTurnaround: Int64 = 700_000
    /// iserverd's `ping_time`: the login reply tells clients to keep alive every 60 s, well
    /// inside a 120 s firewall timeout (the mix's keep-alives come at most every ~50 s).
    static let serverPingTime: UInt16 = 70

    func icqServer(_ user: Int) -> UInt32 { 0xC633_6404 &+ UInt32(user % 4) }  // 198.51.100.4–7

    /// One ICQ episode of `user`: the login, one exchange, or the log-off.
    func icqEpisode(_ user: Int, at time: Int64) {
        let state = users[user].icq
        if state.exchange == 0 {
            icqLogin(user, at: time)
        } else if state.exchange > MixICQState.exchangesPerSession && time > state.busyUntil {
            icqRequest(user, at: time, command: ICQCommand.Client.sendTextCode, ICQParameters.textCode(), acked: false)
            users[user].icq.restart(random: &random)
        } else {
            icqExchange(user, at: time)
        }
    }

    func icqExchange(_ user: Int, at time: Int64) {
        let exchange = users[user].icq.exchange
        users[user].icq.exchange += 1
        let lost = randomBelow(MixICQState.lossOneIn) == 0
        let contact = contact(of: user, randomBelow(4))
        switch exchange % 8 {
        case 1:
            icqRequest(user, at: time, command: ICQCommand.Client.sendMessage, ICQParameters.message(uin: contact.uin, text: messageText()), lost: lost)
        case 3:
            icqPush(user, at: time, command: ICQCommand.Server.systemDeliveredMessage, ICQParameters.message(uin: contact.uin, text: messageText()), lost: lost)
        case 5:
            // A contact comes online with its address and DC port: where the user's next direct
            // connection goes.
            let k = (users[user].contact + 1) % 4
            users[user].contact = k
            icqPush(user, at: time, command: ICQCommand.Server.userOnline, userOnline(self.contact(of: user, k)), lost: lost)
        case 7:
            icqRequest(user, at: time, command: ICQCommand.Client.statusChange, ICQParameters.status(randomBelow(2) == 0 ? 0 : 1), lost: lost)
        default:
            icqRequest(user, at: time, command: ICQCommand.Client.keepAlive, ICQParameters.random(randomU32()), lost: lost)
        }
    }

    func userOnline(_ contact: ICQContact) -> [UInt8] {
        ICQParameters.userOnline(uin: contact.uin, externalIP: contact.externalIP, tcpPort: UInt32(contact.tcpPort),
                                 lanIP: contact.lanIP)
    }

    /// CMD_LOGIN (advertising the DC port), SRV_LOGIN_REPLY, CMD_LOGIN_1, CMD_CONTACT_LIST, a
    /// contact online, the end of the contact list and of offline messages, CMD_ACK_MESSAGES,
    /// each acked: 16 packets over five round trips. The user has no other ICQ exchange meanwhile.
    func icqLogin(_ user: Int, at time: Int64) {
        let u = users[user]
        let login = ICQParameters.login(time: UInt32(truncatingIfNeeded: time / ICQSessionScript.second),
                                        tcpPort: UInt32(u.dcPort), password: "pw\(u.uin)", lanIP: u.address,
                                        dcCookie: randomU32())
        let loginExchange = MixICQExchange()
        var t = icqRequest(user, at: time, command: ICQCommand.Client.login, login, exchange: loginExchange)
        t = icqPush(user, at: t + 8 * ICQSessionScript.millisecond, command: ICQCommand.Server.loginReply,
                    ICQParameters.loginReply(externalIP: Self.publicAddress, keepAlive: Self.serverPingTime),
                    replyTo: loginExchange)
        t = icqRequest(user, at: t + 200_000, command: ICQCommand.Client.login1, ICQParameters.random(randomU32()))
        let contacts = (0..<4).map { contact(of: user, $0).uin }
        t = icqRequest(user, at: t + 20 * ICQSessionScript.millisecond, command: ICQCommand.Client.contactList, ICQParameters.uinList(contacts))
        t = icqPush(user, at: t + 9 * ICQSessionScript.millisecond, command: ICQCommand.Server.userOnline,
                    userOnline(contact(of: user, users[user].contact)))
        t = icqPush(user, at: t + ICQSessionScript.millisecond, command: ICQCommand.Server.endContactListStatus, [])
        t = icqPush(user, at: t + ICQSessionScript.millisecond, command: ICQCommand.Server.endOfflineMessages, [])
        t = icqRequest(user, at: t + 50_000, command: ICQCommand.Client.ackMessages, ICQParameters.random(randomU32()))
        users[user].icq.exchange = 1
        users[user].icq.readyAt = t
    }

    /// A client request and the server's ack a round trip later. When `lost`, the ack is lost
    /// before the gateway and the client sends the request again (encrypted anew) 10 s later.
    /// `acked: false` is the log-off, sent once. Returns when the (last) ack is seen.
    @discardableResult
    func icqRequest(_ user: Int, at time: Int64, command: UInt16, _ parameters: [UInt8], lost: Bool = false,
                    acked: Bool = true, exchange: MixICQExchange = MixICQExchange()) -> Int64 {
        let session = users[user].icq.session
        var sent = time
        emit(sent, .icq, carries: .icq, encryptedICQ: true) { [unowned self] in
            exchange.seq1 = session.seq1
            session.seq1 &+= 1
            if command != ICQCommand.Client.keepAlive && command != ICQCommand.Client.sendTextCode {
                exchange.seq2 = session.seq2
                session.seq2 &+= 1
            }
            return icqClientFrame(user, session, command: command, seq1: exchange.seq1, seq2: exchange.seq2, parameters)
        }
        guard acked else { return time }
        if lost {
            sent += Self.retransmitTimeout
            emit(sent, .icq, carries: .icq, encryptedICQ: true) { [unowned self] in
                icqClientFrame(user, session, command: command, seq1: exchange.seq1, seq2: exchange.seq2, parameters)
            }
            users[user].icq.busyUntil = sent
        }
        let ackTime = sent + users[user].rtt
        emit(ackTime, .icq, carries: .icq) { [unowned self] in
            icqServerFrame(user, session, icqServerPacket(user, session, command: ICQCommand.Server.ack, seq1: exchange.seq1,
                                                          seq2: exchange.seq2, []))
        }
        return ackTime
    }

    /// A server packet (SEQ2 0, or the request's for a direct reply) and the client's CMD_ACK.
    /// When `lost`, the ack is lost beyond the gateway: the server sends the same packet again
    /// 10 s later and the client acks again. Returns when the (last) ack is seen.
    @discardableResult
    func icqPush(_ user: Int, at time: Int64, command: UInt16, _ parameters: [UInt8], replyTo request: MixICQExchange? = nil,
                 lost: Bool = false) -> Int64 {
        let session = users[user].icq.session
        let exchange = MixICQExchange()
        var sent = time
        emit(sent, .icq, carries: .icq) { [unowned self] in
            exchange.seq1 = session.serverSeq1
            session.serverSeq1 &+= 1
            exchange.seq2 = request?.seq2 ?? 0
            exchange.payload = icqServerPacket(user, session, command: command, seq1: exchange.seq1, seq2: exchange.seq2,
                                               parameters)
            return icqServerFrame(user, session, exchange.payload)
        }
        var ackTime = sent + Self.clientTurnaround
        let ack = { [unowned self] () -> [UInt8] in
            icqClientFrame(user, session, command: ICQCommand.Client.ack, seq1: exchange.seq1, seq2: exchange.seq2,
                           ICQParameters.random(randomU32()))
        }
        emit(ackTime, .icq, carries: .icq, encryptedICQ: true, build: ack)
        if lost {
            // iserverd keeps the packet in its confirm queue and resends the same bytes.
            sent += Self.retransmitTimeout
            ackTime = sent + Self.clientTurnaround
            emit(sent, .icq, carries: .icq) { [unowned self] in icqServerFrame(user, session, exchange.payload) }
            emit(ackTime, .icq, carries: .icq, encryptedICQ: true, build: ack)
            users[user].icq.busyUntil = ackTime
        }
        return ackTime
    }

    func icqClientFrame(_ user: Int, _ session: MixICQSession, command: UInt16, seq1: UInt16, seq2: UInt16,
                        _ parameters: [UInt8]) -> [UInt8] {
        guard capturing else { return [] }
        let length = 24 + parameters.count
        let packet = ICQEncoder.v5Client(uin: users[user].uin, session: session.sessionID, command: command, seq1: seq1,
                                         seq2: seq2, parameters: parameters,
                                         r1: ICQEncoder.clientR1(random: randomU32(), length: length),
                                         r2: UInt8(truncatingIfNeeded: randomU32()))
        return udpFrame(user: user, port: session.clientPort, server: icqServer(user), serverPort: 4000, fromUser: true,
                        serverTTL: Self.icqServerTTL, payload: packet)
    }

    func icqServerPacket(_ user: Int, _ session: MixICQSession, command: UInt16, seq1: UInt16, seq2: UInt16,
                         _ parameters: [UInt8]) -> [UInt8] {
        ICQEncoder.v5Server(session: session.sessionID, command: command, seq1: seq1, seq2: seq2, uin: users[user].uin,
                            parameters: parameters, r1: randomBelow(21 + parameters.count),
                            r2: UInt8(truncatingIfNeeded: randomU32()))
    }

    func icqServerFrame(_ user: Int, _ session: MixICQSession, _ packet: [UInt8]) -> [UInt8] {
        guard capturing else { return [] }
        return udpFrame(user: user, port: session.clientPort, server: icqServer(user), serverPort: 4000, fromUser: false,
                 serverTTL: Self.icqServerTTL, payload: packet)
    }

    static let phrases = [
        "hi", "are you there?", "call me when you are back", "lunch at noon?", "sent you the file",
        "ok", "see you tomorrow", "the firewall ate my messages again", "brb", "did you get my mail?",
    ]

    /// One to three phrases: chat lines of 2 to about 100 characters.
    func messageText() -> String {
        var text = Self.phrases[randomBelow(Self.phrases.count)]
        for _ in 0..<randomBelow(3) { text += " " + Self.phrases[randomBelow(Self.phrases.count)] }
        return text
    }
}
