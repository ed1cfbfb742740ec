import Diagnosis

/// The `requirement` records (NDJSON) and the report card that opens the text report.
public enum RequirementRecord {
    public static func writeNDJSON(_ json: inout JSONWriter, _ r: RequirementResult) {
        json.beginObject()
        json.field("type", static: "requirement")
        json.field("id", r.requirement.rawValue)
        json.field("status", r.status.rawValue)
        json.field("guide", r.requirement.guide)
        json.field("findings", r.findings)
        json.beginArray("frames")
        for frame in r.frames { json.integer(frame) }
        json.endArray()
        json.field("explanation", r.explanation)
        json.field("advice", r.advice)
        if let b = r.udpTimeout {
            json.beginObject("udp_timeout")
            bound(&json, "more_than", "more_than_frames", b.moreThan)
            bound(&json, "at_most", "at_most_frames", b.atMost)
            json.endObject()
        }
        json.endObject()
        json.endLine()
    }

    private static func bound(_ json: inout JSONWriter, _ name: StaticString, _ framesName: StaticString,
                              _ value: (gap: Int64, frames: [UInt64])?) {
        if let value {
            json.key(name)
            json.seconds(value.gap)
        } else {
            json.fieldNull(name)
        }
        json.beginArray(framesName)
        for frame in value?.frames ?? [] { json.integer(frame) }
        json.endArray()
    }

    /// One line per requirement (✔ holds, ✘ broken, ? not shown by the capture) and why.
    public static func text(_ results: [RequirementResult], style: TextStyle = .plain) -> String {
        var out = style.heading("REQUIREMENTS OF THE FIREWALL GUIDE") + "\n"
        for r in results {
            let mark = switch r.status {
            case .pass: style.good("✔")
            case .fail: style.bad("✘")
            case .notObserved: style.muted("?")
            }
            let name = r.requirement.rawValue
            let id = name + String(repeating: " ", count: max(0, 22 - name.count))
            out += "  \(mark) \(id) \(r.requirement.statement)\n"
            out += FindingRecord.wrap(r.explanation, indent: String(repeating: " ", count: 27))
        }
        return out + "\n"
    }
}
