import Wire

/// An ICQ v5 server that behaves as the reference says real ones (iserverd, the Mirabilis
/// servers) do, on one UDP socket:
///
/// - every client packet except CMD_ACK is answered with SRV_ACK to the packet's source address,
///   echoing session, SEQ1 and SEQ2 (docs/protocol.md#reliability, docs/flow-semantics.md#acks);
/// - CMD_LOGIN records the client's source address, session and advertised TCP port, and is
///   answered with SRV_LOGIN_REPLY (SEQ2 = the login's SEQ2, iserverd's layout with the
///   keep-alive hint and the retransmission settings);
/// - pushes (login reply, SRV_USER_ONLINE with the peer's address as the server saw it and its
///   advertised port, relayed messages, SRV_USER_OFFLINE) go to the address recorded at login,
///   carry the server's own SEQ1 per client (from 0) and are resent every `retransmitInterval`
///   seconds, `retries` times, until the client acknowledges them (iserverd: 10 s × 5);
/// - CMD_SEND_TEXT_CODE logs the client off; a duplicate (same SEQ1/SEQ2) is re-acked but not
///   processed again.
public final class V5Server {
    public struct Configuration: Sendable {
        public var bind: LabEndpoint
        public var retransmitInterval: Double = 10
        public var retries: Int = 5
        /// The keep-alive interval the login reply announces at body+4, written as is (iserverd
        /// writes its ping time minus 10 there; icqscope reads the field as the interval).
        public var keepAliveHint: UInt16 = 120
        public var runFor: Double = 60

        public init(bind: LabEndpoint) { self.bind = bind }
    }

    struct User {
        var uin: UInt32
        var session: UInt32
        /// Where pushes go: the source address of CMD_LOGIN.
        var address: LabEndpoint
        var tcpPort: UInt32
        var lanIP: UInt32
        var mode: UInt8
        var dcVersion: UInt32
        var contacts: [UInt32] = []
        var nextSeq1: UInt16 = 0
        /// Recent (SEQ1, SEQ2) pairs, to spot retransmissions of packets already processed.
        var recent: [UInt32] = []
    }

    let configuration: Configuration
    let loop: EventLoop
    let log: LabLog
    let socket: UDPSocket
    private let decoder = ICQDecoder()
    private var users: [UInt32: User] = [:]
    private let pushes: RetransmitQueue<UInt32>
    private var random = SystemRandomNumberGenerator()

    public init(configuration: Configuration) throws {
        self.configuration = configuration
        let clock = LabClock()
        loop = EventLoop(clock: clock)
        log = LabLog(name: "server", clock: clock)
        socket = try UDPSocket(bind: configuration.bind)
        pushes = RetransmitQueue(
            loop: loop, interval: configuration.retransmitInterval, maximumTransmissions: configuration.retries + 1)
    }

    public func run() {
        log.event("listening on udp \(socket.local) (push retransmission every \(configuration.retransmitInterval) s, "
            + "\(configuration.retries) retries; keep-alive hint \(configuration.keepAliveHint) s; run for \(configuration.runFor) s)")
        loop.onReadable(socket.fd) { [weak self] in
            guard let self else { return }
            while let (bytes, from) = self.socket.receive() { self.handle(bytes, from: from) }
        }
        loop.run(until: configuration.runFor)
        log.event("stopping: \(users.count) user(s) online, \(pushes.pendingCount) push(es) unacknowledged")
    }

    // MARK: Receiving

