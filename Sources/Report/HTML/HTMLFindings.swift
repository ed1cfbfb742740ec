import Diagnosis

/// The findings, grouped under the requirement they break (most severe first, then by time),
/// each with its parties, explanation, advice and a ladder diagram of its frames.
enum HTMLFindings {
    static func section(_ data: HTMLReportData) -> String {
        var s = "<section id=\"findings\">\n<h2>Findings (\(data.findings.count))</h2>\n"
        guard !data.findings.isEmpty else {
            return s + "<p class=\"lead\">None: nothing in this capture shows the firewall breaking ICQ.</p>\n</section>\n"
        }
        s += "<p class=\"lead\">What the firewall did wrong, with the frames that prove it. Each diagram draws the finding's frames in time order"
        s += data.twoSided ? " across the inside, the gateway and the outside." : " between the two parties, as the one vantage point saw them."
        s += "</p>\n"
        var laddersDrawn = 0
        let indexed = Array(data.findings.enumerated())
        for requirement in Finding.Requirement.allCases {
            let group = indexed.filter { $0.element.finding.requirement == requirement }
                .sorted { a, b in
                    let x = a.element.finding, y = b.element.finding
                    if x.severity != y.severity { return x.severity > y.severity }
                    if x.firstTime != y.firstTime { return x.firstTime < y.firstTime }
                    return a.offset < b.offset
                }
            guard !group.isEmpty else { continue }
            s += "<h3 class=\"group-title\">Requirement <a href=\"#requirement-\(requirement.rawValue)\"><code>\(requirement.rawValue)</code></a>: \(HTMLText.escape(requirement.statement))</h3>\n"
            for (index, evidence) in group {
                let draw = laddersDrawn < HTMLPage.maximumLadders
                if draw { laddersDrawn += 1 }
                s += article(evidence, index: index, data: data, ladder: draw)
            }
        }
        if laddersDrawn < data.findings.count {
            s += "<p class=\"more\">Diagrams drawn for the first \(laddersDrawn) findings; \(data.findings.count - laddersDrawn) more are listed without one.</p>\n"
        }
        return s + "</section>\n"
    }

    static func article(_ evidence: FindingEvidence, index: Int, data: HTMLReportData, ladder: Bool) -> String {
        let f = evidence.finding
        var s = "<article class=\"finding \(f.severity.rawValue)\" id=\"\(HTMLPage.findingAnchor(index))\" data-finding=\"\(f.kind.rawValue)\""
        s += " data-frames=\"\(HTMLText.frames(f.frames))\" data-severity=\"\(f.severity.rawValue)\""
        if let level = f.level { s += " data-level=\"\(level.rawValue)\"" }
        if let detail = f.detail { s += " data-detail=\"\(detail.rawValue)\"" }
        s += " data-requirement-broken=\"\(f.requirement.rawValue)\">\n"
        var qualifiers: [String] = []
        if let level = f.level { qualifiers.append(level.rawValue) }
        if let detail = f.detail { qualifiers.append(HTMLText.words(detail.rawValue)) }
        s += "<h3><span class=\"sev\">\(f.severity.rawValue.uppercased())</span>\(HTMLText.words(f.kind.rawValue))"
        if !qualifiers.isEmpty { s += " <span class=\"qual\">(\(qualifiers.joined(separator: ", ")))</span>" }
        s += "</h3>\n"
        var parties: [String] = []
        if let uin = f.uin { parties.append("UIN \(uin)") }
        if let c = f.client { parties.append("client \(HTMLText.escape(c.description))") }
        if let server = f.server { parties.append("server \(HTMLText.escape(server.description))") }
        if let p = f.peer { parties.append("peer \(HTMLText.escape(p.description))") }
        parties.append(HTMLText.escape(TimeFormat.utc(f.firstTime)) + (f.lastTime > f.firstTime ? " + \(HTMLText.seconds(HTMLText.elapsed(f.firstTime, f.lastTime)))" : ""))
        parties.append("frames \(HTMLText.frameList(f.frames))")
        if data.sources.count > 1 { parties.append("in <code>\(HTMLText.escape(data.sources[Int(evidence.sourceIndex)]))</code>") }
        s += "<div class=\"who\">\(parties.joined(separator: " · "))</div>\n"
        s += "<p>\(HTMLText.escape(f.explanation))</p>\n"
        s += "<div class=\"advice\">\(HTMLText.escape(f.advice))</div>\n"
        if ladder { s += HTMLLadder.figure(evidence, data: data) }
        return s + "</article>\n"
    }
}
