import Bytes
import Tracking

/// `flow` records (OUTPUT.md "Flow records"): one per flow, written when the flow ends.
public enum FlowRecordOutput {
    /// `{"type":"flow","community_id":…,"proto":"udp","orig":{"ip":…,"port":…},"resp":{…},
    /// "first_time":…,"last_time":…,"duration":…,"packets":{"orig":…,"resp":…},
    /// "bytes":{"orig":…,"resp":…},"conn_state":…,"history":…,"protocols":[…],"uins":[…],
    /// "end_reason":…}`. Bytes are IP bytes (Zeek's orig_ip_bytes/resp_ip_bytes). `vlan` appears
    /// only on tagged flows, since the VLAN is part of the flow key.
    public static func writeNDJSON(_ json: inout JSONWriter, _ flow: FlowRecord) {
        json.beginObject()
        json.field("type", static: "flow")
        json.field("community_id", flow.communityID)
        json.field("proto", flow.protocolName)
        if flow.vlan != 0 { json.field("vlan", flow.vlan) }
        endpoint(&json, "orig", flow.originator)
        endpoint(&json, "resp", flow.responder)
        json.field("first_time", nanoseconds: flow.firstTime)
        json.field("last_time", nanoseconds: flow.lastTime)
        json.key("duration")
        json.seconds(flow.duration)
        json.beginObject("packets")
        json.field("orig", flow.originatorCounters.packets)
        json.field("resp", flow.responderCounters.packets)
        json.endObject()
        json.beginObject("bytes")
        json.field("orig", flow.originatorCounters.ipBytes)
        json.field("resp", flow.responderCounters.ipBytes)
        json.endObject()
        json.field("conn_state", flow.connState.rawValue)
        json.field("history", flow.history)
        json.beginArray("protocols")
        for name in flow.protocols.names { json.string(name) }
        json.endArray()
        json.beginArray("uins")
        for uin in flow.uins { json.integer(uin) }
        json.endArray()
        json.field("end_reason", flow.endReason.rawValue)
        json.endObject()
        json.endLine()
    }

    private static func endpoint(_ json: inout JSONWriter, _ name: StaticString, _ endpoint: Endpoint) {
        json.beginObject(name)
        json.field("ip", endpoint.address)
        json.field("port", endpoint.port)
        json.endObject()
    }

    /// One line for people:
    /// `flow udp 127.0.0.1:49970 → 127.0.0.1:4000 SF Dd 71.148193 s, packets 32/23, bytes 1949/1449, icq, uins 1001, end_of_capture, 1:H5lF…`
    public static func text(_ flow: FlowRecord) -> String {
        func show(_ e: Endpoint) -> String {
            (e.address.isIPv6 ? "[\(e.address.description)]" : e.address.description) + ":\(e.port)"
        }
        var parts = ["flow \(flow.protocolName) \(show(flow.originator)) → \(show(flow.responder))"]
        if flow.vlan != 0 { parts[0] += " vlan \(flow.vlan)" }
        parts[0] += " \(flow.connState.rawValue)" + (flow.history.isEmpty ? "" : " \(flow.history)")
        parts[0] += " \(TimeFormat.seconds(flow.duration)) s"
        parts.append("packets \(flow.originatorCounters.packets)/\(flow.responderCounters.packets)")
        parts.append("bytes \(flow.originatorCounters.ipBytes)/\(flow.responderCounters.ipBytes)")
        if !flow.protocols.isEmpty { parts.append(flow.protocols.names.joined(separator: "+")) }
        if !flow.uins.isEmpty { parts.append("uins " + flow.uins.map(String.init).joined(separator: ",")) }
        parts.append(flow.endReason.rawValue)
        parts.append(flow.communityID)
        return parts.joined(separator: ", ") + "\n"
    }
}
