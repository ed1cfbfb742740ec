import Bytes
import Capture

extension PacketDecoder {
    /// A frame's IP addresses and whether it is a fragment, as `decode` finds them, or nil where
    /// `decode` finds none. The shards of `read --threads` want only these of every frame of the
    /// file: an untagged Ethernet IPv4 frame (nearly all of them) is read in place, any other is
    /// decoded whole.
    @inlinable
    public static func addresses(_ bytes: UnsafeRawBufferPointer, linkType: LinkType)
        -> (source: IPAddress, destination: IPAddress, isFragment: Bool)? {
        switch ethernetIPv4Addresses(bytes, linkType: linkType) {
        case .addresses(let source, let destination, let isFragment):
            return (IPAddress(ipv4: source), IPAddress(ipv4: destination), isFragment)
        case .refused:
            return nil
        case .otherFrame:
            let decoded = decode(bytes, linkType: linkType)
            guard let source = decoded.sourceAddress, let destination = decoded.destinationAddress else { return nil }
            return (source, destination, decoded.isFragment)
        }
    }

    /// What `addresses` reads in place: an untagged Ethernet IPv4 frame's addresses, or that its
    /// header is one `decode` refuses (no addresses), or that the frame is another kind.
    public enum InPlaceAddresses {
        case addresses(source: UInt32, destination: UInt32, isFragment: Bool)
        case refused
        case otherFrame
    }

    @inlinable @inline(__always)
    public static func ethernetIPv4Addresses(_ bytes: UnsafeRawBufferPointer, linkType: LinkType) -> InPlaceAddresses {
        guard linkType == .ethernet && bytes.count >= 14 + 20 && bytes.u16BE(at: 12) == EtherType.ipv4 else { return .otherFrame }
        // decodeIPv4's own tests, in its order: a header it refuses carries no addresses. Nearly
        // every header is version 4 of 20 bytes (0x45), which the length checked above holds.
        let versionAndLength = bytes[14]
        if versionAndLength != 0x45 {
            let headerLength = Int(versionAndLength & 0x0F) * 4
            guard versionAndLength >> 4 == 4, headerLength >= 20, bytes.count >= 14 + headerLength else { return .refused }
        }
        let flagsAndOffset = bytes.u16BE(at: 14 + 6)
        return .addresses(source: bytes.u32BE(at: 14 + 12), destination: bytes.u32BE(at: 14 + 16),
                          isFragment: flagsAndOffset & 0x3FFF != 0)
    }
}
