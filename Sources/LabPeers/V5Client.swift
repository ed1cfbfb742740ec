import Wire
#if canImport(Glibc)
import Glibc
#endif

/// An ICQ v5 client that behaves as the reference says real ones (the Mirabilis client, mICQ,
/// licq) do:
///
/// - every packet is encrypted as a real client does it (the project's `ICQEncoder`), with a
///   fresh random checkcode on every transmission, so retransmissions differ on the wire;
/// - CMD_LOGIN advertises the TCP port it listens on for direct connections (and it listens
///   there, answering a v6 or v8 PEER_INIT);
/// - every packet but CMD_ACK is resent every `retransmitInterval` seconds until the server's
///   SRV_ACK arrives, at most `maximumTransmissions` times (Mirabilis: 10 s, 6); when CMD_LOGIN
///   or CMD_KEEP_ALIVE is finally dropped it gives up on the connection and exits, as mICQ does;
/// - CMD_KEEP_ALIVE every `keepAlive` seconds after the login reply (120 s by default);
/// - every server packet but SRV_ACK is acknowledged with CMD_ACK echoing its SEQ1/SEQ2;
/// - on SRV_USER_ONLINE it can open a direct TCP connection to the advertised address and port;
/// - optionally it reaches the server through a SOCKS5 UDP association.
public final class V5Client {
    public struct ScheduledMessage: Sendable {
        /// Seconds after the login reply.
        public var at: Double
        public var to: UInt32
        public var text: String

        public init(at: Double, to: UInt32, text: String) {
            self.at = at
            self.to = to
            self.text = text
        }
    }

    public struct Configuration: Sendable {
        public var uin: UInt32
        public var password: String = "lab"
        public var server: LabEndpoint
        /// Local address for the UDP socket and the TCP listener (port 0 = ephemeral UDP port).
        public var bind: LabEndpoint
        /// The TCP port advertised in CMD_LOGIN and listened on; 0 = none.
        public var tcpPort: UInt16 = 0
        /// TCP (direct connection) version used when this client calls a peer: 6 or 8.
        public var dcVersion: UInt16 = 6
        public var keepAlive: Double = 120
        public var retransmitInterval: Double = 10
        public var maximumTransmissions: Int = 6
        public var contacts: [UInt32] = []
        public var messages: [ScheduledMessage] = []
        public var connectToPeers = false
        public var connectDelay: Double = 0.5
        public var connectTimeout: Double = 10
        public var socks5: LabEndpoint?
        /// Peer connections (TCP) go through this SOCKS4 proxy; UDP to the server stays direct,
        /// as SOCKS4 carries no UDP.
        public var socks4: LabEndpoint?
        /// Peers called as soon as the client starts, whatever the server says (UIN, endpoint).
        public var callAtStart: [(uin: UInt32, endpoint: LabEndpoint)] = []
        /// Seconds after the association is made at which the client closes the SOCKS control
        /// connection, while it keeps sending ICQ over the relay.
        public var closeSocksControlAfter: Double?
        /// Seconds after the login reply at which the client logs off; nil = never.
        public var logoffAfter: Double?
        /// On giving up on the server (its login or a keep-alive never acknowledged), send a
        /// logout (CMD_SEND_TEXT_CODE) before exiting, as real clients do (issue 13).
        public var logoutOnGiveUp = false
        /// Propose an external application (ICQ's External plugin) on every peer connection this
        /// client opens.
        public var proposeExternalApplication = false
        /// The port this client listens on for an external application and names when it accepts
        /// a proposal; 0 = none (proposals go unanswered).
        public var externalApplicationPort: UInt16 = 0
        public var runFor: Double = 60

        public init(uin: UInt32, server: LabEndpoint, bind: LabEndpoint) {
            self.uin = uin
            self.server = server
            self.bind = bind
        }
    }

    let configuration: Configuration
    let loop: EventLoop
    let log: LabLog
    let socket: UDPSocket
    let listener: TCPListener?
    let decoder = ICQDecoder()
    var random = SystemRandomNumberGenerator()
    let queue: RetransmitQueue<Int>
    let session: UInt32
    var nextSeq1: UInt16
    var nextSeq2: UInt16 = 1
    var loggedIn = false
    var loggedOff = false
    var externalIP: UInt32 = 0
    var recentServerSeq1: [UInt16] = []
    var peers: [DirectConnection] = []
    var keepAliveTimer: Int?
    // External applications
    var externalListener: TCPListener?
    var externalCalls: [TCPStream] = []
    let peerScratch = PeerScratch()
    // SOCKS5
    var socksControl: TCPStream?
    var association: Socks5UDPAssociation?
    var relay: LabEndpoint?

