import ArgumentParser

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, ndjson
}

/// Options every analysing command shares (`read`, and `live`).
struct AnalysisOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: text for people, ndjson for programs.")
    var format: OutputFormat = .text

    @Flag(name: .long, help: "One line (or NDJSON record) per packet.")
    var packets = false

    @Option(name: .long, help: "A BPF filter expression, e.g. 'udp port 4000'.")
    var filter: String?

    @Flag(name: .long, help: "Show passwords and other secrets instead of masking them.")
    var revealSecrets = false
}
