import ArgumentParser
import LabPeers

/// The lab's ICQ v5 client (see `V5Client`).
@main
struct IcqlabClient: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "icqlab-client",
        abstract: "An ICQ v5 client for the gateway lab; logs one line per event to stderr.")

    @Option(help: "Own UIN.")
    var uin: UInt32

    @Option(help: "Password sent in CMD_LOGIN.")
    var password = "lab"

    @Option(help: "The ICQ server, address:port.")
    var server: String

    @Option(help: "Local address to send from and listen on.")
    var bind = "0.0.0.0"

    @Option(help: "Local UDP port (0: any).")
    var udpPort: UInt16 = 0

    @Option(help: "TCP port to listen on for peers and advertise in CMD_LOGIN (0: none).")
    var tcpPort: UInt16 = 0

    @Option(help: "Direct-connection (TCP) version used when calling a peer: 6 or 8.")
    var dcVersion: UInt16 = 6

    @Option(help: "Seconds between keep-alives (real clients: 120).")
    var keepalive: Double = 120

    @Option(help: "Seconds between retransmissions of an unacknowledged packet (real clients: 10).")
    var retransmitInterval: Double = 10

    @Option(help: "Transmissions of a packet before giving up on it (Mirabilis: 6).")
    var maxTransmissions = 6

    @Option(help: "A UIN for the contact list (repeatable).")
    var contact: [UInt32] = []

    @Option(help: "A message to send, SECONDS:UIN:TEXT, seconds after the login reply (repeatable).")
    var message: [String] = []

    @Flag(help: "Open a direct TCP connection to every peer announced by SRV_USER_ONLINE.")
    var connectPeers = false

    @Option(help: "Seconds to wait after SRV_USER_ONLINE before calling the peer.")
    var connectDelay: Double = 0.5

    @Option(help: "Seconds before an unanswered peer connection (or SOCKS handshake) is abandoned (climm: 10).")
    var connectTimeout: Double = 10

    @Option(help: "Reach the server through this SOCKS5 proxy's UDP association, address:port.")
    var socks5: String?

    @Option(help: "Make peer connections (TCP) through this SOCKS4 proxy, address:port; UDP to the server stays direct.")
    var socks4: String?

    @Option(help: "A peer to call as soon as the client starts, UIN:ADDRESS:PORT (repeatable).")
    var call: [String] = []

    @Option(help: "Seconds after the SOCKS5 association at which to close its TCP control connection.")
    var closeSocksControlAfter: Double?

    @Option(help: "Seconds after the login reply at which to log off (CMD_SEND_TEXT_CODE).")
    var logoffAfter: Double?

    @Flag(help: "On giving up on the server, send a logout (CMD_SEND_TEXT_CODE) before exiting, as real clients do.")
    var logoutOnGiveUp = false

    @Flag(help: "Propose an external application (ICQ's External plugin) on every peer connection this client opens.")
    var proposeExternalApplication = false

    @Option(help: "Listen on this TCP port for an external application and name it when accepting a proposal (0: none).")
    var externalApplicationPort: UInt16 = 0

    @Option(help: "Stop after this many seconds.")
    var runFor: Double = 60

    func validate() throws {
        guard LabEndpoint(server) != nil else { throw ValidationError("--server needs address:port") }
        guard LabEndpoint.parseAddress(bind) != nil else { throw ValidationError("--bind needs an IPv4 address") }
        if let socks5, LabEndpoint(socks5) == nil { throw ValidationError("--socks5 needs address:port") }
        if let socks4, LabEndpoint(socks4) == nil { throw ValidationError("--socks4 needs address:port") }
        _ = try parsedCalls()
        guard dcVersion == 6 || dcVersion == 8 else { throw ValidationError("--dc-version is 6 or 8") }
        guard keepalive > 0, retransmitInterval > 0, runFor > 0, maxTransmissions >= 1 else {
            throw ValidationError("intervals must be positive")
        }
        _ = try parsedMessages()
    }

    func parsedCalls() throws -> [(uin: UInt32, endpoint: LabEndpoint)] {
        try call.map { spec in
            let parts = spec.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let uin = UInt32(parts[0]), let endpoint = LabEndpoint(String(parts[1])) else {
                throw ValidationError("--call is UIN:ADDRESS:PORT, got \(spec)")
            }
            return (uin, endpoint)
        }
    }

    func parsedMessages() throws -> [V5Client.ScheduledMessage] {
        try message.map { spec in
            let parts = spec.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let at = Double(parts[0]), let to = UInt32(parts[1]) else {
                throw ValidationError("--message is SECONDS:UIN:TEXT, got \(spec)")
            }
            return V5Client.ScheduledMessage(at: at, to: to, text: String(parts[2]))
        }
    }

    func run() throws {
        var c = V5Client.Configuration(
            uin: uin, server: LabEndpoint(server)!,
            bind: LabEndpoint(address: LabEndpoint.parseAddress(bind)!, port: udpPort))
        c.password = password
        c.tcpPort = tcpPort
        c.dcVersion = dcVersion
        c.keepAlive = keepalive
        c.retransmitInterval = retransmitInterval
        c.maximumTransmissions = maxTransmissions
        c.contacts = contact
        c.messages = try parsedMessages()
        c.socks4 = socks4.flatMap(LabEndpoint.init)
        c.callAtStart = try parsedCalls()
        c.connectToPeers = connectPeers
        c.connectDelay = connectDelay
        c.connectTimeout = connectTimeout
        c.socks5 = socks5.flatMap(LabEndpoint.init)
        c.closeSocksControlAfter = closeSocksControlAfter
        c.logoffAfter = logoffAfter
        c.logoutOnGiveUp = logoutOnGiveUp
        c.proposeExternalApplication = proposeExternalApplication
        c.externalApplicationPort = externalApplicationPort
        c.runFor = runFor
        try V5Client(configuration: c).run()
    }
}
