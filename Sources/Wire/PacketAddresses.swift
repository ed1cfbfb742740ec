import Bytes
import Capture

extension PacketDecoder {
    /// A frame's IP addresses and whether it is a fragment, as `decode` finds them, or nil where
    /// `decode` finds none. The partition of `read --threads` wants only these, for every frame
    /// of the file: an untagged Ethernet IPv4 frame (nearly all of them) is read in place, any
    /// other is decoded whole.
    public static func addresses(_ bytes: UnsafeRawBufferPointer, linkType: LinkType)
        -> (source: IPAddress, destination: IPAddress, isFragment: Bool)? {
        if linkType == .ethernet && bytes.count >= 14 + 20 && bytes.u16BE(at: 12) == EtherType.ipv4 {
            // decodeIPv4's own tests, in its order: a header it refuses carries no addresses.
            let versionAndLength = bytes[14]
            let headerLength = Int(versionAndLength & 0x0F) * 4
            guard versionAndLength >> 4 == 4, headerLength >= 20, bytes.count >= 14 + headerLength else { return nil }
            let flagsAndOffset = bytes.u16BE(at: 14 + 6)
            return (.ipv4(bytes, at: 14 + 12), .ipv4(bytes, at: 14 + 16), flagsAndOffset & 0x3FFF != 0)
        }
        let decoded = decode(bytes, linkType: linkType)
        guard let source = decoded.sourceAddress, let destination = decoded.destinationAddress else { return nil }
        return (source, destination, decoded.isFragment)
    }
}
