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

    /// One line per session for people.
    public static func text(_ s: ICQSession) -> String {
        var line = "session UIN \(s.key.uin) \(s.client) ↔ server \(s.server), \(TimeFormat.seconds(CaptureTime.elapsed(from: s.firstTime, to: s.lastTime))) s"
        if let k = s.keepaliveInterval {
            line += ", keep-alive \(TimeFormat.seconds(k.value)) s (\(k.learnedFrom == "login_reply" ? "login reply" : "observed"))"
        } else {
            line += ", keep-alive unknown"
        }
        if !s.roundTrips.isEmpty {
            let sorted = s.roundTrips.sorted()
            line += ", rtt \(milliseconds(sorted[0]))–\(milliseconds(sorted[sorted.count - 1])) ms"
        }
        line += ", retransmissions \(s.clientRetransmissions) client / \(s.serverRetransmissions) server"
        if !s.rebindings.isEmpty { line += ", NAT rebound \(s.rebindings.count)×" }
        line += ", ended: \(s.endReason?.rawValue ?? "end_of_capture")"
        return line + "\n"
    }

    static func milliseconds(_ nanoseconds: Int64) -> String {
        let tenths = nanoseconds / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}