    public init(configuration: Configuration) throws {
        self.configuration = configuration
        let clock = LabClock()
        loop = EventLoop(clock: clock)
        log = LabLog(name: "client \(configuration.uin)", clock: clock)
        socket = try UDPSocket(bind: LabEndpoint(address: configuration.bind.address, port: configuration.bind.port))
        listener = configuration.tcpPort == 0
            ? nil : try TCPListener(bind: LabEndpoint(address: configuration.bind.address, port: configuration.tcpPort))
        queue = RetransmitQueue(
            loop: loop, interval: configuration.retransmitInterval,
            maximumTransmissions: configuration.maximumTransmissions)
        var random = SystemRandomNumberGenerator()
        session = random.next() & 0x3FFF_FFFF  // climm: 30 random bits
        nextSeq1 = UInt16(truncatingIfNeeded: random.next()) & 0x3FFF  // climm: 14 random bits
    }

    public func run() {
        log.event("udp \(socket.local), server \(configuration.server), session \(hex(session)), "
            + "keep-alive every \(configuration.keepAlive) s, retransmission every \(configuration.retransmitInterval) s "
            + "up to \(configuration.maximumTransmissions) transmissions, run for \(configuration.runFor) s")
        loop.onReadable(socket.fd) { [weak self] in
            guard let self else { return }
            while let (bytes, from) = self.socket.receive() { self.datagram(bytes, from: from) }
        }
        if let listener {
            log.event("listening for peers on tcp \(listener.local)")
            loop.onReadable(listener.fd) { [weak self] in self?.acceptPeers() }
        }
        startExternalApplicationListener()
        if let proxy = configuration.socks5 {
            startSocks(proxy)
        } else {
            login()
        }
        for call in configuration.callAtStart { openPeerConnection(call.uin, at: call.endpoint) }
        loop.run(until: configuration.runFor)
        for peer in peers { peer.finish("closing peer connection with \(peer.remote) at the end of the run") }
        log.event("stopping (\(loggedIn ? "logged in" : "not logged in"), \(queue.pendingCount) packet(s) unacknowledged)")
    }

    // MARK: Server session

    func login() {
        let body = ICQParameters.login(
            time: UInt32(truncatingIfNeeded: time(nil)), tcpPort: UInt32(configuration.tcpPort),
            password: configuration.password, lanIP: configuration.bind.address, mode: 0x04,
            dcVersion: UInt32(configuration.dcVersion))
        send(ICQCommand.Client.login, body, reliable: true)
    }

    func afterLogin() {
        send(ICQCommand.Client.login1, ICQParameters.random(random.next()), reliable: true)
        if !configuration.contacts.isEmpty {
            send(ICQCommand.Client.contactList, ICQParameters.uinList(configuration.contacts), reliable: true)
        }
        scheduleKeepAlive()
        for message in configuration.messages {
            loop.after(message.at) { [weak self] in
                guard let self, self.loggedIn else { return }
                self.log.event("sending message to uin \(message.to): \"\(message.text)\"")
                self.send(ICQCommand.Client.sendMessage, ICQParameters.message(uin: message.to, text: message.text), reliable: true)
            }
        }
        if let after = configuration.logoffAfter {
            loop.after(after) { [weak self] in self?.logoff() }
        }
    }

    func scheduleKeepAlive() {
        keepAliveTimer = loop.after(configuration.keepAlive) { [weak self] in
            guard let self, self.loggedIn else { return }
            self.send(ICQCommand.Client.keepAlive, ICQParameters.random(self.random.next()), reliable: true)
            self.scheduleKeepAlive()
        }
    }

    func logoff() {
        guard loggedIn else { return }
        send(ICQCommand.Client.sendTextCode, ICQParameters.textCode(), reliable: false)
        loggedIn = false
        loggedOff = true
        if let keepAliveTimer { loop.cancel(keepAliveTimer) }
        for peer in peers { peer.finish("closing peer connection with \(peer.remote) at log-off") }
        log.event("logged off")
        // Linger for the server's ACK, then exit as a client does.
        loop.after(min(1, configuration.retransmitInterval)) { [weak self] in self?.loop.stop() }
    }

