import Capture

/// The last record of a run: what was read, what it held, what was damaged or dropped.
public enum SummaryRecord {
    public static func writeNDJSON(_ json: inout JSONWriter, _ s: Summary) {
        json.beginObject()
        json.field("type", static: "summary")
        json.field("packets", s.packets)
        json.field("bytes", s.wireBytes)
        json.field("captured_bytes", s.capturedBytes)
        if let first = s.firstTime, let last = s.lastTime {
            json.field("first_time", nanoseconds: first)
            json.field("last_time", nanoseconds: last)
            json.key("duration")
            json.seconds(s.duration)
        }
        if s.filteredOut > 0 { json.field("filtered_out", s.filteredOut) }
        json.beginObject("link_types")
        for (type, count) in s.linkTypeCounts.sorted(by: { $0.key < $1.key }) {
            json.key(type.name)
            json.integer(count)
        }
        json.endObject()
        json.beginObject("protocols")
        for p in Summary.Counted.allCases where s[p] > 0 {
            json.key(p.name)
            json.integer(s[p])
        }
        json.endObject()
        s.icq.writeNDJSON(&json)
        json.beginObject("malformed")
        for (key, count) in s.malformed {
            json.key(key)
            json.integer(count)
        }
        json.endObject()
        json.field("input_errors", s.inputErrors)
        json.beginArray("open_at_end")
        for open in s.openDeadlines {
            json.beginObject()
            json.field("uin", open.uin)
            json.field("what", open.what)
            json.beginArray("frames")
            for frame in open.frames { json.integer(frame) }
            json.endArray()
            json.endObject()
        }
        json.endArray()
        if let flows = s.flows {
            json.beginObject("flows")
            json.field("created", flows.flowsCreated)
            json.field("idle_timeout", flows.flowsEndedByIdleTimeout)
            json.field("evicted", flows.flowsEvicted)
            json.field("end_of_capture", flows.flowsEndedAtEndOfCapture)
            json.field("peak_active", flows.peakActiveFlows)
            json.field("icmp_errors_matched", flows.icmpErrorsMatched)
            json.field("icmp_errors_unmatched", flows.icmpErrorsUnmatched)
            json.endObject()
        }
        if s.sessionsEvicted > 0 || s.streamsEvicted > 0 || s.datagramsEvicted > 0 {
            json.beginObject("evicted")
            json.field("icq_sessions", s.sessionsEvicted)
            json.field("tcp_streams", s.streamsEvicted)
            if s.datagramsEvicted > 0 { json.field("ip_datagrams", s.datagramsEvicted) }
            json.endObject()
        }
        json.beginArray("sources")
        for source in s.sources {
            json.beginObject()
            json.field("name", source.name)
            json.field("format", source.format)
            json.field("packets", source.packets)
            json.field("completed", source.completed)
            json.beginArray("interfaces")
            for (index, interface) in source.interfaces.enumerated() {
                json.beginObject()
                json.field("id", index)
                if let name = interface.name { json.field("name", name) }
                json.field("link_type", interface.linkType.name)
                json.field("snaplen", interface.snapLength)
                if let stats = interface.statistics {
                    json.beginObject("drops")
                    if let v = stats.received { json.field("received", v) }
                    if let v = stats.interfaceDropped { json.field("interface", v) }
                    if let v = stats.osDropped { json.field("os", v) }
                    if let v = stats.filterAccepted { json.field("filter_accepted", v) }
                    if let v = stats.delivered { json.field("delivered", v) }
                    json.endObject()
                }
                json.endObject()
            }
            json.endArray()
            json.endObject()
        }
        json.endArray()
        if !s.clockOffsets.isEmpty {
            json.beginArray("clock_offsets")
            for c in s.clockOffsets {
                json.beginObject()
                json.field("file", c.file)
                json.field("reference", c.reference)
                json.key("offset")
                if let offset = c.offsetNanos { json.seconds(offset) } else { json.null() }
                json.field("packets_in_common", c.packetsInCommon)
                json.beginArray("frames")
                for frame in c.frames { json.integer(frame) }
                json.endArray()
                json.endObject()
            }
            json.endArray()
        }
        s.vantage?.writeNDJSON(&json)
        s.live?.writeSummaryMember(&json)
        json.endObject()
        json.endLine()
    }

