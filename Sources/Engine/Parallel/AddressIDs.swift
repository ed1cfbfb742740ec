import Bytes

/// The addresses of a capture numbered 0, 1, ... as first seen. IPv4 addresses are in an
/// open-addressing table (`read --threads` looks up a million a second, which wants no SipHash),
/// IPv6 in a dictionary.
struct AddressIDs {
    private(set) var addresses: [IPAddress] = []
    private var ipv4Keys = [UInt32](repeating: 0, count: 1 << 12)
    private var ipv4IDs = [Int32](repeating: -1, count: 1 << 12)
    private var ipv6IDs: [IPAddress: Int32] = [:]
    /// The last address looked up, and its id: a conversation's packets come in runs.
    private var last: (address: IPAddress, id: Int32)? = nil

    /// The address's id, numbering it if it is new.
    mutating func id(of address: IPAddress) -> Int32 {
        if let last, last.address == address { return last.id }
        let id: Int32
        if address.isIPv6 {
            if let known = ipv6IDs[address] {
                id = known
            } else {
                id = add(address)
                ipv6IDs[address] = id
            }
        } else {
            id = ipv4ID(address)
        }
        last = (address, id)
        return id
    }

    /// The id of an address already seen, without changing anything (`id(of:)` notes the last).
    func existingID(of address: IPAddress) -> Int32? {
        address.isIPv6 ? ipv6IDs[address] : probe(address.ipv4Value).id
    }

    /// Where an IPv4 address is in the table (its id), or the free slot it would take. Inlined:
    /// it runs at every frame.
    @inline(__always)
    private func probe(_ key: UInt32) -> (slot: Int, id: Int32?) {
        let mask = ipv4Keys.count - 1
        var i = Self.slot(key, mask)
        while ipv4IDs[i] >= 0 {
            if ipv4Keys[i] == key { return (i, ipv4IDs[i]) }
            i = (i + 1) & mask
        }
        return (i, nil)
    }

    private static func slot(_ key: UInt32, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(key) &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
    }

    private mutating func add(_ address: IPAddress) -> Int32 {
        addresses.append(address)
        return Int32(addresses.count - 1)
    }

    private mutating func ipv4ID(_ address: IPAddress) -> Int32 {
        let key = address.ipv4Value
        let (i, known) = probe(key)
        if let known { return known }
        let id = add(address)
        ipv4Keys[i] = key
        ipv4IDs[i] = id
        if addresses.count * 2 > ipv4Keys.count {
            // Half full: twice the size, every IPv4 address placed again.
            let keys = ipv4Keys, ids = ipv4IDs
            ipv4Keys = [UInt32](repeating: 0, count: keys.count * 2)
            ipv4IDs = [Int32](repeating: -1, count: keys.count * 2)
            let mask = ipv4Keys.count - 1
            for j in keys.indices where ids[j] >= 0 {
                var k = Self.slot(keys[j], mask)
                while ipv4IDs[k] >= 0 { k = (k + 1) & mask }
                ipv4Keys[k] = keys[j]
                ipv4IDs[k] = ids[j]
            }
        }
        return id
    }
}
