import Bytes

/// A hash index from keys to the slots of a pool that hold them, for the per-packet lookups:
/// open addressing with linear probing over (hash, slot) pairs, the keys themselves staying in
/// the caller's slots (the caller confirms a candidate with `matches`). Lookups cost a hash of a
/// few words and a probe or two; nothing is allocated once the table has grown to the pool.
/// Kept at most half full; removal shifts entries back, so no tombstones accumulate.
///
/// Hashes come from `SlotHasher`, seeded at random per process so that crafted traffic cannot
/// aim at one probe sequence; nothing is ever listed in hash order, so output does not depend
/// on the seed. Inlinable so that `matches` is inlined at each call site.
public struct SlotIndex {
    public struct Entry {
        @usableFromInline var hash: UInt64
        /// -1: empty.
        @usableFromInline var slot: Int32

        @inlinable init(hash: UInt64, slot: Int32) {
            self.hash = hash
            self.slot = slot
        }
    }

    @usableFromInline var entries: [Entry]
    @usableFromInline var mask: Int
    @usableFromInline var storedCount = 0

    public init(minimumCapacity: Int = 16) {
        var size = 16
        while size < 2 * minimumCapacity { size *= 2 }
        entries = Array(repeating: Entry(hash: 0, slot: -1), count: size)
        mask = size - 1
    }

    public var count: Int { storedCount }
    public var isEmpty: Bool { storedCount == 0 }

    /// The first slot with this hash that `matches` accepts.
    @inlinable
    public func find(_ hash: UInt64, where matches: (Int32) -> Bool) -> Int32? {
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = entries[i]
            if entry.slot < 0 { return nil }
            if entry.hash == hash && matches(entry.slot) { return entry.slot }
            i = (i + 1) & mask
        }
    }

    /// Adds `slot` under `hash` (the caller knows its key is not in the index yet).
    @inlinable
    public mutating func insert(_ slot: Int32, hash: UInt64) {
        if 2 * (storedCount + 1) > entries.count { grow() }
        var i = Int(truncatingIfNeeded: hash) & mask
        while entries[i].slot >= 0 { i = (i + 1) & mask }
        entries[i] = Entry(hash: hash, slot: slot)
        storedCount += 1
    }

    /// Removes `slot`, indexed under `hash` (nothing happens when it is not there).
    @inlinable
    public mutating func remove(_ slot: Int32, hash: UInt64) {
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = entries[i]
            if entry.slot < 0 { return }
            if entry.slot == slot && entry.hash == hash { break }
            i = (i + 1) & mask
        }
        storedCount -= 1
        // Backward shift: move each later entry of the run into the hole when its home allows.
        var hole = i
        var j = (i + 1) & mask
        while entries[j].slot >= 0 {
            let home = Int(truncatingIfNeeded: entries[j].hash) & mask
            if (j &- home) & mask >= (j &- hole) & mask {
                entries[hole] = entries[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        entries[hole] = Entry(hash: 0, slot: -1)
    }

    /// Replaces `old` by `new` under the same hash.
    @inlinable
    public mutating func replace(_ old: Int32, with new: Int32, hash: UInt64) {
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = entries[i]
            if entry.slot < 0 { return }
            if entry.slot == old && entry.hash == hash {
                entries[i].slot = new
                return
            }
            i = (i + 1) & mask
        }
    }

    public mutating func removeAll() {
        for i in entries.indices { entries[i] = Entry(hash: 0, slot: -1) }
        storedCount = 0
    }

    @usableFromInline
    mutating func grow() {
        let old = entries
        entries = Array(repeating: Entry(hash: 0, slot: -1), count: old.count * 2)
        mask = entries.count - 1
        for entry in old where entry.slot >= 0 {
            var i = Int(truncatingIfNeeded: entry.hash) & mask
            while entries[i].slot >= 0 { i = (i + 1) & mask }
            entries[i] = entry
        }
    }
}

/// The hash `SlotIndex` keys are filed under: the words of the key folded by 128-bit multiplies
/// (as wyhash does), from a seed drawn once per process.
public struct SlotHasher: Sendable {
    public static let processSeed = UInt64.random(in: .min ... .max)

    public let seed: UInt64

    public init(seed: UInt64 = SlotHasher.processSeed) {
        self.seed = seed
    }

    @inlinable @inline(__always)
    static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    @inlinable @inline(__always)
    public func hash(_ a: UInt64, _ b: UInt64) -> UInt64 {
        Self.fold(a ^ seed ^ 0xA076_1D64_78BD_642F, b ^ 0xE703_7ED1_A0B4_28DB)
    }

    @inlinable @inline(__always)
    public func hash(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        Self.fold(hash(a, b) ^ 0x8EBC_6AF0_9C88_C6E3, c ^ 0x5899_65CC_7537_4CC3)
    }

    @inlinable @inline(__always)
    public func hash(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64, _ e: UInt64) -> UInt64 {
        Self.fold(hash(a, b) ^ 0x8EBC_6AF0_9C88_C6E3 ^ c, hash(d, e) ^ 0x5899_65CC_7537_4CC3)
    }

    /// An address: both halves and the family.
    @inlinable @inline(__always)
    public func hash(_ address: IPAddress) -> UInt64 {
        hash(address.high, address.low ^ (address.isIPv6 ? 0x1_0000_0000 : 0))
    }

    /// An ordered pair of endpoints.
    @inlinable @inline(__always)
    public func hash(_ a: Endpoint, _ b: Endpoint) -> UInt64 {
        hash(a.address.high, a.address.low, b.address.high, b.address.low,
             UInt64(a.port) | UInt64(b.port) << 16 | (a.address.isIPv6 ? 1 << 32 : 0) | (b.address.isIPv6 ? 1 << 33 : 0))
    }
}
