#if canImport(Glibc)
import Glibc
#endif
import Crypto

/// The gateway lab's OSCAR (ICQ) server: a login server (the authorizer, TCP 5190) and a BOS
/// server on a port of their own, as ICQ's were. A client logs in with the MD5 key exchange
/// (SNAC 17,06 -> 17,07 key -> 17,02 digest -> 17,03), is redirected to the BOS address with a
/// cookie (17,03 TLV 5 and 6), reconnects there with the cookie, and gets what a real server
/// sends while a client signs on (01,03 families, versions, rate classes, rights, its
/// server-stored buddy list), its buddies' arrivals (03,0B with DC info, TLV 0x0C) and the
/// messages sent to it (04,06 relayed as 04,07). Enough for a real client (bitlbee's OSCAR
/// code) to finish signing on and talk; one log line per event.
public final class OSCARServer {
    public struct Configuration: Sendable {
        public var login: LabEndpoint
        public var bos: LabEndpoint
        /// Screen name (UIN) -> password.
        public var accounts: [String: String] = [:]
        /// Screen name -> its server-stored buddy list.
        public var buddies: [String: [String]] = [:]
        public var runFor: Double = 60

        public init(login: LabEndpoint, bos: LabEndpoint) {
            self.login = login
            self.bos = bos
        }
    }

    /// The string MD5 logins append to key and password (libfaim's AIM_MD5_STRING).
    static let md5Suffix = Array("AOL Instant Messenger (SM)".utf8)

    final class Connection {
        let stream: TCPStream
        let peer: LabEndpoint
        let isBOS: Bool
        var flap = FLAPConnection()
        var screenName: String?
        var authKey: String?
        var signedOn = false
        /// Status (01,1E TLV 6) and DC info (01,1E TLV 0x0C) as the client last set them.
        var status: UInt32 = 0
        var dcInfo: [UInt8]?

        init(stream: TCPStream, peer: LabEndpoint, isBOS: Bool) {
            self.stream = stream
            self.peer = peer
            self.isBOS = isBOS
        }
    }

    let configuration: Configuration
    let loop: EventLoop
    let log: LabLog
    var connections: [Int32: Connection] = [:]
    /// Cookies handed out with the redirect, to the screen name they admit to BOS.
    var cookies: [[UInt8]: String] = [:]
    var snacID: UInt32 = 0x100

    public init(configuration: Configuration) {
        self.configuration = configuration
        let clock = LabClock()
        loop = EventLoop(clock: clock)
        log = LabLog(name: "oscar-server", clock: clock)
    }

    public func run() throws {
        let login = try TCPListener(bind: configuration.login)
        let bos = try TCPListener(bind: configuration.bos)
        loop.onReadable(login.fd) { [unowned self] in accept(login, isBOS: false) }
        loop.onReadable(bos.fd) { [unowned self] in accept(bos, isBOS: true) }
        log.event("listening on \(login.local) (login) and \(bos.local) (BOS)")
        loop.run(until: configuration.runFor)
        log.event("stopping")
        for connection in connections.values { connection.stream.close() }
    }

    private func accept(_ listener: TCPListener, isBOS: Bool) {
        guard let (stream, peer) = listener.accept() else { return }
        let connection = Connection(stream: stream, peer: peer, isBOS: isBOS)
        connections[stream.fd] = connection
        log.event("\(isBOS ? "BOS" : "login") connection from \(peer)")
        loop.onReadable(stream.fd) { [unowned self] in readable(connection) }
        // The server speaks first: FLAP channel 1, version 1.
        send(connection, channel: 1, OSCARWire.u32(1))
    }

    private func readable(_ connection: Connection) {
        switch connection.stream.read() {
        case .wouldBlock: return
        case .closed(let reason): drop(connection, reason)
        case .data(let bytes):
            for incoming in connection.flap.received(bytes) {
                guard case .frame(let channel, let data) = incoming else {
                    drop(connection, "not FLAP")
                    return
                }
                switch channel {
                case 1 where connection.isBOS: signOnWithCookie(connection, data)
                case 2: snacReceived(connection, data)
                case 4: drop(connection, "client closed the session (FLAP channel 4)")
                default: break  // the client's hello on the login connection, keep-alives (5)
                }
            }
        }
    }

    func drop(_ connection: Connection, _ reason: String) {
        guard connections.removeValue(forKey: connection.stream.fd) != nil else { return }
        loop.remove(connection.stream.fd)
        connection.stream.close()
        log.event("\(connection.screenName ?? "?") \(connection.isBOS ? "BOS" : "login") connection from \(connection.peer) ended: \(reason)")
        if connection.isBOS, connection.signedOn { departed(connection) }
    }

    func send(_ connection: Connection, channel: UInt8 = 2, _ data: [UInt8]) {
        connection.stream.write(connection.flap.frame(channel: channel, data))
    }

    func sendSNAC(_ connection: Connection, _ family: UInt16, _ subtype: UInt16, id: UInt32? = nil, _ body: [UInt8]) {
        snacID &+= 1
        send(connection, OSCARWire.snac(family, subtype, id: id ?? snacID, body))
    }

    private func snacReceived(_ connection: Connection, _ data: ArraySlice<UInt8>) {
        guard let family = OSCARWire.readU16(data, 0), let subtype = OSCARWire.readU16(data, 2),
              let id = OSCARWire.readU32(data, 6) else { return drop(connection, "short SNAC") }
        let body = data.dropFirst(10)
        if connection.isBOS {
            bosSNAC(connection, family, subtype, id: id, body)
        } else if family == 0x17 {
            loginSNAC(connection, subtype, id: id, body)
        }
    }

    // MARK: The authorizer: MD5 key exchange, then the redirect to BOS.

    private func loginSNAC(_ connection: Connection, _ subtype: UInt16, id: UInt32, _ body: ArraySlice<UInt8>) {
        let tlvs = OSCARWire.tlvs(body) ?? []
        guard let nameTLV = tlvs.first(where: { $0.type == 1 }) else { return drop(connection, "login without a screen name") }
        let name = String(decoding: nameTLV.value, as: UTF8.self)
        connection.screenName = name
        switch subtype {
        case 0x06:
            let key = String(UInt32.random(in: 1_000_000_000...4_000_000_000))
            connection.authKey = key
            log.event("\(name): key request (17,06); key sent (17,07)")
            sendSNAC(connection, 0x17, 0x07, id: id, OSCARWire.u16(UInt16(key.utf8.count)) + Array(key.utf8))
        case 0x02:
            let digest = tlvs.first(where: { $0.type == 0x25 }).map { Array($0.value) }
            guard let password = configuration.accounts[name], let key = connection.authKey,
                  digest == Array(Insecure.MD5.hash(data: Array(key.utf8) + Array(password.utf8) + Self.md5Suffix))
            else {
                log.event("\(name): login (17,02) refused: wrong UIN or password")
                sendSNAC(connection, 0x17, 0x03, id: id, OSCARWire.tlv(1, Array(name.utf8)) + OSCARWire.tlv(8, OSCARWire.u16(5)))
                return
            }
            let cookie = (0..<256).map { _ in UInt8.random(in: 0...255) }
            cookies[cookie] = name
            let bos = "\(LabEndpoint.addressString(configuration.bos.address)):\(configuration.bos.port)"
            log.event("\(name): login (17,02) accepted; redirected to BOS \(bos) (17,03)")
            sendSNAC(connection, 0x17, 0x03, id: id,
                     OSCARWire.tlv(1, Array(name.utf8)) + OSCARWire.tlv(5, Array(bos.utf8)) + OSCARWire.tlv(6, cookie))
        default:
            break
        }
    }
}
