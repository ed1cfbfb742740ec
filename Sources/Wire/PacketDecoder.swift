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
        decode(bytes, linkType: linkType, into: &decoded)
        return decoded
    }

    /// Decodes `packet` into `decoded`, replacing what it held. For per-packet loops: a
    /// `DecodedPacket` is about 290 bytes, and returning one by value copies it (twice, as
    /// compiled today), which costs as much as decoding a small frame.
    @inlinable
    public static func decode(_ packet: CapturedPacket, into decoded: inout DecodedPacket) {
        decode(packet.bytes, linkType: packet.linkType, into: &decoded)
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, into decoded: inout DecodedPacket) {
        decoded = DecodedPacket()
        guard let networkOffset = decodeLink(bytes, linkType: linkType, into: &decoded) else {
            return
        }
        switch decoded.link?.etherType {
        case EtherType.ipv4: decodeIPv4(bytes, at: networkOffset, into: &decoded)
        case EtherType.ipv6: decodeIPv6(bytes, at: networkOffset, into: &decoded)
        default: break
        }
    }
}
