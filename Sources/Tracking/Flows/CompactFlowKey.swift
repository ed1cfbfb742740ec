/// A flow key as a slot keeps it: each address in four bytes (an IPv4 address itself, or the
/// number of an IPv6 address in the table's `IPv6AddressPool`) beside `FlowKey`'s packed word of
/// ports, protocol, VLAN and address families. 16 bytes where the full key takes 40.
struct CompactFlowKey: Equatable {
    var low: UInt32
    var high: UInt32
    var packed: UInt64

    var lowIsIPv6: Bool { packed & 1 << 56 != 0 }
    var highIsIPv6: Bool { packed & 1 << 57 != 0 }
    var protocolNumber: UInt8 { UInt8(truncatingIfNeeded: packed >> 32) }
    var vlan: UInt16 { UInt16(truncatingIfNeeded: packed >> 40) }
    var lowPort: UInt16 { UInt16(truncatingIfNeeded: packed) }
    var highPort: UInt16 { UInt16(truncatingIfNeeded: packed >> 16) }

    static let empty = CompactFlowKey(low: 0, high: 0, packed: 0)
}
