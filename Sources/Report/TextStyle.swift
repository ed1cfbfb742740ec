/// Colours for the text report on a terminal (ANSI SGR sequences): the report card's marks, the
/// findings' severities and the headings. `plain` adds nothing; files and pipes always get plain
/// text (the command decides: a terminal on stdout, and `NO_COLOR` unset).
public struct TextStyle: Sendable {
    public let enabled: Bool

    public init(enabled: Bool) { self.enabled = enabled }

    public static let plain = TextStyle(enabled: false)

    func wrap(_ text: String, _ code: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    public func heading(_ text: String) -> String { wrap(text, "1") }
    public func good(_ text: String) -> String { wrap(text, "1;32") }
    public func bad(_ text: String) -> String { wrap(text, "1;31") }
    public func warning(_ text: String) -> String { wrap(text, "1;33") }
    public func muted(_ text: String) -> String { wrap(text, "2") }
}
