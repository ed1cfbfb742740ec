import Bytes

/// An endpoint as a slot keeps it: an IPv4 address itself, or the number of an IPv6 address in
/// the table's `IPv6AddressPool`, with the port. 8 bytes where `Endpoint` takes 24, so a session
/// slot can hold its client, server and the client's address on each capture side.
struct CompactEndpoint: Hashable {
    var address: UInt32
    var port: UInt16
    var isIPv6: Bool

    static let none = CompactEndpoint(address: 0, port: 0, isIPv6: false)
}

extension IPv6AddressPool {
    /// The endpoint as a slot keeps it, counting one more slot that names an IPv6 address (each
    /// stored `CompactEndpoint` is given back with `release` when its slot lets it go).
    mutating func retain(_ endpoint: Endpoint) -> CompactEndpoint {
        guard endpoint.address.isIPv6 else {
            return CompactEndpoint(address: UInt32(truncatingIfNeeded: endpoint.address.low), port: endpoint.port,
                                   isIPv6: false)
        }
        return CompactEndpoint(address: retain(endpoint.address), port: endpoint.port, isIPv6: true)
    }

    mutating func release(_ endpoint: CompactEndpoint) {
        if endpoint.isIPv6 { release(endpoint.address) }
    }

    /// The endpoint as a slot would keep it, if a slot can name it (for lookups: nothing counted).
    func find(_ endpoint: Endpoint) -> CompactEndpoint? {
        guard endpoint.address.isIPv6 else {
            return CompactEndpoint(address: UInt32(truncatingIfNeeded: endpoint.address.low), port: endpoint.port,
                                   isIPv6: false)
        }
        return find(endpoint.address).map { CompactEndpoint(address: $0, port: endpoint.port, isIPv6: true) }
    }

    func endpoint(_ compact: CompactEndpoint) -> Endpoint {
        Endpoint(address: compact.isIPv6 ? address(compact.address) : IPAddress(ipv4: compact.address), port: compact.port)
    }
}
