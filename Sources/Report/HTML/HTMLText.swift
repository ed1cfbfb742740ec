import Capture

/// Text made safe for HTML, and the few number formats the page uses. The page is built as one
/// string; every value from the capture passes through `escape` (UINs, addresses and names are
/// the capture's, and a hostile capture must not inject markup).
enum HTMLText {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters (a damaged name) are shown, not passed on.
                if c.value < 0x20 && c != "\n" && c != "\t" { out += "&#\(c.value);" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }

    /// `dropped_at_gateway` → `dropped at gateway`.
    static func words(_ name: String) -> String {
        String(name.map { $0 == "_" ? " " : $0 })
    }

    /// A capture time to the millisecond, for tables: `2024-11-24 14:00:00.747`.
    static func shortUTC(_ nanoseconds: Int64) -> String {
        String(TimeFormat.utc(nanoseconds).prefix(23))
    }

    /// A count with thousands separators: `1,000,000`.
    static func count(_ value: some BinaryInteger) -> String {
        let digits = String(value)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 && c != "-" && out != "-" { out += "," }
            out.append(c)
        }
        return out
    }

    /// Seconds for people: `180 s`, `48.5 s`, `0.036 s` (at most three decimals, no trailing zeros).
    static func seconds(_ nanoseconds: Int64) -> String {
        number(nanoseconds) + " s"
    }

    /// Seconds as a plain number with at most three decimals: `180`, `48.5`, `0.036`.
    static func number(_ nanoseconds: Int64) -> String {
        let sign = nanoseconds < 0 ? "-" : ""
        let millis = (nanoseconds.magnitude + 500_000) / 1_000_000
        var s = "\(sign)\(millis / 1000)"
        var fraction = String(millis % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        if !fraction.isEmpty { s += "." + fraction }
        return s
    }

    /// Seconds since a start, for positions on a timeline: `+180.747 s`.
    static func offset(_ time: Int64, from start: Int64) -> String {
        "+" + number(elapsed(start, time)) + " s"
    }

    /// `later - earlier`, saturated: a damaged timestamp must not trap the page.
    static func elapsed(_ earlier: Int64, _ later: Int64) -> Int64 {
        CaptureTime.elapsed(from: earlier, to: later)
    }

    /// A coordinate with one decimal (SVG), deterministic.
    static func coordinate(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = (min(max(value, -1e9), 1e9) * 10).rounded()
        let whole = Int64(tenths) / 10, fraction = abs(Int64(tenths) % 10)
        if fraction == 0 { return "\(whole)" }
        return (tenths < 0 && whole == 0 ? "-" : "") + "\(whole).\(fraction)"
    }

    /// Frame numbers for a `data-frames` attribute: space-separated.
    static func frames(_ frames: [UInt64]) -> String {
        frames.map(String.init).joined(separator: " ")
    }

    /// A list of frame numbers for people, shortened: `33, 36, 39, … (12 in all)`.
    static func frameList(_ frames: [UInt64]) -> String {
        frames.count <= 12 ? frames.map(String.init).joined(separator: ", ")
            : frames.prefix(10).map(String.init).joined(separator: ", ") + ", … (\(frames.count) in all)"
    }
}
