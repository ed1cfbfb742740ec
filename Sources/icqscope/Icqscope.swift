import ArgumentParser
import Engine

@main
struct Icqscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "icqscope",
        abstract: "Finds out, with proof, why ICQ traffic fails through a firewall.",
        discussion: """
            Reads packet captures (pcap, pcapng) and decodes the ICQ family: classic ICQ over UDP,
            the peer-to-peer protocol, OSCAR and SOCKS. Output formats and exit statuses follow
            the output contract: 0 done, 1 findings at --fail-on severity, 2 damaged input,
            64 usage error.
            """,
        subcommands: [ReadCommand.self, LiveCommand.self, InterfacesCommand.self, ProfilesCommand.self]
    )
}
