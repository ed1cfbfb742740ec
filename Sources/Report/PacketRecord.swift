import Bytes
import Capture
import Wire

/// The `packet` record: one nested object per layer, named after Wireshark's fields.
public enum PacketRecord {
    /// Writes the record up to and including layer 4, leaving the object open so that the
    /// application-layer decoders can add their members; `finish` closes it.
    /// `quotedICQ`: the classic ICQ an ICMP error quotes, written under `icmp.quoted.icq`;
    /// `quotedSOCKS`: the SOCKS5 UDP header in front of it (the quoted payload it was read from),
    /// under `icmp.quoted.socks`.
    public static func begin(_ json: inout JSONWriter, packet: CapturedPacket, decoded: DecodedPacket,
                             interface: CaptureInterface?, quotedICQ: QuotedICQ = .none,
                             quotedSOCKS: (SOCKSUDPHeader, UnsafeRawBufferPointer)? = nil, revealSecrets: Bool = false) {
        json.beginObject()
        json.field("type", static: "packet")
        json.beginObject("frame")
        json.field("number", packet.frameNumber)
        json.field("time_epoch", nanoseconds: packet.timestampNanos)
        json.field("interface_id", packet.interfaceIndex)
        if let name = interface?.name { json.field("interface_name", name) }
        json.field("len", packet.originalLength)
        json.field("cap_len", packet.capturedLength)
        json.field("encap", packet.linkType.name)
        json.endObject()
        writeLink(&json, decoded.link)
        writeNetwork(&json, decoded.network)
        writeTransport(&json, decoded, quotedICQ: quotedICQ, quotedSOCKS: quotedSOCKS, revealSecrets: revealSecrets)
        if let m = decoded.malformation { writeMalformation(&json, m) }
    }

    public static func finish(_ json: inout JSONWriter) {
        json.endObject()
        json.endLine()
    }

    public static func writeMalformation(_ json: inout JSONWriter, _ m: Malformation) {
        json.beginObject("malformed")
        json.field("layer", m.layer.rawValue)
        json.field("offset", m.offset)
        json.field("reason", m.reason.description)
        json.endObject()
    }

    static func writeLink(_ json: inout JSONWriter, _ link: LinkLayer?) {
        guard let link else { return }
        switch link.kind {
        case .ethernet:
            json.beginObject("eth")
            json.field("src", Hex.mac(link.source))
            json.field("dst", Hex.mac(link.destination))
            json.field("type", link.vlanCount > 0 ? 0x8100 : link.etherType)
            json.endObject()
            if link.vlanCount > 0 {
                json.beginArray("vlan")
                let ids = [link.vlanIDs.0, link.vlanIDs.1]
                for i in 0..<min(link.vlanCount, 2) {
                    json.beginObject()
                    json.field("id", ids[i])
                    if i == link.vlanCount - 1 { json.field("etype", link.etherType) }
                    json.endObject()
                }
                json.endArray()
            }
        case .linuxSLL, .linuxSLL2:
            json.beginObject("sll")
            json.field("pkttype", link.packetType)
            json.field("etype", link.etherType)
            if let index = link.interfaceIndex { json.field("ifindex", index) }
            if link.source != 0 { json.field("src_eth", Hex.mac(link.source)) }
            json.endObject()
        case .null, .loop:
            json.beginObject("null")
            json.field("family", link.addressFamily)
            json.endObject()
        case .raw:
            break
        }
    }

