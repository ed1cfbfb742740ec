import Bytes

/// The peer-port matrix: one row per client (by UIN, else by address), one column per TCP port
/// that clients advertised or announced, each cell saying what became of connections to it:
/// reached, blocked (and how), refused by the peer itself, tried with no answer yet, or never
/// tried. The guide asks for at least 3 ports above 1023.
enum HTMLPortMatrix {
    static let maximumRows = 200
    static let maximumColumns = 40

    static func section(_ data: HTMLReportData) -> String {
        var s = "<section id=\"peer-ports\">\n<h2>Peer ports</h2>\n"
        guard !data.peerPorts.isEmpty else {
            return s + "<p class=\"lead\">No client advertised a TCP port for peer-to-peer connections in this capture.</p>\n</section>\n"
        }
        s += "<p class=\"lead\">The TCP ports clients advertised for direct connections (login, user online, PEER_INIT, OSCAR DC info, …) and what became of connections to them. The guide asks for at least 3 open ports above 1023.</p>\n"
        var rows: [String] = []
        var rowOf: [String: Int] = [:]
        var ports: [UInt16] = []
        var cells: [String: [UInt16: [PeerPortEntry]]] = [:]
        for e in data.peerPorts {
            let row = e.uin.map { "UIN \($0)" } ?? e.endpoint.address.description
            if rowOf[row] == nil {
                rowOf[row] = rows.count
                rows.append(row)
            }
            if !ports.contains(e.endpoint.port) { ports.append(e.endpoint.port) }
            cells[row, default: [:]][e.endpoint.port, default: []].append(e)
        }
        ports.sort()
        let shownPorts = Array(ports.prefix(maximumColumns))
        s += "<div class=\"scroll\"><table class=\"matrix\"><thead><tr><th>client</th>"
        for port in shownPorts { s += "<th>TCP \(port)\(port <= 1023 ? " ⚠" : "")</th>" }
        s += "</tr></thead><tbody>\n"
        for row in rows.prefix(maximumRows) {
            s += "<tr><th>\(HTMLText.escape(row))</th>"
            for port in shownPorts {
                guard let entries = cells[row]?[port] else {
                    s += "<td></td>"
                    continue
                }
                s += cell(entries)
            }
            s += "</tr>\n"
        }
        s += "</tbody></table></div>\n"
        var notes: [String] = []
        if rows.count > maximumRows { notes.append("\(rows.count - maximumRows) more clients not shown") }
        if ports.count > maximumColumns { notes.append("\(ports.count - maximumColumns) more ports not shown") }
        let reached = Set(data.peerPorts.filter { $0.status == .reached && $0.endpoint.port > 1023 }.map(\.endpoint.port))
        notes.insert("\(min(reached.count, 3)) of the 3 ports the guide asks for were shown open", at: 0)
        s += "<p class=\"more\">" + notes.joined(separator: "; ") + ".</p>\n"
        return s + "</section>\n"
    }

    /// The most telling status of the client's endpoints on this port (blocked before refused,
    /// reached, tried, untried), with every endpoint in the tooltip.
    static func cell(_ entries: [PeerPortEntry]) -> String {
        func rank(_ status: PeerPortEntry.Status) -> Int {
            switch status {
            case .blocked: 0
            case .refusedByPeer: 1
            case .reached: 2
            case .tried: 3
            case .untried: 4
            }
        }
        let best = entries.min { rank($0.status) < rank($1.status) }!
        let (css, word) = describe(best.status)
        let title = entries.map { e in
            "\(e.endpoint)\(e.isLANAddress ? " (LAN address)" : ""), from \(e.learnedFrom) at frame \(e.advertisedFrame): \(describe(e.status).1)"
                + (e.frames.isEmpty ? "" : ", frames \(HTMLText.frameList(e.frames))")
        }.joined(separator: "\n")
        let frames = entries.flatMap(\.frames)
        return "<td class=\"cell \(css)\" data-port-status=\"\(css)\" data-frames=\"\(HTMLText.frames(frames))\" title=\"\(HTMLText.escape(title))\">\(HTMLText.escape(word))</td>"
    }

    static func describe(_ status: PeerPortEntry.Status) -> (String, String) {
        switch status {
        case .reached: ("reached", "✔ reached")
        case .blocked(let how): ("blocked", "✘ blocked (\(HTMLText.words(how)))")
        case .refusedByPeer: ("refused", "refused by the peer")
        case .tried: ("tried", "tried, no answer seen")
        case .untried: ("untried", "never tried")
        }
    }
}
