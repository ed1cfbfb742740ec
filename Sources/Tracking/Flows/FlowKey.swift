import Bytes

/// One packet's flow identity as sent: source and destination, with the "ports" that identify the
/// flow (TCP/UDP/SCTP ports; for ICMP the type and its counterpart or code, see `ICMPFlowPorts`).
public struct FlowTuple: Hashable, Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var protocolNumber: UInt8
    /// Innermost 802.1Q VLAN ID, 0 when untagged: the same addresses on two VLANs are two flows.
    public var vlan: UInt16

    public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16,
                protocolNumber: UInt8, vlan: UInt16 = 0) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.protocolNumber = protocolNumber
        self.vlan = vlan
    }

    /// The direction-free key: both directions of a conversation give the same key.
    @inlinable
    public var key: FlowKey { FlowKey(self) }

    public var reversed: FlowTuple {
        FlowTuple(source: destination, destination: source, sourcePort: destinationPort,
                  destinationPort: sourcePort, protocolNumber: protocolNumber, vlan: vlan)
    }
}

/// The symmetric flow key: the lower (address, port) endpoint first, so that A→B and B→A hash and
/// compare equal. The VLAN and the IP protocol are part of it.
public struct FlowKey: Hashable, Sendable {
    public let lowAddress: IPAddress
    public let highAddress: IPAddress
    public let lowPort: UInt16
    public let highPort: UInt16
    public let protocolNumber: UInt8
    public let vlan: UInt16

    @inlinable
    public init(_ tuple: FlowTuple) {
        let sourceIsLow = tuple.source < tuple.destination
            || (tuple.source == tuple.destination && tuple.sourcePort <= tuple.destinationPort)
        if sourceIsLow {
            lowAddress = tuple.source; lowPort = tuple.sourcePort
            highAddress = tuple.destination; highPort = tuple.destinationPort
        } else {
            lowAddress = tuple.destination; lowPort = tuple.destinationPort
            highAddress = tuple.source; highPort = tuple.sourcePort
        }
        protocolNumber = tuple.protocolNumber
        vlan = tuple.vlan
    }

    /// The endpoints in key order.
    var low: Endpoint { Endpoint(address: lowAddress, port: lowPort) }
    var high: Endpoint { Endpoint(address: highAddress, port: highPort) }

    /// Hashed as five words (it is hashed once per packet): the four address halves, and ports,
    /// protocol, VLAN and address family packed into one.
    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(lowAddress.high)
        hasher.combine(lowAddress.low)
        hasher.combine(highAddress.high)
        hasher.combine(highAddress.low)
        let packed = UInt64(lowPort) | UInt64(highPort) << 16 | UInt64(protocolNumber) << 32
            | UInt64(vlan) << 40 | (lowAddress.isIPv6 ? 1 << 56 : 0) | (highAddress.isIPv6 ? 1 << 57 : 0)
        hasher.combine(packed)
    }
}
