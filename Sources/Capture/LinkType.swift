import Bytes

/// A LINKTYPE_ value as pcap and pcapng files record it (tcpdump.org/linktypes.html).
public struct LinkType: RawRepresentable, Hashable, Sendable, Comparable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let null = LinkType(rawValue: 0)  // BSD loopback, host-order family
    public static let ethernet = LinkType(rawValue: 1)
    public static let raw = LinkType(rawValue: 101)  // raw IPv4 or IPv6
    public static let loop = LinkType(rawValue: 108)  // OpenBSD loopback, network-order family
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    public static let linuxSLL2 = LinkType(rawValue: 276)
    /// DLT_RAW as some systems number it in pcap headers (12 or 14).
    public static let rawAlt12 = LinkType(rawValue: 12)
    public static let rawAlt14 = LinkType(rawValue: 14)

    public static func < (a: LinkType, b: LinkType) -> Bool { a.rawValue < b.rawValue }

    /// The name Wireshark and tcpdump use for it.
    public var name: String {
        switch self {
        case .null: "NULL"
        case .ethernet: "EN10MB"
        case .raw, .rawAlt12, .rawAlt14: "RAW"
        case .loop: "LOOP"
        case .linuxSLL: "LINUX_SLL"
        case .ipv4: "IPV4"
        case .ipv6: "IPV6"
        case .linuxSLL2: "LINUX_SLL2"
        default: "LINKTYPE_\(rawValue)"
        }
    }

    /// Whether the Wire stage can decode this link type.
    public var isSupported: Bool {
        switch self {
        case .null, .ethernet, .raw, .rawAlt12, .rawAlt14, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2:
            true
        default: false
        }
    }
}
