import Bytes
import Diagnosis
import Tracking
import Wire

/// Per classic ICQ session, a timeline (SVG): the client's and the server's packets on two lanes
/// (acks joined to what they acknowledge, keep-alives, retransmissions, ICMP errors, packets
/// dropped at the gateway, NAT rebindings), and below them every idle gap drawn as a bar whose
/// height is its length, under the firewall timeout the findings were judged against (a line
/// each bar crosses or not), the range the capture shows the real timeout in, and the clients'
/// keep-alive interval.
enum HTMLTimeline {
    static let width = 1000.0
    static let left = 118.0
    static let right = 24.0
    static let clientLane = 48.0
    static let serverLane = 92.0
    static let axis = 114.0
    static let gapTop = 150.0
    static let gapBase = 240.0
    static let height = 262.0

    static func section(_ data: HTMLReportData) -> String {
        var s = "<section id=\"timelines\">\n<h2>ICQ sessions over time</h2>\n"
        let total = data.sessions.count + data.sessionsNotRecorded
        guard total > 0 else {
            return s + "<p class=\"lead\">No classic ICQ session in this capture.</p>\n</section>\n"
        }
        s += "<p class=\"lead\">Each session's packets on two lanes, and below them each idle gap (no packet either way) as a bar as tall as it lasted. "
        s += "A gap that crosses the firewall's timeout line is one after which the firewall has forgotten the session: what the server sends then does not get through.</p>\n"
        let ordered = orderedSessions(data)
        var drawn = 0
        for (t, findings) in ordered where drawn < HTMLPage.maximumTimelines && !data.sessions[t].packets.isEmpty {
            s += figure(data.sessions[t], findings: findings, data: data)
            drawn += 1
        }
        if drawn < total {
            var rest = "\(total - drawn) more session\(total - drawn == 1 ? "" : "s") not drawn"
            if data.sessionsNotRecorded > 0 { rest += " (\(data.sessionsNotRecorded) of them beyond what the page records)" }
            s += "<p class=\"more\">\(rest); they are in the sessions table below. Sessions with findings come first.</p>\n"
        }
        return s + "</section>\n"
    }

    /// Sessions with findings first (most findings first), then by their first packet.
    static func orderedSessions(_ data: HTMLReportData) -> [(Int, Int)] {
        data.sessions.indices.map { t in
            let s = data.sessions[t]
            let count = data.findings.filter { f in
                f.finding.uin == s.key.uin && f.sourceIndex == s.sourceIndex
                    && f.finding.lastTime >= s.firstTime && f.finding.firstTime <= s.lastTime
            }.count
            return (t, count)
        }.sorted { a, b in
            if (a.1 > 0) != (b.1 > 0) { return a.1 > 0 }
            if a.1 != b.1 { return a.1 > b.1 }
            let x = data.sessions[a.0], y = data.sessions[b.0]
            return (x.firstTime, x.key.uin, x.key.sessionID) < (y.firstTime, y.key.uin, y.key.sessionID)
        }
    }

    /// What the page knows about each drawn packet.
    struct Mark {
        var packet: TimelinePacket
        var isAck: Bool
        var isKeepalive: Bool
        var isRetransmission: Bool
        var dropped: Bool { packet.flags.contains(.dropped) }
        var isICMP: Bool { packet.flags.contains(.icmp) }
    }

    struct Gap {
        var start: Int64
        var end: Int64
        var frame: UInt64
        var length: Int64 { HTMLText.elapsed(start, end) }
    }

    static func marks(_ session: SessionTimeline) -> [Mark] {
        var marks: [Mark] = []
        var sent: Set<[UInt16]> = []
        let drawn = session.packets.filter { !$0.flags.contains(.farSide) || $0.flags.contains(.dropped) }
            .enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        for p in drawn {
            let icmp = p.flags.contains(.icmp)
            let ack = !icmp && p.command == ICQCommand.ack
            let keepalive = !icmp && !p.fromServer && (p.command == ICQCommand.Client.keepAlive || p.command == ICQCommand.Client.keepAlive2)
            var retransmission = false
            if !icmp && !ack {
                retransmission = !sent.insert([p.fromServer ? 1 : 0, p.command, p.seq1, p.seq2]).inserted
            }
            marks.append(Mark(packet: p, isAck: ack, isKeepalive: keepalive, isRetransmission: retransmission))
        }
        return marks
    }

