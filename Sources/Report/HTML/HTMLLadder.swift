import Bytes
import Diagnosis

/// A ladder (sequence) diagram of one finding's frames, time running down. On a capture of both
/// sides of a gateway there are three lifelines, inside, gateway and outside: a frame seen on the
/// inside interface is an arrow between the inside and the gateway, one seen outside between the
/// gateway and the outside, and a frame that arrived and never left ends at the gateway with a
/// cross. From one vantage point there are two lifelines, the finding's two parties.
enum HTMLLadder {
    static let width = 1000.0
    static let rowHeight = 46.0
    static let top = 62.0
    static let maximumRows = 40

    static func figure(_ evidence: FindingEvidence, data: HTMLReportData) -> String {
        let f = evidence.finding
        let frames = orderedFrames(evidence)
        let shown = Array(frames.prefix(maximumRows))
        let parties = EvidenceGeometry(f, briefs: evidence.briefs, twoSided: data.twoSided, insideSide: data.insideSide)
        let twoSided = data.twoSided
        let insideName = data.insideSide.map { data.sideName($0, sourceIndex: evidence.sourceIndex) } ?? "inside"
        let outsideName = data.interfaceNames.indices.contains(Int(evidence.sourceIndex))
            ? data.interfaceNames[Int(evidence.sourceIndex)].enumerated().first { Int32($0.offset) != data.insideSide }?.element ?? "outside"
            : "outside"
        let lifelines: [(x: Double, label: String, sub: String)] = twoSided
            ? [(200, "inside: " + parties.left.title, parties.left.detail), (500, "gateway", "\(insideName) ◂ ▸ \(outsideName)"),
               (800, "outside: " + parties.right.title, parties.right.detail)]
            : [(250, parties.left.title, parties.left.detail), (750, parties.right.title, parties.right.detail)]
        let height = top + Double(max(shown.count, 1)) * rowHeight + 16
        var s = "<figure class=\"ladder\" data-ladder-frames=\"\(HTMLText.frames(shown))\">\n"
        s += "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"ladder diagram of frames \(HTMLText.frameList(shown))\">\n"
        s += "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#374151\"/></marker></defs>\n"
        for (x, label, sub) in lifelines {
            s += "<line x1=\"\(Int(x))\" y1=\"40\" x2=\"\(Int(x))\" y2=\"\(Int(height - 6))\" stroke=\"#9ca3af\" stroke-width=\"2\" stroke-dasharray=\"\(label == "gateway" ? "0" : "4 4")\"/>\n"
            s += "<text x=\"\(Int(x))\" y=\"16\" text-anchor=\"middle\" class=\"lane-label\">\(HTMLText.escape(label))</text>\n"
            if !sub.isEmpty { s += "<text x=\"\(Int(x))\" y=\"33\" text-anchor=\"middle\" class=\"small\">\(HTMLText.escape(sub))</text>\n" }
        }
        if twoSided {
            s += "<rect x=\"488\" y=\"40\" width=\"24\" height=\"\(Int(height - 46))\" fill=\"#e5e7eb\" rx=\"4\"/>\n"
        }
        let start = frames.compactMap { evidence.briefs[$0]?.time }.min() ?? f.firstTime
        for (row, frame) in shown.enumerated() {
            let y = top + Double(row) * rowHeight + 14
            s += arrow(frame: frame, y: y, evidence: evidence, parties: parties, data: data, start: start)
        }
        if shown.isEmpty {
            s += "<text x=\"500\" y=\"\(Int(top + 14))\" text-anchor=\"middle\" class=\"small\">no frames</text>\n"
        }
        s += "</svg>\n"
        if frames.count > shown.count {
            s += "<figcaption class=\"more\">The first \(shown.count) of \(frames.count) frames are drawn.</figcaption>\n"
        }
        return s + "</figure>\n"
    }

