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

    /// Whether the source is the key's low endpoint: the lower (address, port) comes first.
    @inlinable
    public var sourceIsLow: Bool {
        source < destination || (source == destination && sourcePort <= destinationPort)
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
///
/// Stored as five words (the four address halves; ports, protocol, VLAN and the address families
/// packed into the fifth): 40 bytes where the fields as declared would take 56, in each of a
/// busy gateway's million flow slots, and compared and hashed a word at a time.
public struct FlowKey: Hashable, Sendable {
    @usableFromInline let lowHigh: UInt64
    @usableFromInline let lowLow: UInt64
    @usableFromInline let highHigh: UInt64
    @usableFromInline let highLow: UInt64
    /// Bits 0–15 low port, 16–31 high port, 32–39 protocol, 40–55 VLAN, 56 and 57 whether the
    /// low and the high address are IPv6.
    @usableFromInline let packed: UInt64

    @inlinable
    public init(_ tuple: FlowTuple) {
        let sourceIsLow = tuple.sourceIsLow
        let low = sourceIsLow ? tuple.source : tuple.destination
        let high = sourceIsLow ? tuple.destination : tuple.source
        let lowPort = sourceIsLow ? tuple.sourcePort : tuple.destinationPort
        let highPort = sourceIsLow ? tuple.destinationPort : tuple.sourcePort
        lowHigh = low.high
        lowLow = low.low
        highHigh = high.high
        highLow = high.low
        packed = UInt64(lowPort) | UInt64(highPort) << 16 | UInt64(tuple.protocolNumber) << 32
            | UInt64(tuple.vlan) << 40 | (low.isIPv6 ? 1 << 56 : 0) | (high.isIPv6 ? 1 << 57 : 0)
    }

    /// A key from its five words (a slot's compact key made whole again).
    init(lowHigh: UInt64, lowLow: UInt64, highHigh: UInt64, highLow: UInt64, packed: UInt64) {
        self.lowHigh = lowHigh
        self.lowLow = lowLow
        self.highHigh = highHigh
        self.highLow = highLow
        self.packed = packed
    }

    public var lowAddress: IPAddress { Self.address(lowHigh, lowLow, isIPv6: packed & 1 << 56 != 0) }
    public var highAddress: IPAddress { Self.address(highHigh, highLow, isIPv6: packed & 1 << 57 != 0) }
    public var lowPort: UInt16 { UInt16(truncatingIfNeeded: packed) }
    public var highPort: UInt16 { UInt16(truncatingIfNeeded: packed >> 16) }
    public var protocolNumber: UInt8 { UInt8(truncatingIfNeeded: packed >> 32) }
    public var vlan: UInt16 { UInt16(truncatingIfNeeded: packed >> 40) }

    @inline(__always)
    static func address(_ high: UInt64, _ low: UInt64, isIPv6: Bool) -> IPAddress {
        isIPv6 ? IPAddress(ipv6High: high, low: low) : IPAddress(ipv4: UInt32(truncatingIfNeeded: low))
    }

    /// The endpoints in key order.
    var low: Endpoint { Endpoint(address: lowAddress, port: lowPort) }
    var high: Endpoint { Endpoint(address: highAddress, port: highPort) }

    /// Hashed as its five words (it is hashed once per packet).
    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(lowHigh)
        hasher.combine(lowLow)
        hasher.combine(highHigh)
        hasher.combine(highLow)
        hasher.combine(packed)
    }
}