    /// The idle gaps: before each packet (not a retransmission, not an ICMP error), the time since
    /// the last packet that got through.
    static func gaps(_ marks: [Mark]) -> [Gap] {
        var gaps: [Gap] = []
        var last: Int64? = nil
        for m in marks where !m.isICMP {
            if let l = last, !m.isRetransmission, m.packet.time > l {
                gaps.append(Gap(start: l, end: m.packet.time, frame: m.packet.frame))
            }
            if !m.dropped { last = m.packet.time }
        }
        return gaps
    }

    static func figure(_ session: SessionTimeline, findings: Int, data: HTMLReportData) -> String {
        let marks = self.marks(session)
        let gaps = self.gaps(marks)
        let record = session.records.first
        let client = session.clientBySide[session.homeSide] ?? record?.client
        let t0 = marks.map(\.packet.time).min() ?? session.firstTime
        let t1 = max(marks.map(\.packet.time).max() ?? t0, t0 &+ 1)
        let span = max(1, Double(t1) - Double(t0))
        func x(_ t: Int64) -> Double { left + (Double(t) - Double(t0)) / span * (width - left - right) }
        let keepalive = session.records.compactMap { $0.keepaliveInterval }.first

        var s = "<figure class=\"timeline\" data-session=\"\(session.key.uin)/\(session.key.sessionID)\" data-uin=\"\(session.key.uin)\" data-findings=\"\(findings)\">\n"
        var caption = ["<strong>UIN \(session.key.uin)</strong>"]
        caption.append("session id \(session.key.sessionID)")
        if let client { caption.append("client \(HTMLText.escape(client.description)) ↔ server \(HTMLText.escape(session.server.description))") }
        caption.append(HTMLText.escape(TimeFormat.utc(t0)) + " + " + HTMLText.seconds(HTMLText.elapsed(t0, t1)))
        if let k = keepalive { caption.append("keep-alive every \(HTMLText.seconds(k.value)) (\(k.learnedFrom == "login_reply" ? "login reply" : "observed"))") }
        caption.append("\(marks.count) packets drawn" + (session.packetsNotKept > 0 ? ", \(session.packetsNotKept) more not kept" : ""))
        if findings > 0 { caption.append("<a href=\"#findings\">\(findings) finding\(findings == 1 ? "" : "s")</a>") }
        s += "<figcaption>" + caption.joined(separator: " · ") + "</figcaption>\n"
        s += "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"timeline of UIN \(session.key.uin)\">\n"
        s += lanes(session, data: data)
        s += axisTicks(t0: t0, t1: t1, x: x)
        s += gapChart(gaps, marks: marks, keepalive: keepalive?.value, data: data, x: x)
        s += ackLines(marks, x: x)
        s += rebindings(session, marks: marks, x: x)
        s += packetMarks(marks, session: session, data: data, t0: t0, x: x)
        s += "</svg>\n"
        s += legend()
        return s + "</figure>\n"
    }

