import ArgumentParser
import LabPeers

/// The lab's ICQ v5 server (see `V5Server`): acks, login replies, pushes with retransmission.
@main
struct IcqlabServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "icqlab-server",
        abstract: "An ICQ v5 server on UDP for the gateway lab; logs one line per event to stderr.")

    @Option(help: "Address to listen on.")
    var bind = "0.0.0.0"

    @Option(help: "UDP port.")
    var port: UInt16 = 4000

    @Option(help: "Seconds between retransmissions of an unacknowledged push (iserverd: 10).")
    var retransmitInterval: Double = 10

    @Option(help: "Retransmissions of an unacknowledged push before it expires (iserverd: 5).")
    var retries = 5

    @Option(help: "Keep-alive interval announced in the login reply, in seconds.")
    var keepaliveHint: UInt16 = 120

    @Option(help: "Stop after this many seconds.")
    var runFor: Double = 60

    func validate() throws {
        guard LabEndpoint.parseAddress(bind) != nil else { throw ValidationError("--bind needs an IPv4 address") }
        guard retransmitInterval > 0, runFor > 0, retries >= 0 else { throw ValidationError("intervals must be positive") }
    }

    func run() throws {
        var configuration = V5Server.Configuration(bind: LabEndpoint(address: LabEndpoint.parseAddress(bind)!, port: port))
        configuration.retransmitInterval = retransmitInterval
        configuration.retries = retries
        configuration.keepAliveHint = keepaliveHint
        configuration.runFor = runFor
        try V5Server(configuration: configuration).run()
    }
}
