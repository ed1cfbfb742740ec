import Bytes

/// The IPv6 addresses a table's slots name, each kept once with a count of the slots naming it,
/// so that a slot names either address family in four bytes (`CompactFlowKey`,
/// `CompactEndpoint`): a busy gateway's million flows and sessions do not each carry 32 bytes of
/// addresses that are mostly IPv4.
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

    /// The address's number, if a live slot names it.
    func find(_ address: IPAddress) -> UInt32? {
        index.find(hasher.hash(address)) { entries[Int($0)].high == address.high && entries[Int($0)].low == address.low }
            .map { UInt32(bitPattern: $0) }
    }

    /// The address's number, counting one more slot that names it.
    mutating func retain(_ address: IPAddress) -> UInt32 {
        if let id = find(address) {
            entries[Int(id)].references += 1
            return id
        }
        let id = entries.store(Entry(high: address.high, low: address.low, references: 1), reusing: &free)
        index.insert(id, hash: hasher.hash(address))
        return UInt32(bitPattern: id)
    }

    /// One slot fewer names the address; the last one frees its number.
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