    static func lanes(_ session: SessionTimeline, data: HTMLReportData) -> String {
        var s = ""
        let home = data.twoSided ? " (\(data.sideName(session.homeSide, sourceIndex: session.sourceIndex)))" : ""
        for (y, label, sub, color) in [(clientLane, "client", "as seen\(home)", "#2563eb"), (serverLane, "server", "to the client", "#059669")] {
            s += "<line x1=\"\(Int(left))\" y1=\"\(Int(y))\" x2=\"\(Int(width - right))\" y2=\"\(Int(y))\" stroke=\"\(color)\" stroke-opacity=\".25\" stroke-width=\"10\" stroke-linecap=\"round\"/>\n"
            s += "<text x=\"10\" y=\"\(Int(y - 1))\" class=\"lane-label\" style=\"fill:\(color)\">\(label)</text>\n"
            s += "<text x=\"10\" y=\"\(Int(y + 12))\" class=\"small\">\(HTMLText.escape(sub))</text>\n"
        }
        s += "<text x=\"10\" y=\"\(Int(gapTop + 8))\" class=\"lane-label\">idle gaps</text>\n"
        s += "<text x=\"10\" y=\"\(Int(gapTop + 21))\" class=\"small\">bar height =</text>\n"
        s += "<text x=\"10\" y=\"\(Int(gapTop + 33))\" class=\"small\">time without</text>\n"
        s += "<text x=\"10\" y=\"\(Int(gapTop + 45))\" class=\"small\">any packet</text>\n"
        s += "<line x1=\"\(Int(left))\" y1=\"\(Int(gapBase))\" x2=\"\(Int(width - right))\" y2=\"\(Int(gapBase))\" stroke=\"#9ca3af\"/>\n"
        return s
    }

    /// Ticks at a round step (1, 2 or 5 × 10ⁿ seconds), labelled from the session's start.
    static func axisTicks(t0: Int64, t1: Int64, x: (Int64) -> Double) -> String {
        let spanNanos = max(1, Double(t1) - Double(t0))
        let span = spanNanos / 1e9
        var step = 1e-3
        while span / step > 8 {
            for factor in [2.0, 2.5, 2.0] where span / step > 8 { step *= factor }
        }
        var s = "<line x1=\"\(Int(left))\" y1=\"\(Int(axis))\" x2=\"\(Int(width - right))\" y2=\"\(Int(axis))\" stroke=\"#d1d5db\"/>\n"
        var tick = 0.0
        while tick <= span + step * 1e-9 {
            let px = left + tick * 1e9 / spanNanos * (width - left - right)
            let label = HTMLText.number(Int64(min(tick * 1e9, 9e18).rounded()))
            s += "<line x1=\"\(HTMLText.coordinate(px))\" y1=\"\(Int(axis - 3))\" x2=\"\(HTMLText.coordinate(px))\" y2=\"\(Int(axis + 3))\" stroke=\"#9ca3af\"/>\n"
            s += "<text x=\"\(HTMLText.coordinate(px))\" y=\"\(Int(axis + 15))\" text-anchor=\"middle\" class=\"small\">+\(label) s</text>\n"
            tick += step
        }
        return s
    }

