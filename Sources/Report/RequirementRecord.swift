import Diagnosis
import Tracking

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
        if let gateways = r.udpTimeoutsByGateway {
            json.fieldNull("udp_timeout")
            json.beginArray("udp_timeouts")
            for (gateway, b) in gateways {
                json.beginObject()
                json.field("gateway", gateway)
                bound(&json, "more_than", "more_than_frames", b.moreThan)
                bound(&json, "at_most", "at_most_frames", b.atMost)
                json.endObject()
            }
            json.endArray()
        }
        if let ports = r.ports {
            json.beginArray("ports")
            for entry in ports { port(&json, entry) }
            json.endArray()
            if r.portsNotListed > 0 { json.field("ports_not_listed", r.portsNotListed) }
        }
        json.endObject()
        json.endLine()
    }

    /// `{"client":{"ip","port"}, "uin", "port", "source", "status", "frames"}`: the client's
    /// listening endpoint as advertised, and what became of it.
    private static func port(_ json: inout JSONWriter, _ e: PeerPortLedger.Entry) {
        json.beginObject()
        json.beginObject("client")
        json.field("ip", e.endpoint.address)
        json.field("port", e.endpoint.port)
        json.endObject()
        if let uin = e.uin { json.field("uin", uin) } else { json.fieldNull("uin") }
        json.field("port", e.endpoint.port)
        json.field("source", sourceName(e.source))
        json.field("status", e.status.rawValue)
        if let application = e.application { json.field("application", application) }
        json.beginArray("frames")
        for frame in e.frames { json.integer(frame) }
        json.endArray()
        json.endObject()
    }

    /// The output contract's names for where a port was advertised.
    static func sourceName(_ source: AdvertisedEndpoints.Source) -> String {
        switch source {
        case .login: "login"
        case .userOnline: "user_online"
        case .oscarDirectConnection: "dc_info"
        case .peerInit: "peer_init"
        case .socksBind: "bind"
        case .tcpRequest: "tcp_request"
        case .rendezvous: "rendezvous"
        case .bosRedirect: "bos_redirect"  // never in the ports list (the ledger skips it)
        case .peerAck: "ack"
        }
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
