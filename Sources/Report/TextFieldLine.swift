import Wire

/// A `FieldVisitor` that makes a one-line text summary (`--packets` text): the chosen fields as
/// `leaf=value`, with the leading components dropped (`socks.command_name` → `command_name`).
/// Allocates; text output only.
struct TextFieldLine: FieldVisitor {
    var line: String
    let wanted: Set<String>

    init(prefix: String, wanted: Set<String>) {
        line = prefix
        self.wanted = wanted
    }

    mutating func visit(_ name: StaticString, _ value: FieldValue) {
        let full = name.description
        guard wanted.contains(full) else { return }
        let leaf = full.split(separator: ".").last.map(String.init) ?? full
        var text = value.renderedText
        if text.count > 60 { text = String(text.prefix(57)) + "..." }
        if case .text = value { text = "\"" + text + "\"" }
        line += " " + leaf + "=" + text
    }
}
