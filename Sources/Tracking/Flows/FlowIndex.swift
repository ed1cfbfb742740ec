/// The flow table's hash index: open addressing with linear probing over 8-byte entries (a slot
/// number and 32 bits of its key's hash), at most half full. It holds no keys — the pool's slots
/// do — so a flow costs the index 8 to 16 bytes instead of a dictionary entry's key copy, and a
/// lookup compares a key only when the hash bits agree. Deletion shifts the following entries
/// back (no tombstones), so probe lengths stay short however many flows come and go.
struct FlowIndex {
    /// `hash32 << 32 | (slot + 1)`; 0 is an empty place.
    private var entries: [UInt64]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int) {
        let size = Self.size(for: capacity)
        entries = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// A power of two at least twice `capacity`.
    private static func size(for capacity: Int) -> Int {
        var size = 16
        while size < 2 * capacity { size <<= 1 }
        return size
    }

    /// Seeded per process: a capture crafted to collide would have to guess it. Output never
    /// depends on the index's order.
    private static let seed = UInt64.random(in: 1...UInt64.max)

    @inline(__always)
    static func hash(_ key: FlowKey) -> UInt32 {
        let packed = UInt64(key.lowPort) | UInt64(key.highPort) << 16 | UInt64(key.protocolNumber) << 32
            | UInt64(key.vlan) << 40 | (key.lowAddress.isIPv6 ? 1 << 56 : 0) | (key.highAddress.isIPv6 ? 1 << 57 : 0)
        var h = mix(seed, key.lowAddress.high)
        h = mix(h, key.lowAddress.low)
        h = mix(h, key.highAddress.high)
        h = mix(h, key.highAddress.low)
        h = mix(h, packed)
        return UInt32(truncatingIfNeeded: h >> 32)
    }

    @inline(__always)
    private static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
        let m = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
        return m ^ (m >> 29)
    }

    /// The slot whose key `matches` says is the one, among those with the key's hash.
    @inline(__always)
    func find(hash: UInt32, matches: (Int32) -> Bool) -> Int32? {
        var i = Int(hash) & mask
        while true {
            let entry = entries[i]
            if entry == 0 { return nil }
            if UInt32(truncatingIfNeeded: entry >> 32) == hash {
                let slot = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                if matches(slot) { return slot }
            }
            i = (i + 1) & mask
        }
    }

    /// Adds a slot that is not in the index. Grow first when more slots may be added.
    mutating func insert(_ slot: Int32, hash: UInt32) {
        precondition(2 * (count + 1) <= entries.count, "flow index over half full: grow it with the pool")
        var i = Int(hash) & mask
        while entries[i] != 0 { i = (i + 1) & mask }
        entries[i] = UInt64(hash) << 32 | UInt64(UInt32(slot + 1))
        count += 1
    }

    /// Removes a slot that is in the index under `hash`.
    mutating func remove(_ slot: Int32, hash: UInt32) {
        let wanted = UInt64(hash) << 32 | UInt64(UInt32(slot + 1))
        var i = Int(hash) & mask
        while entries[i] != wanted {
            precondition(entries[i] != 0, "flow index: removing a slot it does not hold")
            i = (i + 1) & mask
        }
        // Backward shift: move each following entry that may sit at `i` (its home is not in
        // (i, j]) into the hole, until an empty place ends the run.
        var j = i
        while true {
            j = (j + 1) & mask
            let entry = entries[j]
            if entry == 0 { break }
            let home = Int(UInt32(truncatingIfNeeded: entry >> 32)) & mask
            if (j &- home) & mask >= (j &- i) & mask {
                entries[i] = entry
                i = j
            }
        }
        entries[i] = 0
        count -= 1
    }

    /// Makes room for `capacity` slots, re-placing every entry (as rare as the pool's growth).
    mutating func reserve(_ capacity: Int) {
        let size = Self.size(for: capacity)
        guard size > entries.count else { return }
        let old = entries
        entries = Array(repeating: 0, count: size)
        mask = size - 1
        count = 0
        for entry in old where entry != 0 {
            var i = Int(UInt32(truncatingIfNeeded: entry >> 32)) & mask
            while entries[i] != 0 { i = (i + 1) & mask }
            entries[i] = entry
            count += 1
        }
    }

    /// Bytes per slot of capacity, for the memory budget.
    static let bytesPerSlot = 2 * MemoryLayout<UInt64>.stride
}
