import Bytes
import Capture
import Report
import Wire

/// The link/IP/transport decoder: one frame on a link type the first byte picks, decoded and
/// written as the `--packets` NDJSON record and text line are.
public enum PacketEntries {
    static let linkTypes: [LinkType] = [
        .ethernet, .raw, .linuxSLL, .linuxSLL2, .null, .loop, .ipv4, .ipv6, .rawAlt12, .rawAlt14,
    ]

    public static func linkType(selector: UInt8) -> LinkType { linkTypes[Int(selector) % linkTypes.count] }

    public static func packet(_ bytes: UnsafeRawBufferPointer) -> FuzzTally {
        var input = FuzzInput(bytes)
        let selector = input.byte()
        let frame = input.rest()
        let linkType = linkType(selector: selector)
        var decoded = DecodedPacket()
        PacketDecoder.decode(frame, linkType: linkType, into: &decoded)
        var tally = FuzzTally()
        if decoded.malformation != nil { tally.malformed += 1 }
        switch decoded.transport {
        case .udp?: tally.saw(kind: 0)
        case .tcp?: tally.saw(kind: 1)
        case .icmp?: tally.saw(kind: 2)
        case .icmpv6?: tally.saw(kind: 3)
        case nil: break
        }
        if decoded.transport != nil { tally.decoded += 1 }
        if decoded.isFragment { tally.saw(kind: 4) }
        // The payload view must lie inside the frame (ASan checks the bytes are real).
        var checksum: UInt8 = 0
        for b in decoded.payload(of: frame) { checksum &+= b }
        tally.fields = Int(checksum)
        let packet = CapturedPacket(frameNumber: 1, timestampNanos: 0, interfaceIndex: 0, linkType: linkType,
                                    originalLength: frame.count, bytes: frame)
        var json = JSONWriter(capacity: 1024)
        PacketRecord.begin(&json, packet: packet, decoded: decoded, interface: nil)
        PacketRecord.finish(&json)
        tally.fields += json.buffer.count
        tally.fields += PacketLine.text(packet: packet, decoded: decoded, interface: nil, firstTime: 0, info: nil).utf8.count
        return tally
    }
}
