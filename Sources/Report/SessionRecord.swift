import Bytes
import Capture
import Tracking

/// The `session` record: one classic ICQ session at its end.
public enum SessionRecord {
    public static func writeNDJSON(_ json: inout JSONWriter, _ s: ICQSession) {
        json.beginObject()
        json.field("type", static: "session")
        json.field("uin", s.key.uin)
        json.field("session_id", s.key.sessionID)
        json.field("version", s.version)
        endpoint(&json, "client", s.client)
        endpoint(&json, "server", s.server)
        json.field("first_time", nanoseconds: s.firstTime)
        json.field("last_time", nanoseconds: s.lastTime)
        json.key("duration")
        json.seconds(CaptureTime.elapsed(from: s.firstTime, to: s.lastTime))
        if let k = s.keepaliveInterval {
            json.key("keepalive_interval")
            json.seconds(k.value)
            json.field("keepalive_source", k.learnedFrom)
        } else {
            json.fieldNull("keepalive_interval")
        }
        json.beginArray("rtts")
        for rtt in s.roundTrips { json.seconds(rtt) }
        json.endArray()
        json.beginObject("packets")
        json.field("client", s.clientPackets)
        json.field("server", s.serverPackets)
        json.endObject()
        json.beginObject("retransmissions")
        json.field("client", s.clientRetransmissions)
        json.field("server", s.serverRetransmissions)
        json.endObject()
        json.beginArray("rebindings")
        for r in s.rebindings {
            json.beginObject()
            json.field("frame", r.frame)
            endpoint(&json, "from", r.from)
            endpoint(&json, "to", r.to)
            json.endObject()
        }
        json.endArray()
        json.field("end_reason", s.endReason?.rawValue ?? "end_of_capture")
        json.endObject()
        json.endLine()
    }

    static func endpoint(_ json: inout JSONWriter, _ name: StaticString, _ e: Endpoint) {
        json.beginObject(name)
        json.field("ip", e.address)
        json.field("port", e.port)
        json.endObject()
    }

    /// One line per session for people. Built as UTF-8 bytes: appending to a `String` that holds
    /// "↔" checks every junction for a grapheme cluster, which made a line cost twice as much
    /// (23,000 instructions against 12,000; a gateway's text report writes one per session).
    public static func text(_ s: ICQSession) -> String {
        var line: [UInt8] = []
        line.reserveCapacity(200)
        func put(_ piece: String) {
            var piece = piece
            piece.withUTF8 { line.append(contentsOf: $0) }
        }
        func put(_ piece: StaticString) {
            line.append(contentsOf: UnsafeBufferPointer(start: piece.utf8Start, count: piece.utf8CodeUnitCount))
        }
        put("session UIN ")
        put(String(s.key.uin))
        put(" ")
        put(s.client.description)
        put(" ↔ server ")
        put(s.server.description)
        put(", ")
        put(TimeFormat.seconds(CaptureTime.elapsed(from: s.firstTime, to: s.lastTime)))
        put(" s")
        if let k = s.keepaliveInterval {
            put(", keep-alive ")
            put(TimeFormat.seconds(k.value))
            if k.learnedFrom == "login_reply" { put(" s (login reply)") } else { put(" s (observed)") }
        } else {
            put(", keep-alive unknown")
        }
        if let fastest = s.roundTrips.min(), let slowest = s.roundTrips.max() {
            // The extremes only: a long session's round trips are not sorted for two of them.
            put(", rtt ")
            put(milliseconds(fastest))
            put("–")
            put(milliseconds(slowest))
            put(" ms")
        }
        put(", retransmissions ")
        put(String(s.clientRetransmissions))
        put(" client / ")
        put(String(s.serverRetransmissions))
        put(" server")
        if !s.rebindings.isEmpty {
            put(", NAT rebound ")
            put(String(s.rebindings.count))
            put("×")
        }
        put(", ended: ")
        if let reason = s.endReason { put(reason.rawValue) } else { put("end_of_capture") }
        put("\n")
        return String(decoding: line, as: UTF8.self)
    }

    static func milliseconds(_ nanoseconds: Int64) -> String {
        let tenths = nanoseconds / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}