    static func gapChart(_ gaps: [Gap], marks: [Mark], keepalive: Int64?, data: HTMLReportData, x: (Int64) -> Double) -> String {
        let timeout = data.firewallTimeout
        var top = max(gaps.map(\.length).max() ?? 0, timeout, keepalive ?? 0)
        if let low = data.bracket.moreThan { top = max(top, low.gap) }
        if let high = data.bracket.atMost { top = max(top, high.gap) }
        let scale = Double(top) * 1.1
        func y(_ g: Int64) -> Double { gapBase - Double(g) / scale * (gapBase - gapTop) }
        var s = ""
        for gap in gaps.filter({ Double($0.length) * 100 >= Double(top) }).sorted(by: { ($0.length, $1.start) > ($1.length, $0.start) }) {
            let crosses = gap.length > timeout
            let x1 = x(gap.start), x2 = max(x(gap.end), x1 + 1.5)
            let yTop = y(gap.length)
            s += "<rect class=\"gap\" data-gap=\"\(HTMLText.number(gap.length))\" data-gap-end-frame=\"\(gap.frame)\" data-crosses-timeout=\"\(crosses)\""
            s += " x=\"\(HTMLText.coordinate(x1))\" y=\"\(HTMLText.coordinate(yTop))\" width=\"\(HTMLText.coordinate(x2 - x1))\" height=\"\(HTMLText.coordinate(gapBase - yTop))\""
            s += crosses ? " fill=\"#fecaca\" stroke=\"#dc2626\"" : " fill=\"#dbeafe\" stroke=\"#60a5fa\""
            s += "><title>idle \(HTMLText.seconds(gap.length)) before frame \(gap.frame)\(crosses ? ": longer than the firewall timeout" : "")</title></rect>\n"
            if x2 - x1 > 44 {
                // Inside a tall bar, above a short one.
                let labelY = gapBase - yTop >= 16 ? max(yTop + 12, gapTop + 8) : yTop - 3
                s += "<text x=\"\(HTMLText.coordinate((x1 + x2) / 2))\" y=\"\(HTMLText.coordinate(labelY))\" text-anchor=\"middle\" class=\"small halo\" style=\"fill:\(crosses ? "#991b1b" : "#1e3a8a")\">\(HTMLText.seconds(gap.length))</text>\n"
            }
        }
        // The capture's bracket of the real timeout: a band between both bounds, or the one bound.
        let b = data.bracket
        if b.moreThan != nil || b.atMost != nil {
            var attributes = ""
            if let low = b.moreThan { attributes += " data-more-than=\"\(HTMLText.number(low.gap))\"" }
            if let high = b.atMost { attributes += " data-at-most=\"\(HTMLText.number(high.gap))\"" }
            let words: String
            switch (b.moreThan, b.atMost) {
            case (let low?, let high?): words = "this firewall's real timeout: \(HTMLText.number(low.gap))–\(HTMLText.seconds(high.gap))"
            case (let low?, nil): words = "this firewall's real timeout: more than \(HTMLText.seconds(low.gap))"
            case (nil, let high?): words = "this firewall's real timeout: at most \(HTMLText.seconds(high.gap))"
            default: words = ""
            }
            s += "<g class=\"bracket\" data-timeout-bracket=\"inferred\"\(attributes)><title>\(words), inferred from the capture</title>\n"
            if let low = b.moreThan, let high = b.atMost, high.gap > low.gap {
                s += "<rect x=\"\(Int(left))\" y=\"\(HTMLText.coordinate(y(high.gap)))\" width=\"\(Int(width - left - right))\" height=\"\(HTMLText.coordinate(y(low.gap) - y(high.gap)))\" fill=\"#fde68a\" fill-opacity=\".55\"/>\n"
            }
            for bound in [b.moreThan?.gap, b.atMost?.gap].compactMap({ $0 }) {
                s += "<line x1=\"\(Int(left))\" y1=\"\(HTMLText.coordinate(y(bound)))\" x2=\"\(Int(width - right))\" y2=\"\(HTMLText.coordinate(y(bound)))\" stroke=\"#d97706\" stroke-width=\"1.5\"/>\n"
            }
            let labelY = y(b.atMost?.gap ?? b.moreThan!.gap)
            s += "<text x=\"\(Int(left + 6))\" y=\"\(HTMLText.coordinate(max(labelY - 4, gapTop - 2)))\" class=\"small halo\" style=\"fill:#92400e;font-weight:600\">\(words) (inferred)</text>\n"
            s += "</g>\n"
        }
        if let k = keepalive {
            let yk = y(k)
            s += "<g data-keepalive-interval=\"\(HTMLText.number(k))\"><line x1=\"\(Int(left))\" y1=\"\(HTMLText.coordinate(yk))\" x2=\"\(Int(width - right))\" y2=\"\(HTMLText.coordinate(yk))\" stroke=\"#2563eb\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>\n"
            s += "<text x=\"\(Int(width - right))\" y=\"\(HTMLText.coordinate(gapBase - yk >= 24 ? yk + 12 : yk - 4))\" text-anchor=\"end\" class=\"small halo\" style=\"fill:#1d4ed8\">keep-alive interval \(HTMLText.seconds(k))</text></g>\n"
        }
        let yt = y(timeout)
        s += "<g class=\"timeout\" data-timeout=\"\(HTMLText.number(timeout))\" data-timeout-source=\"\(HTMLText.escape(data.firewallTimeoutSource))\">"
        s += "<line x1=\"\(Int(left))\" y1=\"\(HTMLText.coordinate(yt))\" x2=\"\(Int(width - right))\" y2=\"\(HTMLText.coordinate(yt))\" stroke=\"#dc2626\" stroke-width=\"2\" stroke-dasharray=\"8 4\"/>\n"
        s += "<text x=\"\(Int(width - right))\" y=\"\(HTMLText.coordinate(yt - 4))\" text-anchor=\"end\" class=\"halo\" style=\"fill:#b91c1c;font-weight:600\">firewall timeout \(HTMLText.seconds(timeout)) (\(HTMLText.escape(data.firewallTimeoutSource)))</text></g>\n"
        return s
    }

