import Bytes
import Capture

/// What the link layer said: its kind, the MAC addresses for Ethernet, up to two VLAN tags,
/// and the Linux cooked header's fields.
public struct LinkLayer: Sendable {
    public enum Kind: Sendable { case ethernet, linuxSLL, linuxSLL2, null, loop, raw }

    public var kind: Kind
    /// Ethernet addresses in the low 48 bits (Ethernet and SLL with a 6-byte address).
    public var source: UInt64 = 0
    public var destination: UInt64 = 0
    /// The EtherType (or SLL protocol, or address family for NULL/LOOP) of the next layer.
    public var etherType: UInt16 = 0
    /// 802.1Q / QinQ tags, outermost first; `vlanCount` says how many are valid.
    public var vlanIDs: (UInt16, UInt16) = (0, 0)
    public var vlanCount: Int = 0
    /// Linux cooked capture: packet type (0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing).
    public var packetType: UInt16 = 0
    /// Linux cooked v2 only: the interface index, which `-i any` keeps per packet.
    public var interfaceIndex: UInt32? = nil
    /// BSD NULL/LOOP address family as recorded.
    public var addressFamily: UInt32 = 0

    public init(kind: Kind) { self.kind = kind }

    /// The VLAN ID that identifies the flow's segment: the innermost tag, or 0 for untagged.
    public var innermostVLAN: UInt16 {
        switch vlanCount {
        case 0: 0
        case 1: vlanIDs.0
        default: vlanIDs.1
        }
    }
}

@usableFromInline
enum EtherType {
    /// Read by `PacketDecoder.ethernetIPv4Addresses`, which the shards of `read --threads` inline.
    @usableFromInline static let ipv4: UInt16 = 0x0800
    static let ipv6: UInt16 = 0x86DD
    static let vlan: UInt16 = 0x8100
    static let qinq: UInt16 = 0x88A8
    static let qinqOld: UInt16 = 0x9100
}

extension PacketDecoder {
    /// Decodes the link header and returns the offset of the network layer, or nil when the
    /// frame carries no IP (the link is still recorded).
    static func decodeLink(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, into packet: inout DecodedPacket) -> Int? {
        switch linkType {
        case .ethernet:
            var link = LinkLayer(kind: .ethernet)
            guard bytes.count >= 14 else {
                packet.malformation = Malformation(.link, at: 0, "ethernet header truncated")
                packet.link = link
                return nil
            }
            link.destination = UInt64(bytes.u32BE(at: 0)) << 16 | UInt64(bytes.u16BE(at: 4))
            link.source = UInt64(bytes.u32BE(at: 6)) << 16 | UInt64(bytes.u16BE(at: 10))
            var etherType = bytes.u16BE(at: 12)
            var offset = 14
            while etherType == EtherType.vlan || etherType == EtherType.qinq || etherType == EtherType.qinqOld {
                guard bytes.count >= offset + 4 else {
                    packet.malformation = Malformation(.vlan, at: offset, "vlan tag truncated")
                    packet.link = link
                    return nil
                }
                let id = bytes.u16BE(at: offset) & 0x0FFF
                if link.vlanCount == 0 { link.vlanIDs.0 = id } else { link.vlanIDs.1 = id }
                link.vlanCount += 1
                etherType = bytes.u16BE(at: offset + 2)
                offset += 4
                if link.vlanCount == 2 && (etherType == EtherType.vlan || etherType == EtherType.qinq) {
                    // A third tag is legal but rare; record two and keep walking.
                    link.vlanCount = 2
                }
            }
            link.etherType = etherType
            packet.link = link
            return offset

        case .linuxSLL:
            var link = LinkLayer(kind: .linuxSLL)
            guard bytes.count >= 16 else {
                packet.malformation = Malformation(.link, at: 0, "linux cooked header truncated")
                packet.link = link
                return nil
            }
            link.packetType = bytes.u16BE(at: 0)
            if bytes.u16BE(at: 4) == 6 {
                link.source = UInt64(bytes.u32BE(at: 6)) << 16 | UInt64(bytes.u16BE(at: 10))
            }
            link.etherType = bytes.u16BE(at: 14)
            packet.link = link
            return 16

        case .linuxSLL2:
            var link = LinkLayer(kind: .linuxSLL2)
            guard bytes.count >= 20 else {
                packet.malformation = Malformation(.link, at: 0, "linux cooked v2 header truncated")
                packet.link = link
                return nil
            }
            link.etherType = bytes.u16BE(at: 0)
            link.interfaceIndex = bytes.u32BE(at: 4)
            link.packetType = UInt16(bytes[10])
            if bytes[11] == 6 {
                link.source = UInt64(bytes.u32BE(at: 12)) << 16 | UInt64(bytes.u16BE(at: 16))
            }
            packet.link = link
            return 20

        case .null, .loop:
            var link = LinkLayer(kind: linkType == .null ? .null : .loop)
            guard bytes.count >= 4 else {
                packet.malformation = Malformation(.link, at: 0, "loopback header truncated")
                packet.link = link
                return nil
            }
            // NULL stores the family in the writer's byte order; LOOP in network order.
            let family = linkType == .loop ? bytes.u32BE(at: 0)
                : (bytes.u32LE(at: 0) < 0x10000 ? bytes.u32LE(at: 0) : bytes.u32BE(at: 0))
            link.addressFamily = family
            switch family {
            case 2: link.etherType = EtherType.ipv4
            case 10, 24, 28, 30: link.etherType = EtherType.ipv6  // AF_INET6 differs by OS
            default: link.etherType = 0
            }
            packet.link = link
            return 4

        case .raw, .rawAlt12, .rawAlt14, .ipv4, .ipv6:
            var link = LinkLayer(kind: .raw)
            if bytes.count >= 1 {
                switch bytes[0] >> 4 {
                case 4: link.etherType = EtherType.ipv4
                case 6: link.etherType = EtherType.ipv6
                default: break
                }
            }
            packet.link = link
            return 0

        default:
            packet.malformation = Malformation(.link, at: 0, "unsupported link type")
            return nil
        }
    }
}
