import Bytes
import Diagnosis

/// The `finding` record, and the text report's paragraphs grouped by the requirement broken.
public enum FindingRecord {
    public static func writeNDJSON(_ json: inout JSONWriter, _ f: Finding) {
        json.beginObject()
        json.field("type", static: "finding")
        json.field("kind", f.kind.rawValue)
        json.field("severity", f.severity.rawValue)
        if let level = f.level { json.field("level", level.rawValue) } else { json.fieldNull("level") }
        if let detail = f.detail { json.field("detail", detail.rawValue) } else { json.fieldNull("detail") }
        json.field("first_time", nanoseconds: f.firstTime)
        json.field("last_time", nanoseconds: f.lastTime)
        json.beginArray("frames")
        for frame in f.frames { json.integer(frame) }
        json.endArray()
        writeEndpoint(&json, "client", f.client)
        writeEndpoint(&json, "server", f.server)
        writeEndpoint(&json, "peer", f.peer)
        if let uin = f.uin { json.field("uin", uin) } else { json.fieldNull("uin") }
        json.field("requirement", f.requirement.rawValue)
        json.field("explanation", f.explanation)
        json.field("advice", f.advice)
        json.endObject()
        json.endLine()
    }

    static func writeEndpoint(_ json: inout JSONWriter, _ name: StaticString, _ endpoint: Endpoint?) {
        guard let endpoint else {
            json.fieldNull(name)
            return
        }
        json.beginObject(name)
        json.field("ip", endpoint.address)
        json.field("port", endpoint.port)
        json.endObject()
    }

    /// Findings for people: grouped under the requirement they break, most severe first.
    /// The findings by requirement. `leftOut` more were established but not kept (the text
    /// report keeps `keptBytes` of them): counted in the heading, and said at the end.
    public static func text(_ findings: [Finding], leftOut: Int = 0, keptBytes: Int = 0) -> String {
        guard !findings.isEmpty || leftOut > 0 else { return "findings     none\n" }
        var out = "\nFINDINGS (\(findings.count + leftOut))\n"
        for requirement in Finding.Requirement.allCases {
            let group = findings.filter { $0.requirement == requirement }
            guard !group.isEmpty else { continue }
            out += "\nRequirement \(requirement.rawValue): \(requirement.statement)\n"
            for f in group.sorted(by: { ($0.severity, $1.firstTime) > ($1.severity, $0.firstTime) }) {
                out += paragraph(f)
            }
        }
        if leftOut > 0 {
            out += "\n  … and \(leftOut) more findings, not listed: the text report keeps \(keptBytes >> 10) KiB of them "
                + "(a 32nd of --memcap), the first established; the requirements above count every one; "
                + "--format ndjson writes every finding as it comes\n"
        }
        return out
    }

    static func paragraph(_ f: Finding) -> String {
        var head = "  [\(f.severity.rawValue.uppercased())] \(f.kind.rawValue)"
        if let level = f.level { head += " (\(level.rawValue)" + (f.detail.map { ", \($0.rawValue)" } ?? "") + ")" }
        else if let detail = f.detail { head += " (\(detail.rawValue))" }
        var parties: [String] = []
        if let uin = f.uin { parties.append("UIN \(uin)") }
        if let c = f.client { parties.append("client \(c)") }
        if let s = f.server { parties.append("server \(s)") }
        if let p = f.peer { parties.append("peer \(p)") }
        var out = head + "\n"
        if !parties.isEmpty { out += "    " + parties.joined(separator: ", ") + "\n" }
        out += "    from \(TimeFormat.utc(f.firstTime)) to \(TimeFormat.utc(f.lastTime)); frames \(frameList(f.frames))\n"
        out += wrap(f.explanation, indent: "    ")
        out += wrap("Advice: " + f.advice, indent: "    ")
        return out + "\n"
    }

    static func frameList(_ frames: [UInt64]) -> String {
        frames.count <= 12 ? frames.map(String.init).joined(separator: ", ")
            : frames.prefix(10).map(String.init).joined(separator: ", ") + ", … (\(frames.count) in all)"
    }

    /// Wraps text at 100 columns for terminals.
    static func wrap(_ text: String, indent: String) -> String {
        var lines: [String] = []
        var line = indent
        for word in text.split(separator: " ") {
            if line.count + word.count + 1 > 100 && line != indent {
                lines.append(line)
                line = indent
            }
            line += (line == indent ? "" : " ") + word
        }
        lines.append(line)
        return lines.joined(separator: "\n") + "\n"
    }
}
