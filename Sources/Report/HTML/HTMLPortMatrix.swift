import Bytes

/// The peer-port matrix: one row per client (by UIN, else by address), one column per TCP port
/// that clients advertised or announced, each cell saying what became of connections to it:
/// reached, blocked (and how), refused by the peer itself, tried with no answer yet, or never
/// tried. The guide asks for at least 3 ports above 1023.
enum HTMLPortMatrix {
    static let maximumRows = 200
    /// More distinct ports than this are shown per client rather than one column each.
    static let maximumColumns = 16

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
        // The clients whose ports were blocked first, then by how far connections got.
        func rowRank(_ row: String) -> Int {
            (cells[row] ?? [:]).values.flatMap { $0 }.map { rank($0.status) }.min() ?? 4
        }
        let orderedRows = rows.enumerated().sorted { (rowRank($0.element), $0.offset) < (rowRank($1.element), $1.offset) }.map(\.element)
        if ports.count <= maximumColumns {
            s += "<div class=\"scroll\"><table class=\"matrix\"><thead><tr><th>client</th>"
            for port in ports { s += "<th>TCP \(port)\(port <= 1023 ? " ⚠" : "")</th>" }
            s += "</tr></thead><tbody>\n"
            for row in orderedRows.prefix(maximumRows) {
                s += "<tr><th>\(HTMLText.escape(row))</th>"
                for port in ports {
                    if let entries = cells[row]?[port] { s += cell(entries, port: nil) } else { s += "<td></td>" }
                }
                s += "</tr>\n"
            }
        } else {
            // Too many ports for a column each: each client's own ports, side by side.
            s += "<div class=\"scroll\"><table class=\"matrix\"><thead><tr><th>client</th><th colspan=\"9\">advertised ports</th></tr></thead><tbody>\n"
            for row in orderedRows.prefix(maximumRows) {
                s += "<tr><th>\(HTMLText.escape(row))</th>"
                for (port, entries) in (cells[row] ?? [:]).sorted(by: { $0.key < $1.key }).prefix(8) { s += cell(entries, port: port) }
                s += "<td class=\"filler\"></td></tr>\n"
            }
        }
        s += "</tbody></table></div>\n"
        var notes: [String] = []
        if rows.count > maximumRows { notes.append("\(rows.count - maximumRows) more clients not shown") }
        let reached = Set(data.peerPorts.filter { $0.status == .reached && $0.endpoint.port > 1023 }.map(\.endpoint.port))
        notes.insert("\(min(reached.count, 3)) of the 3 ports the guide asks for were shown open", at: 0)
        s += "<p class=\"more\">" + notes.joined(separator: "; ") + ".</p>\n"
        return s + "</section>\n"
    }

    /// The most telling status of the client's endpoints on this port (blocked before refused,
    /// reached, tried, untried), with every endpoint in the tooltip.
    static func rank(_ status: PeerPortEntry.Status) -> Int {
        switch status {
        case .blocked: 0
        case .refusedByPeer: 1
        case .reached: 2
        case .tried: 3
        case .untried: 4
        }
    }

    /// `port`: named in the cell (when the columns are not one per port).
    static func cell(_ entries: [PeerPortEntry], port: UInt16?) -> String {
        let best = entries.min { rank($0.status) < rank($1.status) }!
        let (css, word) = describe(best.status)
        let title = entries.map { e in
            "\(e.endpoint)\(e.isLANAddress ? " (LAN address)" : ""), from \(e.learnedFrom) at frame \(e.advertisedFrame): \(describe(e.status).1)"
                + (e.frames.isEmpty ? "" : ", frames \(HTMLText.frameList(e.frames))")
        }.joined(separator: "\n")
        let frames = entries.flatMap(\.frames)
        return "<td class=\"cell \(css)\" data-port-status=\"\(css)\" data-frames=\"\(HTMLText.frames(frames))\" title=\"\(HTMLText.escape(title))\">\(port.map { "TCP \($0): " } ?? "")\(HTMLText.escape(word))</td>"
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