    private func handle(_ bytes: [UInt8], from: LabEndpoint) {
        let result = bytes.withUnsafeBytes { decoder.decode($0, direction: .clientToServer) }
        guard case .icq(let packet) = result, packet.header.version == 5,
              let uin = packet.header.uin, let session = packet.header.sessionID, let seq2 = packet.header.seq2
        else {
            log.event("ignored \(bytes.count) bytes from \(from): not a valid v5 client packet")
            return
        }
        let command = packet.header.command
        let seq1 = packet.header.seq1
        let name = Self.name(command, client: true)
        if command == ICQCommand.Client.ack {
            if let transmissions = pushes.acknowledge(.init(owner: uin, seq1: seq1, seq2: seq2)) {
                log.event("uin \(uin) acked push seq1 \(seq1) after \(transmissions) transmission(s)")
            } else {
                log.event("uin \(uin) acked seq1 \(seq1) seq2 \(seq2) (nothing pending)")
            }
            return
        }
        sendAck(session: session, seq1: seq1, seq2: seq2, uin: uin, to: from)
        log.event("\(name) from uin \(uin) at \(from) seq1 \(seq1) seq2 \(seq2): acked")

        let pair = UInt32(seq1) << 16 | UInt32(seq2)
        if command != ICQCommand.Client.login, var user = users[uin], user.session == session {
            if user.recent.contains(pair) {
                log.event("duplicate \(name) from uin \(uin) (seq1 \(seq1)): re-acked, not processed")
                return
            }
            user.recent.append(pair)
            if user.recent.count > 64 { user.recent.removeFirst() }
            users[uin] = user
        }

        switch (command, packet.body) {
        case (ICQCommand.Client.login, .login(let body)):
            if let user = users[uin], user.session == session {
                log.event("duplicate CMD_LOGIN from uin \(uin): re-acked, not processed")
                return
            }
            login(uin: uin, session: session, seq2: seq2, from: from, body: body)
        case (_, _) where users[uin]?.session != session:
            log.event("uin \(uin) is not logged in with session \(hex(session)): SRV_NOT_CONNECTED")
            send(command: ICQCommand.Server.notConnected, session: session, seq1: 0, seq2: seq2, uin: uin, parameters: [], to: from)
        case (ICQCommand.Client.contactList, .uinList(let list)):
            let contacts = (0..<list.count).map { list.uin(at: $0, in: packet.bytes) }
            users[uin]?.contacts = contacts
            log.event("uin \(uin) contact list \(contacts)")
            for contact in contacts {
                if let other = users[contact] { pushUserOnline(of: other, to: uin) }
            }
        case (ICQCommand.Client.sendMessage, .message(let message)):
            let text = String(decoding: message.text.bytes(in: packet.bytes), as: UTF8.self)
            relay(from: uin, to: message.uin, type: message.type, text: text)
        case (ICQCommand.Client.sendTextCode, .textCode(let text, _)):
            let code = String(decoding: text.bytes(in: packet.bytes), as: UTF8.self)
            log.event("uin \(uin) sent text code \"\(code)\": logged off")
            logoff(uin)
        default:
            break
        }
    }

    private func login(
        uin: UInt32, session: UInt32, seq2: UInt16, from: LabEndpoint, body: ICQLogin
    ) {
        if users[uin] != nil { logoff(uin, quiet: true) }
        let lanIP = body.lanIP.ipv4Value
        users[uin] = User(
            uin: uin, session: session, address: from, tcpPort: body.tcpPort, lanIP: lanIP,
            mode: body.connectionMode, dcVersion: body.dcVersion ?? 6)
        log.event("uin \(uin) logged in from \(from), session \(hex(session)), TCP port \(body.tcpPort), "
            + "LAN IP \(LabEndpoint.addressString(lanIP))")
        // The encoder writes iserverd's "ping time − 10"; the lab writes its hint as the field's
        // value, which is how the analyzer reads it (and what keeps a hint under 10 s meaningful).
        let reply = ICQParameters.loginReply(
            externalIP: from.address, keepAlive: configuration.keepAliveHint &+ 10,
            timeout: UInt16(max(1, configuration.retransmitInterval.rounded())), retries: UInt16(configuration.retries))
        push(to: uin, command: ICQCommand.Server.loginReply, seq2: seq2, parameters: reply)
        // Tell everyone who has the newcomer on their list.
        for (other, user) in users where other != uin && user.contacts.contains(uin) {
            pushUserOnline(of: users[uin]!, to: other)
        }
    }

