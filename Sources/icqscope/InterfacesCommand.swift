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
            switch format {
            case .ndjson:
                InterfaceRecord.writeNDJSON(&json, interface)
                out.take(&json)
            case .text:
                out.write(InterfaceRecord.text(interface, number: n + 1))
            }
        }
        out.flush()
    }
}
