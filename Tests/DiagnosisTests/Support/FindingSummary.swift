import Diagnosis

/// What a test compares of a finding: kind, severity, level and detail.
struct FindingSummary: Equatable, CustomStringConvertible {
    var kind: Finding.Kind
    var severity: Finding.Severity
    var level: Finding.Level?
    var detail: Finding.Detail?

    init(_ kind: Finding.Kind, _ severity: Finding.Severity, _ level: Finding.Level? = nil, _ detail: Finding.Detail? = nil) {
        self.kind = kind
        self.severity = severity
        self.level = level
        self.detail = detail
    }

    init(_ f: Finding) {
        self.init(f.kind, f.severity, f.level, f.detail)
    }

    var description: String {
        "\(kind.rawValue) \(severity.rawValue)" + (level.map { " \($0.rawValue)" } ?? "") + (detail.map { " \($0.rawValue)" } ?? "")
    }
}

extension Array where Element == Finding {
    var summaries: [FindingSummary] { map(FindingSummary.init) }
}