    private func pushUserOnline(of user: User, to recipient: UInt32) {
        let body = ICQParameters.userOnline(
            uin: user.uin, externalIP: user.address.address, tcpPort: user.tcpPort, lanIP: user.lanIP,
            mode: user.mode, dcVersion: user.dcVersion)
        log.event("user online: uin \(user.uin) at \(LabEndpoint.addressString(user.address.address)) "
            + "TCP port \(user.tcpPort) -> uin \(recipient)")
        push(to: recipient, command: ICQCommand.Server.userOnline, seq2: 0, parameters: body)
    }

    private func relay(from sender: UInt32, to recipient: UInt32, type: UInt16, text: String) {
        guard users[recipient] != nil else {
            log.event("message from uin \(sender) to uin \(recipient) (offline): not delivered")
            return
        }
        log.event("message from uin \(sender) to uin \(recipient): \"\(text)\"")
        push(to: recipient, command: ICQCommand.Server.systemDeliveredMessage, seq2: 0,
             parameters: ICQParameters.message(uin: sender, type: type, text: text))
    }

    private func logoff(_ uin: UInt32, quiet: Bool = false) {
        users[uin] = nil
        pushes.cancelAll(owner: uin)
        if quiet { return }
        for (other, user) in users where user.contacts.contains(uin) {
            push(to: other, command: ICQCommand.Server.userOffline, seq2: 0, parameters: ICQParameters.userOffline(uin: uin))
        }
    }

    // MARK: Sending

    /// A push: the server's next SEQ1 for that client, sent to the address recorded at login and
    /// resent until acknowledged.
    private func push(to uin: UInt32, command: UInt16, seq2: UInt16, parameters: [UInt8]) {
        guard var user = users[uin] else { return }
        let seq1 = user.nextSeq1
        user.nextSeq1 &+= 1
        users[uin] = user
        let session = user.session, address = user.address
        let name = Self.name(command, client: false)
        pushes.send(
            .init(owner: uin, seq1: seq1, seq2: seq2),
            transmit: { [weak self] n in
                guard let self else { return }
                self.send(command: command, session: session, seq1: seq1, seq2: seq2, uin: uin,
                          parameters: parameters, to: address)
                self.log.event(n == 1
                    ? "push \(name) seq1 \(seq1) to uin \(uin) at \(address)"
                    : "retransmit \(name) seq1 \(seq1) to uin \(uin) at \(address) (transmission \(n))")
            },
            gaveUp: { [weak self] n in
                self?.log.event("push \(name) seq1 \(seq1) to uin \(uin) expired unacknowledged after \(n) transmissions")
            })
    }

    private func sendAck(session: UInt32, seq1: UInt16, seq2: UInt16, uin: UInt32, to: LabEndpoint) {
        send(command: ICQCommand.Server.ack, session: session, seq1: seq1, seq2: seq2, uin: uin, parameters: [], to: to)
    }

    private func send(
        command: UInt16, session: UInt32, seq1: UInt16, seq2: UInt16, uin: UInt32, parameters: [UInt8],
        to: LabEndpoint
    ) {
        let length = 0x15 + parameters.count
        let packet = ICQEncoder.v5Server(
            session: session, command: command, seq1: seq1, seq2: seq2, uin: uin, parameters: parameters,
            r1: Int(random.next(upperBound: UInt32(min(length, 256)))), r2: UInt8.random(in: 0...255, using: &random))
        if let error = socket.send(packet, to: to) { log.event("send to \(to) failed: \(error)") }
    }

    static func name(_ command: UInt16, client: Bool) -> String {
        let name = client ? ICQCommandNames.client(command) : ICQCommandNames.server(command)
        return name.map { "\($0)" } ?? String(format4: command)
    }
}

func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16, uppercase: true) }

extension String {
    init(format4 value: UInt16) {
        let digits = String(value, radix: 16, uppercase: true)
        self = "0x" + String(repeating: "0", count: 4 - digits.count) + digits
    }
}