    public static func text(_ s: Summary) -> String {
        var lines: [String] = []
        for source in s.sources {
            let state = source.completed ? "" : " (stopped early: damaged input)"
            let count = source.interfaces.count
            lines.append("\(source.name): \(source.format), \(count) interface\(count == 1 ? "" : "s"), \(source.packets) packets\(state)")
        }
        for c in s.clockOffsets {
            lines.append("clock        " + clockLine(c))
        }
        if let vantage = s.vantage { lines.append("vantage      " + vantage.text) }
        lines.append("packets      \(s.packets) (\(s.wireBytes) bytes on the wire, \(s.capturedBytes) captured)")
        if s.filteredOut > 0 { lines.append("filtered out \(s.filteredOut)") }
        if let first = s.firstTime, let last = s.lastTime {
            lines.append("time span    \(TimeFormat.utc(first)) to \(TimeFormat.utc(last)) (\(TimeFormat.seconds(s.duration)) s)")
        }
        let links = s.linkTypeCounts.sorted(by: { $0.key < $1.key }).map { "\($0.key.name) \($0.value)" }
        lines.append("link types   " + (links.isEmpty ? "none" : links.joined(separator: ", ")))
        let protocols = Summary.Counted.allCases.filter { s[$0] > 0 }.map { "\($0.name) \(s[$0])" }
        lines.append("protocols    " + (protocols.isEmpty ? "none" : protocols.joined(separator: ", ")))
        if let icq = s.icq.textLine { lines.append(icq) }
        let malformed = s.malformed.map { "\($0.key) \($0.count)" }
        lines.append("malformed    " + (malformed.isEmpty ? "none" : malformed.joined(separator: ", ")))
        var drops: [String] = []
        for source in s.sources {
            for (index, interface) in source.interfaces.enumerated() {
                guard let stats = interface.statistics else { continue }
                let name = interface.name ?? "interface \(index)"
                var parts: [String] = []
                if let v = stats.received { parts.append("\(v) received") }
                if let v = stats.osDropped { parts.append("\(v) dropped by the OS") }
                if let v = stats.interfaceDropped { parts.append("\(v) dropped by the interface") }
                drops.append("\(name): " + (parts.isEmpty ? "no counters" : parts.joined(separator: ", ")))
            }
        }
        lines.append("drops        " + (drops.isEmpty ? "not recorded in the input" : drops.joined(separator: "; ")))
        if let flows = s.flows {
            var line = "flows        \(flows.flowsCreated)"
            if flows.flowsEvicted > 0 { line += " (\(flows.flowsEvicted) evicted: the flow table was full)" }
            lines.append(line)
        }
        if s.sessionsEvicted > 0 || s.streamsEvicted > 0 {
            lines.append("evicted      \(s.sessionsEvicted) ICQ sessions, \(s.streamsEvicted) TCP streams (the memory budget, --memcap, was full)")
        }
        if s.datagramsEvicted > 0 {
            lines.append("evicted      \(s.datagramsEvicted) fragmented IP datagrams, unfinished (IP reassembly was full)")
        }
        if let live = s.live {
            lines.append("live         " + live.equation)
            if let reason = live.stopReason {
                lines.append("stopped by   \(reason) after \(TimeFormat.seconds(live.elapsedNanos)) s")
            }
        }
        if s.inputErrors > 0 { lines.append("input errors \(s.inputErrors) (see the messages above)") }
        for open in s.openDeadlines {
            lines.append("open at end  UIN \(open.uin): \(open.what) (frames \(open.frames.map(String.init).joined(separator: ", "))); the capture ended before its deadline")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `b.pcap: +0.350014 s against a.pcap, from 41 packets seen in both (frames 23 and 24, 57 and 58)`.
    static func clockLine(_ c: Summary.ClockOffset) -> String {
        guard let offset = c.offsetNanos else {
            return "\(c.file): times used as they are (only \(c.packetsInCommon) packet\(c.packetsInCommon == 1 ? "" : "s") seen in both it and \(c.reference), too few to compare their clocks)"
        }
        var pairs: [String] = []
        var i = 0
        while i + 1 < c.frames.count {
            pairs.append("\(c.frames[i]) and \(c.frames[i + 1])")
            i += 2
        }
        return "\(c.file): \(offset >= 0 ? "+" : "")\(TimeFormat.seconds(offset)) s against \(c.reference), from \(c.packetsInCommon) packets seen in both"
            + (pairs.isEmpty ? "" : " (frames \(pairs.joined(separator: ", ")))")
    }
}

/// Time formatting for people, computed from capture time (no time zone, no locale).
public enum TimeFormat {
    /// `2024-11-24 17:09:01.123456789 UTC`
    public static func utc(_ nanoseconds: Int64) -> String {
        // Floor division, written so that no timestamp a damaged file can hold overflows.
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000_000
        }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (y, m, d) = civilDate(daysSinceEpoch: days)
        return "\(y)-\(pad(m, 2))-\(pad(d, 2)) \(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 9)) UTC"
    }

    /// Seconds with microsecond digits: `12.000500`.
    public static func seconds(_ nanoseconds: Int64) -> String {
        let sign = nanoseconds < 0 ? "-" : ""
        let n = nanoseconds.magnitude
        return "\(sign)\(n / 1_000_000_000).\(pad(n % 1_000_000_000 / 1000, 6))"
    }

    static func pad(_ value: some BinaryInteger, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Howard Hinnant's days-to-civil algorithm.
    static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
