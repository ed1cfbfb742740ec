import Diagnosis

/// The report card: the firewall guide's requirements, each ✔ (the capture shows it holds),
/// ✘ (findings break it) or ? (nothing in the capture tests it), with the guide's own words, the
/// explanation, the advice and links to the findings that break it.
enum HTMLCard {
    static func section(_ data: HTMLReportData) -> String {
        var s = "<section id=\"card\">\n<h2>The firewall guide, point by point</h2>\n"
        s += "<p class=\"lead\">Each requirement of Mirabilis's “ICQ &amp; firewall” guide: ✔ the capture shows it holds, ✘ findings show it broken, ? nothing in the capture tests it.</p>\n"
        for r in data.card {
            s += requirement(r, data: data)
        }
        return s + "</section>\n"
    }

    static func requirement(_ r: RequirementResult, data: HTMLReportData) -> String {
        let (mark, word) = switch r.status {
        case .pass: ("✔", "holds")
        case .fail: ("✘", "broken")
        case .notObserved: ("?", "not observed")
        }
        let id = r.requirement.rawValue
        var s = "<div class=\"requirement \(r.status.rawValue)\" id=\"requirement-\(id)\" data-requirement=\"\(id)\" data-status=\"\(r.status.rawValue)\" data-frames=\"\(HTMLText.frames(r.frames))\""
        if let b = r.udpTimeout {
            if let low = b.moreThan { s += " data-udp-timeout-more-than=\"\(HTMLText.number(low.gap))\"" }
            if let high = b.atMost { s += " data-udp-timeout-at-most=\"\(HTMLText.number(high.gap))\"" }
        }
        s += ">\n"
        s += "<div class=\"mark\" aria-label=\"\(word)\">\(mark)</div>\n"
        s += "<div class=\"body\">\n<div class=\"title\"><code>\(id)</code>\(HTMLText.escape(r.requirement.statement))<span class=\"status\">\(word)</span></div>\n"
        s += "<blockquote>“\(HTMLText.escape(r.requirement.guide))”</blockquote>\n"
        var explanation = HTMLText.escape(r.explanation)
        if !r.frames.isEmpty { explanation += " <span class=\"more\">Frames \(HTMLText.frameList(r.frames)).</span>" }
        s += "<div>\(explanation)</div>\n"
        var after = "<div class=\"advice\">\(HTMLText.escape(r.advice))</div>\n"
        let breaking = data.findings.enumerated().filter { $0.element.finding.requirement == r.requirement }
        if !breaking.isEmpty {
            // Grouped by kind, each with links to its first few findings.
            var kinds: [String] = []
            for (_, f) in breaking where !kinds.contains(f.finding.kind.rawValue) { kinds.append(f.finding.kind.rawValue) }
            let groups = kinds.map { kind in
                let ofKind = breaking.filter { $0.element.finding.kind.rawValue == kind }
                let links = ofKind.prefix(6).enumerated().map { n, item in
                    "<a href=\"#\(HTMLPage.findingAnchor(item.offset))\">\(ofKind.count == 1 ? kind : "\(n + 1)")</a>"
                }
                return ofKind.count == 1 ? links[0]
                    : "<code>\(kind)</code> ×\(ofKind.count): " + links.joined(separator: ", ") + (ofKind.count > 6 ? ", …" : "")
            }
            after += "<div class=\"breaks\">Broken by " + groups.joined(separator: "; ") + "</div>\n"
        }
        return s + after + "</div>\n</div>\n"
    }
}
