import Bytes
import Capture

/// Decodes a captured frame from the link layer to the start of the application payload.
/// Stateless and allocation-free: everything it learns goes into a `DecodedPacket` value.
public enum PacketDecoder {
    @inlinable
    public static func decode(_ packet: CapturedPacket) -> DecodedPacket {
        decode(packet.bytes, linkType: packet.linkType)
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer, linkType: LinkType) -> DecodedPacket {
        var decoded = DecodedPacket()
        guard let networkOffset = decodeLink(bytes, linkType: linkType, into: &decoded) else {
            return decoded
        }
        switch decoded.link?.etherType {
        case EtherType.ipv4: decodeIPv4(bytes, at: networkOffset, into: &decoded)
        case EtherType.ipv6: decodeIPv6(bytes, at: networkOffset, into: &decoded)
        default: break
        }
        return decoded
    }
}