    /// A thin line from each acknowledged packet to its ack.
    static func ackLines(_ marks: [Mark], x: (Int64) -> Double) -> String {
        var s = ""
        for (i, ack) in marks.enumerated() where ack.isAck {
            guard let acked = marks[..<i].last(where: { m in
                !m.isAck && !m.isICMP && m.packet.fromServer != ack.packet.fromServer
                    && m.packet.seq1 == ack.packet.seq1 && m.packet.seq2 == ack.packet.seq2
            }) else { continue }
            let y1 = acked.packet.fromServer ? serverLane : clientLane
            let y2 = ack.packet.fromServer ? serverLane : clientLane
            s += "<line x1=\"\(HTMLText.coordinate(x(acked.packet.time)))\" y1=\"\(Int(y1))\" x2=\"\(HTMLText.coordinate(x(ack.packet.time)))\" y2=\"\(Int(y2))\" stroke=\"#9ca3af\" stroke-width=\"1\"/>\n"
        }
        return s
    }

    static func rebindings(_ session: SessionTimeline, marks: [Mark], x: (Int64) -> Double) -> String {
        var s = ""
        for record in session.records {
            for r in record.rebindings {
                guard let time = marks.first(where: { $0.packet.frame == r.frame })?.packet.time
                        ?? session.packets.first(where: { $0.frame == r.frame })?.time else { continue }
                let px = x(time)
                s += "<g data-nat-rebinding=\"\(r.frame)\"><line x1=\"\(HTMLText.coordinate(px))\" y1=\"26\" x2=\"\(HTMLText.coordinate(px))\" y2=\"\(Int(axis))\" stroke=\"#db2777\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>\n"
                let nearTheEnd = px > width - 300
                s += "<text x=\"\(HTMLText.coordinate(nearTheEnd ? px - 4 : px + 4))\" y=\"22\" text-anchor=\"\(nearTheEnd ? "end" : "start")\" class=\"small\" style=\"fill:#be185d\">NAT rebinding: \(HTMLText.escape(r.from.description)) → port \(r.to.port)</text>"
                s += "<title>frame \(r.frame): the client's packets now come from \(HTMLText.escape(r.to.description)) instead of \(HTMLText.escape(r.from.description))</title></g>\n"
            }
        }
        return s
    }

