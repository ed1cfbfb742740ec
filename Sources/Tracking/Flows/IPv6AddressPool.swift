import Bytes

/// The IPv6 addresses of the live flows, each kept once with a count of the flow keys naming it,
/// so that a flow slot names either address family in four bytes (`CompactFlowKey`): a busy
/// gateway's million slots do not each carry 32 bytes of addresses that are mostly IPv4.
struct IPv6AddressPool {
    struct Entry {
        var high: UInt64
        var low: UInt64
        var references: UInt32
    }

    private var entries: [Entry] = []
    private var free: [Int32] = []
    private var index = SlotIndex()
    private let hasher = SlotHasher()

    var count: Int { index.count }

    /// The address's number, if a live flow names it.
    func find(_ address: IPAddress) -> UInt32? {
        index.find(hasher.hash(address)) { entries[Int($0)].high == address.high && entries[Int($0)].low == address.low }
            .map { UInt32(bitPattern: $0) }
    }

    /// The address's number, counting one more flow key that names it.
    mutating func retain(_ address: IPAddress) -> UInt32 {
        if let id = find(address) {
            entries[Int(id)].references += 1
            return id
        }
        let id = entries.store(Entry(high: address.high, low: address.low, references: 1), reusing: &free)
        index.insert(id, hash: hasher.hash(address))
        return UInt32(bitPattern: id)
    }

    /// One flow key fewer names the address; the last one frees its number.
    mutating func release(_ id: UInt32) {
        entries[Int(id)].references -= 1
        guard entries[Int(id)].references == 0 else { return }
        index.remove(Int32(bitPattern: id), hash: hasher.hash(address(id)))
        free.append(Int32(bitPattern: id))
    }

    func address(_ id: UInt32) -> IPAddress {
        IPAddress(ipv6High: entries[Int(id)].high, low: entries[Int(id)].low)
    }
}

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
