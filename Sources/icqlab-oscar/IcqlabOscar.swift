import ArgumentParser
import LabPeers

/// The lab's OSCAR server (see `OSCARServer`): login with MD5 key, BOS redirect, buddy arrival,
/// message relay.
@main
struct IcqlabOscar: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "icqlab-oscar",
        abstract: "An OSCAR (ICQ) login and BOS server on TCP for the gateway lab; logs one line per event to stderr.")

    @Option(help: "Login server (authorizer) address:port.")
    var login = "0.0.0.0:5190"

    @Option(help: "BOS server address:port, the address the login redirects to.")
    var bos = "127.0.0.1:5191"

    @Option(help: "An account, UIN:PASSWORD (repeatable).")
    var account: [String] = []

    @Option(help: "UIN:BUDDY: BUDDY is on UIN's server-stored buddy list (repeatable).")
    var buddy: [String] = []

    @Option(help: "Stop after this many seconds.")
    var runFor: Double = 60

    func validate() throws {
        guard LabEndpoint(login) != nil, LabEndpoint(bos) != nil else { throw ValidationError("--login and --bos need a.b.c.d:port") }
        guard (account + buddy).allSatisfy({ $0.split(separator: ":").count == 2 }) else {
            throw ValidationError("--account and --buddy take two values separated by ':'")
        }
        guard runFor > 0 else { throw ValidationError("--run-for must be positive") }
    }

    func run() throws {
        var configuration = OSCARServer.Configuration(login: LabEndpoint(login)!, bos: LabEndpoint(bos)!)
        for entry in account {
            let parts = entry.split(separator: ":").map(String.init)
            configuration.accounts[parts[0]] = parts[1]
        }
        for entry in buddy {
            let parts = entry.split(separator: ":").map(String.init)
            configuration.buddies[parts[0], default: []].append(parts[1])
        }
        configuration.runFor = runFor
        try OSCARServer(configuration: configuration).run()
    }
}
