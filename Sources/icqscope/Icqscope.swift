import ArgumentParser
import Engine

@main
struct Icqscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "icqscope",
        abstract: "Finds out, with proof, why ICQ traffic fails through a firewall.",
        // One line per paragraph (the trailing backslashes join the source lines): the parser
        // wraps the text to the terminal, and a line break of its own would break the line early.
        discussion: """
            Reads packet captures (pcap, pcapng) and decodes the ICQ family: classic ICQ over UDP, \
            the peer-to-peer protocol, OSCAR and SOCKS; judges what it sees against the firewall \
            guide's requirements and reports each finding with the frames that prove it.

            Exit statuses: 0 done, 1 findings at the --fail-on severity, 2 damaged input, \
            64 usage error, 74 an output could not be written.
            """,
        subcommands: [ReadCommand.self, LiveCommand.self, InterfacesCommand.self, ProfilesCommand.self]
    )
}