    /// The finding's frames, each once, in time order where known.
    static func orderedFrames(_ evidence: FindingEvidence) -> [UInt64] {
        var seen: Set<UInt64> = []
        let distinct = evidence.finding.frames.filter { seen.insert($0).inserted }
        return distinct.enumerated().sorted { a, b in
            let x = evidence.briefs[a.element]?.time, y = evidence.briefs[b.element]?.time
            if let x, let y, x != y { return x < y }
            return a.offset < b.offset
        }.map(\.element)
    }

    static func arrow(frame: UInt64, y: Double, evidence: FindingEvidence, parties: EvidenceGeometry, data: HTMLReportData,
                      start: Int64) -> String {
        let f = evidence.finding
        guard let b = evidence.briefs[frame] else {
            return "<text x=\"500\" y=\"\(HTMLText.coordinate(y))\" text-anchor=\"middle\" class=\"small\" data-frame=\"\(frame)\">#\(frame): no longer held when the finding was established</text>\n"
        }
        let left = parties.fromLeft(b, f)
        let stopped = parties.stoppedAtGateway(b, f)
        var (x1, x2): (Double, Double)
        if data.twoSided {
            let inside = parties.onLeftSide(b)
            (x1, x2) = inside ? (200, 488) : (512, 800)
            if !left { swap(&x1, &x2) }
        } else {
            (x1, x2) = left ? (250, 750) : (750, 250)
        }
        let role = EvidenceRole.role(of: frame, in: f, briefs: evidence.briefs, geometry: parties)
        let color = stopped ? "#dc2626" : (b.kind == .icmp ? "#7c3aed" : (b.isTCPReset ? "#b45309" : "#374151"))
        var s = "<g class=\"hop\" data-frame=\"\(frame)\""
        if stopped { s += " data-dropped=\"\(frame)\"" }
        s += "><title>#\(frame) \(HTMLText.escape(TimeFormat.utc(b.time))) \(HTMLText.escape(data.sideName(b.side, sourceIndex: b.sourceIndex))) \(HTMLText.escape(b.source.description)) → \(HTMLText.escape(b.destination.description)): \(HTMLText.escape(b.summary))</title>\n"
        s += "<text x=\"8\" y=\"\(HTMLText.coordinate(y + 4))\" class=\"small\">+\(TimeFormat.seconds(HTMLText.elapsed(start, b.time))) s</text>\n"
        if stopped {
            // Ends at the gateway: a cross where it stopped.
            let end = data.twoSided ? 500.0 : x2
            s += "<line x1=\"\(HTMLText.coordinate(x1))\" y1=\"\(HTMLText.coordinate(y))\" x2=\"\(HTMLText.coordinate(end))\" y2=\"\(HTMLText.coordinate(y))\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            s += "<path d=\"M\(Int(end) - 7),\(HTMLText.coordinate(y - 7)) l14,14 m0,-14 l-14,14\" stroke=\"#dc2626\" stroke-width=\"3\"/>\n"
        } else {
            s += "<line x1=\"\(HTMLText.coordinate(x1))\" y1=\"\(HTMLText.coordinate(y))\" x2=\"\(HTMLText.coordinate(x2))\" y2=\"\(HTMLText.coordinate(y))\" stroke=\"\(color)\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/>\n"
        }
        let mid = (x1 + x2) / 2
        let labelX = stopped && data.twoSided ? (x1 + 500) / 2 : mid
        s += "<text x=\"\(HTMLText.coordinate(labelX))\" y=\"\(HTMLText.coordinate(y - 6))\" text-anchor=\"middle\" class=\"mono\">#\(frame) \(HTMLText.escape(b.summary))</text>\n"
        s += "<text x=\"\(HTMLText.coordinate(labelX))\" y=\"\(HTMLText.coordinate(y + 15))\" text-anchor=\"middle\" class=\"small\" style=\"fill:\(color)\">\(HTMLText.escape(role))</text>\n"
        return s + "</g>\n"
    }
}
