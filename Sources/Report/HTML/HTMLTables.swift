import Bytes
import Tracking

/// The sessions and the flows as tables sorted by clicking a column's header, and the summary.
enum HTMLTables {
    static func sessions(_ data: HTMLReportData) -> String {
        var s = "<section id=\"sessions\">\n<h2>ICQ sessions</h2>\n"
        let records = data.sessions.flatMap(\.records)
        guard !records.isEmpty else {
            return s + "<p class=\"lead\">No classic ICQ session.</p>\n</section>\n"
        }
        s += "<div class=\"scroll\"><table class=\"sortable\"><thead><tr><th>UIN</th><th>session id</th><th>client</th><th>server</th><th>start (UTC)</th><th>duration (s)</th><th>keep-alive (s)</th><th>packets client/server</th><th>retransmissions client/server</th><th>NAT rebindings</th><th>ended</th></tr></thead><tbody>\n"
        for r in records.sorted(by: { ($0.firstTime, $0.key.uin, $0.key.sessionID) < ($1.firstTime, $1.key.uin, $1.key.sessionID) }) {
            s += "<tr><td class=\"num\">\(r.key.uin)</td><td class=\"num\">\(r.key.sessionID)</td>"
            s += "<td class=\"mono\">\(HTMLText.escape(r.client.description))</td><td class=\"mono\">\(HTMLText.escape(r.server.description))</td>"
            s += "<td data-sort=\"\(r.firstTime)\">\(HTMLText.shortUTC(r.firstTime))</td>"
            s += "<td class=\"num\">\(HTMLText.number(HTMLText.elapsed(r.firstTime, r.lastTime)))</td>"
            if let k = r.keepaliveInterval {
                s += "<td class=\"num\" data-sort=\"\(HTMLText.number(k.value))\">\(HTMLText.number(k.value)) (\(k.learnedFrom == "login_reply" ? "login reply" : "observed"))</td>"
            } else {
                s += "<td data-sort=\"-1\">unknown</td>"
            }
            s += "<td class=\"num\" data-sort=\"\(r.clientPackets + r.serverPackets)\">\(r.clientPackets)/\(r.serverPackets)</td>"
            s += "<td class=\"num\" data-sort=\"\(r.clientRetransmissions + r.serverRetransmissions)\">\(r.clientRetransmissions)/\(r.serverRetransmissions)</td>"
            s += "<td class=\"num\">\(r.rebindings.count)</td><td>\(r.endReason?.rawValue ?? "end_of_capture")</td></tr>\n"
        }
        s += "</tbody></table></div>\n"
        if data.sessionsNotRecorded > 0 {
            s += "<p class=\"more\">\(data.sessionsNotRecorded) more sessions ended beyond what the page records.</p>\n"
        }
        return s + "</section>\n"
    }

    static func flows(_ data: HTMLReportData) -> String {
        var s = "<section id=\"flows\">\n<h2>Flows</h2>\n"
        guard !data.flows.isEmpty else {
            return s + "<p class=\"lead\">No flow.</p>\n</section>\n"
        }
        s += "<p class=\"lead\">Both directions of each conversation, with Zeek's connection state and history and the Community ID. Click a column to sort.</p>\n"
        s += "<div class=\"scroll\"><table class=\"sortable\"><thead><tr><th>proto</th><th>originator</th><th>responder</th><th>start (UTC)</th><th>duration (s)</th><th>packets orig/resp</th><th>bytes orig/resp</th><th>state</th><th>history</th><th>protocols</th><th>UINs</th><th>ended</th><th>Community ID</th></tr></thead><tbody>\n"
        for f in data.flows.sorted(by: { ($0.firstTime, $0.firstFrame) < ($1.firstTime, $1.firstFrame) }) {
            s += "<tr><td>\(f.protocolName)</td><td class=\"mono\">\(HTMLText.escape(show(f.originator)))</td><td class=\"mono\">\(HTMLText.escape(show(f.responder)))</td>"
            s += "<td data-sort=\"\(f.firstTime)\">\(HTMLText.shortUTC(f.firstTime))</td>"
            s += "<td class=\"num\">\(HTMLText.number(f.duration))</td>"
            s += "<td class=\"num\" data-sort=\"\(f.originatorCounters.packets + f.responderCounters.packets)\">\(f.originatorCounters.packets)/\(f.responderCounters.packets)</td>"
            s += "<td class=\"num\" data-sort=\"\(f.originatorCounters.ipBytes + f.responderCounters.ipBytes)\">\(f.originatorCounters.ipBytes)/\(f.responderCounters.ipBytes)</td>"
            s += "<td>\(f.connState.rawValue)</td><td class=\"mono\">\(HTMLText.escape(f.history))</td>"
            s += "<td>\(f.protocols.names.joined(separator: "+"))</td><td>\(f.uins.map(String.init).joined(separator: ", "))</td>"
            s += "<td>\(f.endReason.rawValue)</td><td class=\"mono\">\(HTMLText.escape(f.communityID))</td></tr>\n"
        }
        s += "</tbody></table></div>\n"
        if data.flowsNotListed > 0 {
            s += "<p class=\"more\">\(data.flowsNotListed) more flows not listed (the page keeps \(data.flows.count), those of the ICQ family first).</p>\n"
        }
        return s + "</section>\n"
    }

    static func show(_ e: Endpoint) -> String {
        (e.address.isIPv6 ? "[\(e.address.description)]" : e.address.description) + ":\(e.port)"
    }

    static func summary(_ data: HTMLReportData) -> String {
        "<section id=\"summary\">\n<h2>Summary</h2>\n<pre class=\"summary\">\(HTMLText.escape(data.summaryText))</pre>\n</section>\n"
    }
}
