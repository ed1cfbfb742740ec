import Bytes

/// A hash index from keys to the slots of a pool that hold them, for the per-packet lookups:
/// open addressing with linear probing over 8-byte entries (the slot and the upper half of its
/// key's hash), the keys themselves staying in the caller's slots (the caller confirms a
/// candidate with `matches`, which the stored half of the hash spares for almost every other
/// key). Lookups cost a hash of a few words and a probe or two; nothing is allocated once the
/// table has grown to the pool. Kept at most half full; removal shifts entries back, so no
/// tombstones accumulate.
///
/// Hashes come from `SlotHasher`, seeded at random per process so that crafted traffic cannot
/// aim at one probe sequence; nothing is ever listed in hash order, so output does not depend
/// on the seed. Inlinable so that `matches` is inlined at each call site.
public struct SlotIndex: Sendable {
    /// `(hash >> 32) << 32 | (slot + 1)`; 0 is an empty place. The stored half of the hash
    /// also gives the entry's home place, so entries can be moved back on removal.
    @usableFromInline var entries: [UInt64]
    @usableFromInline var mask: Int
    @usableFromInline var storedCount = 0

    public init(minimumCapacity: Int = 16) {
        var size = 16
        while size < 2 * minimumCapacity { size *= 2 }
        entries = Array(repeating: 0, count: size)
        mask = size - 1
    }

    public var count: Int { storedCount }
    public var isEmpty: Bool { storedCount == 0 }

    @inlinable @inline(__always)
    static func entry(_ slot: Int32, _ hash: UInt64) -> UInt64 {
        hash & 0xFFFF_FFFF_0000_0000 | UInt64(UInt32(bitPattern: slot &+ 1))
    }

    @inlinable @inline(__always)
    static func slot(of entry: UInt64) -> Int32 {
        Int32(bitPattern: UInt32(truncatingIfNeeded: entry)) &- 1
    }

    /// Where the probe for a hash (or an entry) starts.
    @inlinable @inline(__always)
    static func home(_ hashOrEntry: UInt64, _ mask: Int) -> Int { Int(truncatingIfNeeded: hashOrEntry >> 32) & mask }

    /// The first slot with this hash that `matches` accepts.
    @inlinable
    public func find(_ hash: UInt64, where matches: (Int32) -> Bool) -> Int32? {
        let tag = hash & 0xFFFF_FFFF_0000_0000
        let mask = self.mask
        return entries.withUnsafeBufferPointer { entries in
            var i = Self.home(hash, mask)
            while true {
                let entry = entries[i]
                if entry == 0 { return nil }
                if entry & 0xFFFF_FFFF_0000_0000 == tag && matches(Self.slot(of: entry)) { return Self.slot(of: entry) }
                i = (i + 1) & mask
            }
        }
    }

    /// Adds `slot` under `hash` (the caller knows its key is not in the index yet).
    @inlinable
    public mutating func insert(_ slot: Int32, hash: UInt64) {
        if 2 * (storedCount + 1) > entries.count { grow() }
        let mask = self.mask
        entries.withUnsafeMutableBufferPointer { entries in
            var i = Self.home(hash, mask)
            while entries[i] != 0 { i = (i + 1) & mask }
            entries[i] = Self.entry(slot, hash)
        }
        storedCount += 1
    }

    /// Removes `slot`, indexed under `hash` (nothing happens when it is not there).
    @inlinable
    public mutating func remove(_ slot: Int32, hash: UInt64) {
        let wanted = Self.entry(slot, hash)
        let mask = self.mask
        let removed: Bool = entries.withUnsafeMutableBufferPointer { entries in
            var i = Self.home(hash, mask)
            while entries[i] != wanted {
                if entries[i] == 0 { return false }
                i = (i + 1) & mask
            }
            // Backward shift: move each later entry of the run into the hole when its home
            // allows (its home is not in (hole, j]), until an empty place ends the run.
            var hole = i
            var j = i
            while true {
                j = (j + 1) & mask
                let entry = entries[j]
                if entry == 0 { break }
                let home = Self.home(entry, mask)
                if (j &- home) & mask >= (j &- hole) & mask {
                    entries[hole] = entry
                    hole = j
                }
            }
            entries[hole] = 0
            return true
        }
        if removed { storedCount -= 1 }
    }

    /// Replaces `old` by `new` under the same hash.
    @inlinable
    public mutating func replace(_ old: Int32, with new: Int32, hash: UInt64) {
        let wanted = Self.entry(old, hash)
        let mask = self.mask
        entries.withUnsafeMutableBufferPointer { entries in
            var i = Self.home(hash, mask)
            while entries[i] != wanted {
                if entries[i] == 0 { return }
                i = (i + 1) & mask
            }
            entries[i] = Self.entry(new, hash)
        }
    }

    public mutating func removeAll() {
        for i in entries.indices { entries[i] = 0 }
        storedCount = 0
    }

    @usableFromInline
    mutating func grow() {
        let old = entries
        entries = Array(repeating: 0, count: old.count * 2)
        mask = entries.count - 1
        let mask = self.mask
        entries.withUnsafeMutableBufferPointer { entries in
            for entry in old where entry != 0 {
                var i = Self.home(entry, mask)
                while entries[i] != 0 { i = (i + 1) & mask }
                entries[i] = entry
            }
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

    /// An endpoint: its address, its port and the family.
    @inlinable @inline(__always)
    public func hash(_ endpoint: Endpoint) -> UInt64 {
        hash(endpoint.address.high, endpoint.address.low, UInt64(endpoint.port) | (endpoint.address.isIPv6 ? 1 << 16 : 0))
    }

    /// An ordered pair of endpoints.
    @inlinable @inline(__always)
    public func hash(_ a: Endpoint, _ b: Endpoint) -> UInt64 {
        hash(a.address.high, a.address.low, b.address.high, b.address.low,
             UInt64(a.port) | UInt64(b.port) << 16 | (a.address.isIPv6 ? 1 << 32 : 0) | (b.address.isIPv6 ? 1 << 33 : 0))
    }
}