    static func writeNetwork(_ json: inout JSONWriter, _ network: NetworkLayer?) {
        switch network {
        case .ipv4(let h):
            json.beginObject("ip")
            json.field("version", 4)
            json.field("hdr_len", h.headerLength)
            json.field("dsfield", h.tos)
            json.field("len", h.totalLength)
            json.field("id", h.identification)
            json.field("flags", (h.dontFragment ? 2 : 0) | (h.moreFragments ? 1 : 0))
            json.field("frag_offset", h.fragmentOffset / 8)  // Wireshark counts 8-byte units
            json.field("ttl", h.ttl)
            json.field("proto", h.protocolNumber)
            json.field("src", h.source)
            json.field("dst", h.destination)
            json.endObject()
        case .ipv6(let h):
            json.beginObject("ipv6")
            json.field("tclass", h.trafficClass)
            json.field("flow", h.flowLabel)
            json.field("plen", h.payloadLength)
            json.field("nxt", h.nextHeader)
            json.field("hlim", h.hopLimit)
            json.field("src", h.source)
            json.field("dst", h.destination)
            if h.extensionHeaderCount > 0 { json.field("ext_headers", h.extensionHeaderCount) }
            if h.upperProtocol != h.nextHeader { json.field("upper_proto", h.upperProtocol) }
            if h.isFragment {
                json.beginObject("fragment")
                json.field("offset", h.fragmentOffset)
                json.field("more", h.moreFragments)
                json.field("id", h.fragmentIdentification)
                json.endObject()
            }
            json.endObject()
        case nil:
            break
        }
    }

    static func writeTransport(_ json: inout JSONWriter, _ decoded: DecodedPacket, quotedICQ: QuotedICQ,
                               quotedSOCKS: (SOCKSUDPHeader, UnsafeRawBufferPointer)? = nil, revealSecrets: Bool) {
        switch decoded.transport {
        case .udp(let h):
            json.beginObject("udp")
            json.field("srcport", h.sourcePort)
            json.field("dstport", h.destinationPort)
            json.field("length", h.length)
            json.endObject()
        case .tcp(let h):
            json.beginObject("tcp")
            json.field("srcport", h.sourcePort)
            json.field("dstport", h.destinationPort)
            json.field("seq_raw", h.sequenceNumber)
            json.field("ack_raw", h.acknowledgementNumber)
            json.field("hdr_len", h.headerLength)
            json.field("flags", h.flags)
            json.field("window_size_value", h.window)
            json.field("len", decoded.payloadWireLength)
            if h.options.maximumSegmentSize != nil || h.options.windowScale != nil || h.options.sackPermitted
                || h.options.timestampValue != nil {
                json.beginObject("options")
                if let mss = h.options.maximumSegmentSize { json.field("mss_val", mss) }
                if let shift = h.options.windowScale { json.field("wscale_shift", shift) }
                if h.options.sackPermitted { json.field("sack_perm", true) }
                if let tsval = h.options.timestampValue { json.field("timestamp_tsval", tsval) }
                if let tsecr = h.options.timestampEcho { json.field("timestamp_tsecr", tsecr) }
                json.endObject()
            }
            json.endObject()
        case .icmp(let m):
            writeICMP(&json, m, name: "icmp", quotedICQ: quotedICQ, quotedSOCKS: quotedSOCKS, revealSecrets: revealSecrets)
        case .icmpv6(let m):
            writeICMP(&json, m, name: "icmpv6", quotedICQ: quotedICQ, quotedSOCKS: quotedSOCKS, revealSecrets: revealSecrets)
        case nil:
            break
        }
    }

    static func writeICMP(_ json: inout JSONWriter, _ m: ICMPMessage, name: StaticString, quotedICQ: QuotedICQ,
                          quotedSOCKS: (SOCKSUDPHeader, UnsafeRawBufferPointer)? = nil, revealSecrets: Bool) {
        json.beginObject(name)
        json.field("type", m.type)
        json.field("code", m.code)
        if let id = m.identifier { json.field("ident", id) }
        if let seq = m.sequence { json.field("seq", seq) }
        if let q = m.quoted {
            json.beginObject("quoted")
            json.field("src", q.source)
            json.field("dst", q.destination)
            json.field("proto", q.protocolNumber)
            if let p = q.sourcePort { json.field("srcport", p) }
            if let p = q.destinationPort { json.field("dstport", p) }
            if let (header, datagram) = quotedSOCKS {
                JSONFieldVisitor.write(into: &json) { header.visitFields(datagram, into: &$0) }
            }
            QuotedICQRecord.write(&json, quotedICQ, revealSecrets: revealSecrets)
            json.endObject()
        }
        json.endObject()
    }
}
