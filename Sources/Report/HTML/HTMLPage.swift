import Diagnosis

/// `--html FILE`: one self-contained page (inline CSS and SVG, a few lines of plain JavaScript to
/// sort the tables; nothing is fetched). The same input gives the same bytes: no wall clock, no
/// random identifiers, every list in a fixed order.
///
/// It opens with the report card, then the findings (each with a ladder diagram of its frames),
/// the ICQ sessions' timelines (sessions with findings first, at most `maximumTimelines`), the
/// peer-port matrix, the sessions and flows as sortable tables, and the summary. Each finding and
/// requirement is an element with `data-finding` / `data-requirement` and `data-frames`; the
/// timeout line (`data-timeout`) and each dropped packet (`data-dropped`) are marked too.
public enum HTMLPage {
    public static let maximumTimelines = 24
    public static let maximumLadders = 200

    public static func render(_ data: HTMLReportData) -> String {
        var page = ""
        page.reserveCapacity(64 * 1024)
        page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        page += "<meta name=\"generator\" content=\"icqscope\">\n"
        page += "<title>icqscope: \(HTMLText.escape(data.sources.joined(separator: ", ")))</title>\n"
        page += "<style>\n\(HTMLStyle.css)</style>\n</head>\n<body>\n"
        page += header(data)
        page += "<main>\n"
        page += HTMLCard.section(data)
        page += HTMLFindings.section(data)
        page += HTMLTimeline.section(data)
        page += HTMLPortMatrix.section(data)
        page += HTMLTables.sessions(data)
        page += HTMLTables.flows(data)
        page += HTMLTables.summary(data)
        page += "</main>\n"
        page += "<footer>Written by icqscope from the capture alone: capture time is the only clock, and this page loads nothing from anywhere.</footer>\n"
        page += "<script>\n\(HTMLStyle.script)</script>\n</body>\n</html>\n"
        return page
    }

    static func header(_ data: HTMLReportData) -> String {
        var h = "<header>\n<div class=\"brand\">icqscope</div>\n"
        h += "<h1>Why ICQ fails through this firewall</h1>\n"
        h += "<p class=\"sources\">" + data.sources.map { "<code>\(HTMLText.escape($0))</code>" }.joined(separator: ", ") + "</p>\n"
        var facts: [String] = []
        facts.append("\(HTMLText.count(data.packets)) packets")
        if let first = data.firstTime, let last = data.lastTime {
            facts.append("\(HTMLText.escape(TimeFormat.utc(first))) + \(HTMLText.seconds(HTMLText.elapsed(first, last)))")
        }
        facts.append(vantage(data))
        h += "<p class=\"facts\">" + facts.joined(separator: " · ") + "</p>\n"
        let errors = data.findings.filter { $0.finding.severity == .error }.count
        let warnings = data.findings.count - errors
        let failed = data.card.filter { $0.status == .fail }.count
        let passed = data.card.filter { $0.status == .pass }.count
        h += "<div class=\"chips\">"
        h += "<a class=\"chip \(failed > 0 ? "bad" : "good")\" href=\"#card\">\(failed) of \(data.card.count) requirements broken, \(passed) shown to hold</a>"
        h += "<a class=\"chip \(errors > 0 ? "bad" : "neutral")\" href=\"#findings\">\(errors) error\(errors == 1 ? "" : "s")</a>"
        h += "<a class=\"chip \(warnings > 0 ? "warn" : "neutral")\" href=\"#findings\">\(warnings) warning\(warnings == 1 ? "" : "s")</a>"
        h += "<a class=\"chip neutral\" href=\"#timelines\">\(HTMLText.count(data.sessions.count + data.sessionsNotRecorded)) ICQ session\(data.sessions.count + data.sessionsNotRecorded == 1 ? "" : "s")</a>"
        h += "<a class=\"chip neutral\" href=\"#flows\">\(HTMLText.count(data.flows.count + data.flowsNotListed)) flows</a>"
        h += "</div>\n</header>\n"
        return h
    }

    /// "both sides of the gateway: inside0 (clients) and outside0", or the one vantage point.
    static func vantage(_ data: HTMLReportData) -> String {
        let names = data.interfaceNames.last ?? []
        guard data.twoSided else {
            return "one vantage point" + (names.first.map { " (\(HTMLText.escape($0)))" } ?? "")
        }
        if let inside = data.insideSide {
            let others = names.indices.filter { Int32($0) != inside }.map { HTMLText.escape(names[$0]) }
            let insideName = HTMLText.escape(data.sideName(inside, sourceIndex: UInt16(max(0, data.sources.count - 1))))
            return "both sides of the gateway: \(insideName) (the clients' side)" + (others.isEmpty ? "" : " and " + others.joined(separator: ", "))
        }
        return "both sides of the gateway"
    }

    /// An element's anchor for a finding (its position in the run).
    static func findingAnchor(_ index: Int) -> String { "finding-\(index + 1)" }
}
