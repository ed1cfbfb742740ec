import Capture
import Wire

/// The `--packets` line for people: frame, time since the first packet, interface, endpoints,
/// protocol, length and what the highest decoded layer says.
public enum PacketLine {
    public static func text(packet: CapturedPacket, decoded: DecodedPacket, interface: CaptureInterface?,
                            firstTime: Int64, info: String?, quotedInfo: String? = nil) -> String {
        let time = TimeFormat.seconds(packet.timestampNanos &- firstTime)
        let iface = interface?.name ?? "if\(packet.interfaceIndex)"
        var protocolName = "-"
        var source = "-"
        var destination = "-"
        var detail = ""
        if let src = decoded.sourceAddress, let dst = decoded.destinationAddress {
            source = src.isIPv6 ? "[\(src.description)]" : src.description
            destination = dst.isIPv6 ? "[\(dst.description)]" : dst.description
            protocolName = decoded.ipv4 != nil ? "IPv4" : "IPv6"
        }
        switch decoded.transport {
        case .udp(let h):
            protocolName = "UDP"
            source += ":\(h.sourcePort)"
            destination += ":\(h.destinationPort)"
            detail = "len=\(decoded.payloadLength)"
        case .tcp(let h):
            protocolName = "TCP"
            source += ":\(h.sourcePort)"
            destination += ":\(h.destinationPort)"
            detail = "[\(flagNames(h.flags))] seq=\(h.sequenceNumber) ack=\(h.acknowledgementNumber) win=\(h.window) len=\(decoded.payloadLength)"
        case .icmp(let m), .icmpv6(let m):
            protocolName = decoded.ipv4 != nil ? "ICMP" : "ICMPv6"
            detail = "type=\(m.type) code=\(m.code)"
            if let q = m.quoted {
                detail += " quoting \(q.source)"
                if let p = q.sourcePort { detail += ":\(p)" }
                detail += " → \(q.destination)"
                if let p = q.destinationPort { detail += ":\(p)" }
                if let quotedInfo { detail += " " + quotedInfo }
            }
        case nil:
            if decoded.network == nil { protocolName = decoded.link.map { "\($0.kind)" } ?? packet.linkType.name }
        }
        if let info { detail = info }
        if let m = decoded.malformation {
            detail += (detail.isEmpty ? "" : " ") + "[malformed \(m.layer.rawValue) at offset \(m.offset): \(m.reason)]"
        }
        return "\(packet.frameNumber) \(time) \(iface) \(source) → \(destination) \(protocolName) \(packet.originalLength) \(detail)\n"
    }

    static func flagNames(_ flags: UInt16) -> String {
        var names: [String] = []
        if flags & TCPHeader.syn != 0 { names.append("SYN") }
        if flags & TCPHeader.fin != 0 { names.append("FIN") }
        if flags & TCPHeader.rst != 0 { names.append("RST") }
        if flags & TCPHeader.psh != 0 { names.append("PSH") }
        if flags & TCPHeader.ack != 0 { names.append("ACK") }
        if flags & TCPHeader.urg != 0 { names.append("URG") }
        return names.joined(separator: ",")
    }
}
