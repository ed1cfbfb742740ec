import Bytes
import Diagnosis

/// A finding as an RFC 5424 syslog message, its facts as structured data, so that a log pipeline
/// reads the fields without parsing prose:
///
///     <27>1 2024-11-24T14:04:00.036490Z gw1 icqscope 4242 finding [finding@32473 kind="firewall_session_timeout"
///     severity="error" level="confirmed" detail="dropped_at_gateway" requirement="udp-4000-replies"
///     client="10.77.1.2:37143" server="10.78.1.2:4000" uin="1001" first_time="…" last_time="…"
///     frames="171 183 195"] The firewall … Advice: …
///
/// The SD-ID carries 32473, the enterprise number RFC 5612 sets aside for examples: icqscope has
/// no number of its own registered, and RFC 5424 names private SD-IDs `name@number`.
public enum SyslogMessage {
    /// RFC 5424 facilities by name (`--syslog-facility`).
    public static let facilities: [String: Int] = [
        "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
        "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
        "local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
    ]

    public static let structuredDataID = "finding@32473"

    /// The message, UTF-8. `timestampNanos` is when it is sent (the header's TIMESTAMP);
    /// the finding's own capture times are in the structured data.
    public static func format(_ f: Finding, facility: Int, hostname: String, processID: Int32,
                              timestampNanos: Int64) -> [UInt8] {
        // error → 3 (Error), warning → 4 (Warning).
        let severity = f.severity == .error ? 3 : 4
        var text = "<\(facility * 8 + severity)>1 \(rfc3339(timestampNanos)) \(headerField(hostname, limit: 255)) icqscope \(processID) finding "
        var parameters: [(String, String)] = [
            ("kind", f.kind.rawValue), ("severity", f.severity.rawValue),
        ]
        if let level = f.level { parameters.append(("level", level.rawValue)) }
        if let detail = f.detail { parameters.append(("detail", detail.rawValue)) }
        parameters.append(("requirement", f.requirement.rawValue))
        if let client = f.client { parameters.append(("client", client.description)) }
        if let server = f.server { parameters.append(("server", server.description)) }
        if let peer = f.peer { parameters.append(("peer", peer.description)) }
        if let uin = f.uin { parameters.append(("uin", String(uin))) }
        parameters.append(("first_time", TimeFormat.epoch(f.firstTime)))
        parameters.append(("last_time", TimeFormat.epoch(f.lastTime)))
        parameters.append(("frames", f.frames.map(String.init).joined(separator: " ")))
        text += "[" + structuredDataID
        for (name, value) in parameters { text += " \(name)=\"\(escaped(value))\"" }
        text += "] "
        // The BOM says the message is UTF-8 (RFC 5424 §6.4).
        return [0xEF, 0xBB, 0xBF].withUnsafeBufferPointer { bom in
            Array(text.utf8) + Array(bom) + Array("\(f.explanation) Advice: \(f.advice)".utf8)
        }
    }

    /// PARAM-VALUE escaping: `"`, `\` and `]` get a backslash (RFC 5424 §6.3.3).
    public static func escaped(_ value: String) -> String {
        var out = ""
        for c in value {
            if c == "\"" || c == "\\" || c == "]" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// A header field: printable US-ASCII without spaces, at most `limit` characters; "-" when empty.
    static func headerField(_ value: String, limit: Int) -> String {
        let printable = String(value.unicodeScalars.filter { $0.value > 32 && $0.value < 127 }.prefix(limit).map(Character.init))
        return printable.isEmpty ? "-" : printable
    }

    /// `2024-11-24T14:04:00.036490Z` (microseconds: RFC 5424 allows at most six digits).
    public static func rfc3339(_ nanoseconds: Int64) -> String {
        let utc = TimeFormat.utc(nanoseconds)  // 2024-11-24 14:04:00.036490123 UTC
        let date = utc.prefix(10)
        let time = utc.dropFirst(11).prefix(15)  // 14:04:00.036490
        return "\(date)T\(time)Z"
    }
}

extension TimeFormat {
    /// `1732456789.123456789`: seconds since the epoch with nanosecond digits, as `frame.time_epoch`.
    public static func epoch(_ nanoseconds: Int64) -> String {
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000_000
        }
        return "\(seconds).\(pad(fraction, 9))"
    }
}
