/// Where and why a decoder stopped: the layer, the byte offset in the frame, and a fixed reason.
/// Reasons are static strings so that reporting a malformed packet allocates nothing.
public struct Malformation: Sendable, Equatable {
    public enum Layer: String, Sendable {
        case link, vlan, ipv4, ipv6, udp, tcp, icmp, icmpv6
        case icq, oscar, socks, peer
    }

    public var layer: Layer
    public var offset: Int
    public var reason: StaticString

    public init(_ layer: Layer, at offset: Int, _ reason: StaticString) {
        self.layer = layer
        self.offset = offset
        self.reason = reason
    }

    public static func == (a: Malformation, b: Malformation) -> Bool {
        a.layer == b.layer && a.offset == b.offset && a.reason.description == b.reason.description
    }

    /// `layer.reason`, the key the summary counts malformed packets by.
    public var key: String { "\(layer.rawValue).\(reason)" }
}
