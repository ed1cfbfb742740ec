import ArgumentParser
import Engine
import Capture
import Report

struct InterfacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interfaces",
        abstract: "List the interfaces that can be captured on, with their addresses."
    )

    @Option(name: .long, help: "Output format: text for people, ndjson for programs.")
    var format: OutputFormat = .text

    func run() throws {
        let out = OutputSink(fd: 1)
        let list: [AvailableInterface]
        do {
            list = try AvailableInterface.all()
        } catch {
            let err = OutputSink(fd: 2, threshold: 0)
            err.write(ErrorRecord.line(error))
            if format == .ndjson {
                var json = JSONWriter()
                ErrorRecord.write(&json, error)
                out.take(&json)
            }
            throw ExitCode(ExitStatus.damagedInput)
        }
        var json = JSONWriter()
        for (n, interface) in list.enumerated() {
            var flags: [String] = []
            if interface.isUp { flags.append("up") }
            if interface.isRunning { flags.append("running") }
            if interface.isLoopback { flags.append("loopback") }
            if interface.isWireless { flags.append("wireless") }
            switch format {
            case .ndjson:
                json.beginObject()
                json.field("type", static: "interface")
                json.field("name", interface.name)
                if let d = interface.description { json.field("description", d) }
                json.beginArray("flags")
                for flag in flags { json.string(flag) }
                json.endArray()
                json.beginArray("addresses")
                for address in interface.addresses { json.string(address.description) }
                json.endArray()
                json.endObject()
                json.endLine()
                out.take(&json)
            case .text:
                var line = "\(n + 1). \(interface.name)"
                if let d = interface.description { line += " (\(d))" }
                if !flags.isEmpty { line += " [\(flags.joined(separator: ", "))]" }
                if !interface.addresses.isEmpty {
                    line += " " + interface.addresses.map(\.description).joined(separator: ", ")
                }
                out.write(line + "\n")
            }
        }
        out.flush()
    }
}