    static func packetMarks(_ marks: [Mark], session: SessionTimeline, data: HTMLReportData, t0: Int64,
                            x: (Int64) -> Double) -> String {
        var s = ""
        // A run of dropped packets is labelled once, at its first.
        var runs: [Int: (count: Int, last: UInt64, lastTime: Int64)] = [:]
        var runStart: Int? = nil
        for (i, m) in marks.enumerated() {
            if m.dropped {
                let start = runStart ?? i
                runStart = start
                runs[start] = ((runs[start]?.count ?? 0) + 1, m.packet.frame, m.packet.time)
            } else {
                runStart = nil
            }
        }
        for (i, m) in marks.enumerated() {
            let p = m.packet
            let px = x(p.time), py = p.fromServer ? serverLane : clientLane
            let name = m.isICMP
                ? "ICMP \(p.command >> 8)/\(p.command & 0xFF) \(PacketBrief.icmpName(type: UInt8(p.command >> 8), code: UInt8(p.command & 0xFF)))"
                : (ICQCommandNames.name(p.command, direction: p.fromServer ? .serverToClient : .clientToServer, version: p.version).map { "\($0)" }
                    ?? "command 0x\(String(p.command, radix: 16))")
            var what: [String] = []
            if m.isRetransmission { what.append("retransmission") }
            if m.dropped { what.append("dropped at the gateway") }
            let title = "#\(p.frame) \(HTMLText.offset(p.time, from: t0)) \(name)\(m.isICMP ? "" : " seq 0x\(String(p.seq1, radix: 16))/\(p.seq2)") (\(data.sideName(p.side, sourceIndex: session.sourceIndex)))" + (what.isEmpty ? "" : ": " + what.joined(separator: ", "))
            let cx = HTMLText.coordinate(px), cy = HTMLText.coordinate(py)
            let color = p.fromServer ? "#059669" : "#2563eb"
            s += "<g class=\"packet\" data-frame=\"\(p.frame)\""
            if m.dropped { s += " data-dropped=\"\(p.frame)\"" }
            if m.isRetransmission { s += " data-retransmission=\"true\"" }
            s += "><title>\(HTMLText.escape(title))</title>"
            if m.dropped {
                s += "<path d=\"M\(HTMLText.coordinate(px - 6)),\(HTMLText.coordinate(py - 6)) l12,12 m0,-12 l-12,12\" stroke=\"#dc2626\" stroke-width=\"3\"/>"
                if let run = runs[i] {
                    let words = run.count == 1 ? "dropped at the gateway #\(p.frame)" : "\(run.count) dropped at the gateway, #\(p.frame)–\(run.last)"
                    let fits = px + 240 < width - right
                    s += "<text x=\"\(HTMLText.coordinate(fits ? px - 6 : x(run.lastTime) + 6))\" y=\"\(HTMLText.coordinate(py + 21))\" text-anchor=\"\(fits ? "start" : "end")\" class=\"small halo\" style=\"fill:#b91c1c;font-weight:600\">\(words)</text>"
                }
            } else if m.isICMP {
                s += "<path d=\"M\(cx),\(HTMLText.coordinate(py - 7)) l6,11 h-12 z\" fill=\"#7c3aed\"/>"
            } else if m.isAck {
                s += "<circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"3.5\" fill=\"#fff\" stroke=\"\(color)\" stroke-width=\"1.6\"/>"
            } else if m.isKeepalive {
                s += "<path d=\"M\(cx),\(HTMLText.coordinate(py - 6.5)) l6.5,6.5 l-6.5,6.5 l-6.5,-6.5 z\" fill=\"\(m.isRetransmission ? "#d97706" : color)\"/>"
            } else {
                s += "<circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"5\" fill=\"\(m.isRetransmission ? "#d97706" : color)\"/>"
            }
            s += "</g>\n"
        }
        return s
    }

    static func legend() -> String {
        let items: [(String, String)] = [
            ("background:#2563eb", "client packet"), ("background:#059669", "server packet"),
            ("background:#fff;border:1.6px solid #6b7280", "ack"), ("background:#2563eb;border-radius:1px;transform:rotate(45deg) scale(.85)", "keep-alive"),
            ("background:#d97706", "retransmission"), ("background:#dc2626;border-radius:1px", "dropped at the gateway (✕)"),
            ("background:#7c3aed;border-radius:1px", "ICMP error"), ("background:#db2777;border-radius:1px", "NAT rebinding"),
            ("background:#fecaca;border:1px solid #dc2626;border-radius:1px", "idle gap longer than the timeout"),
            ("background:#dbeafe;border:1px solid #60a5fa;border-radius:1px", "idle gap within it"),
            ("background:#fde68a;border-radius:1px", "the real timeout's range, inferred"),
        ]
        return "<ul class=\"legend\">" + items.map { "<li><i style=\"\($0.0)\"></i>\($0.1)</li>" }.joined() + "</ul>\n"
    }
}