    /// Sends a client packet with the next sequence numbers (SEQ2 stays 0 for keep-alives and
    /// text codes, docs/protocol.md#reliability). Reliable packets are resent until acknowledged.
    func send(_ command: UInt16, _ parameters: [UInt8], reliable: Bool) {
        let seq1 = nextSeq1
        nextSeq1 &+= 1
        var seq2: UInt16 = 0
        if command != ICQCommand.Client.keepAlive && command != ICQCommand.Client.sendTextCode {
            seq2 = nextSeq2
            nextSeq2 &+= 1
        }
        let name = V5Server.name(command, client: true)
        let transmit: (Int) -> Void = { [weak self] n in
            guard let self else { return }
            self.transmit(command: command, seq1: seq1, seq2: seq2, parameters: parameters)
            self.log.event(n == 1
                ? "sent \(name) seq1 \(seq1) seq2 \(seq2)"
                : "retransmit \(name) seq1 \(seq1) seq2 \(seq2) (transmission \(n))")
        }
        guard reliable else {
            transmit(1)
            return
        }
        queue.send(.init(owner: 0, seq1: seq1, seq2: seq2), transmit: transmit, gaveUp: { [weak self] n in
            guard let self else { return }
            self.log.event("\(name) seq1 \(seq1) unacknowledged after \(n) transmissions: dropped")
            if command == ICQCommand.Client.login || command == ICQCommand.Client.keepAlive {
                self.log.event("connection unstable: giving up on the server and exiting")
                self.loggedIn = false
                guard self.configuration.logoutOnGiveUp else {
                    self.loop.stop()
                    return
                }
                self.send(ICQCommand.Client.sendTextCode, ICQParameters.textCode(), reliable: false)
                self.loggedOff = true
                if let keepAliveTimer = self.keepAliveTimer { self.loop.cancel(keepAliveTimer) }
                self.loop.after(min(1, self.configuration.retransmitInterval)) { [weak self] in self?.loop.stop() }
            }
        })
    }

    func transmit(command: UInt16, seq1: UInt16, seq2: UInt16, parameters: [UInt8]) {
        let length = 0x18 + parameters.count
        let packet = ICQEncoder.v5Client(
            uin: configuration.uin, session: session, command: command, seq1: seq1, seq2: seq2, parameters: parameters,
            r1: ICQEncoder.clientR1(random: random.next(), length: length), r2: UInt8.random(in: 0...255, using: &random))
        sendToServer(packet)
    }

    func sendToServer(_ packet: [UInt8]) {
        let error: String?
        if let relay {
            error = socket.send(Socks5UDPAssociation.wrap(packet, destination: configuration.server), to: relay)
        } else {
            error = socket.send(packet, to: configuration.server)
        }
        if let error { log.event("udp send failed: \(error)") }
    }

    func datagram(_ bytes: [UInt8], from: LabEndpoint) {
        var payload = bytes
        if let relay {
            guard from == relay, let unwrapped = Socks5UDPAssociation.unwrap(bytes) else {
                log.event("ignored \(bytes.count) bytes from \(from): not from the SOCKS relay")
                return
            }
            payload = unwrapped.data
        }
        let result = payload.withUnsafeBytes { decoder.decode($0, direction: .serverToClient) }
        guard case .icq(let packet) = result, packet.header.version == 5, packet.header.sessionID == session,
              let seq2 = packet.header.seq2
        else {
            log.event("ignored \(payload.count) bytes from \(from): not a v5 server packet of this session")
            return
        }
        let command = packet.header.command, seq1 = packet.header.seq1
        if command == ICQCommand.Server.ack {
            if let n = queue.acknowledge(.init(owner: 0, seq1: seq1, seq2: seq2)) {
                log.event("SRV_ACK for seq1 \(seq1) seq2 \(seq2) after \(n) transmission(s)")
            } else {
                log.event("SRV_ACK for seq1 \(seq1) seq2 \(seq2) (nothing pending)")
            }
            return
        }
        // Every other server packet is acknowledged, duplicates included.
        transmit(command: ICQCommand.Client.ack, seq1: seq1, seq2: seq2, parameters: ICQParameters.random(random.next()))
        let name = V5Server.name(command, client: false)
        if recentServerSeq1.contains(seq1) {
            log.event("duplicate \(name) seq1 \(seq1): re-acked, not processed")
            return
        }
        recentServerSeq1.append(seq1)
        if recentServerSeq1.count > 64 { recentServerSeq1.removeFirst() }
        log.event("got \(name) seq1 \(seq1) seq2 \(seq2): acked")
        switch packet.body {
        case .loginReply(let reply) where command == ICQCommand.Server.loginReply:
            guard !loggedIn && !loggedOff else { return }
            loggedIn = true
            externalIP = reply.externalIP.ipv4Value
            log.event("logged in; the server sees us at \(reply.externalIP)")
            afterLogin()
        case .userOnline(let online):
            log.event("uin \(online.uin) online at \(online.externalIP) TCP port \(online.tcpPort)")
            if configuration.connectToPeers && online.tcpPort > 0 && online.tcpPort <= 0xFFFF {
                let target = LabEndpoint(address: online.externalIP.ipv4Value, port: UInt16(online.tcpPort))
                loop.after(configuration.connectDelay) { [weak self] in self?.callPeer(online.uin, at: target) }
            }
        case .message(let message):
            let text = String(decoding: message.text.bytes(in: packet.bytes), as: UTF8.self)
            log.event("message from uin \(message.uin): \"\(text)\"")
        case .userOffline(let uin):
            log.event("uin \(uin) went offline")
        default:
            if command == ICQCommand.Server.notConnected { log.event("the server says we are not logged in") }
        }
    }
}
