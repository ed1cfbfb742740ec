import Tracking

/// The digests of the classic ICQ logins and keep-alives a shard saw (`ShardContext`), which
/// another shard must not have seen too. Open addressing over the digests themselves, placed by
/// the process's seeded `SlotHasher` (a datagram's bytes, and so its digest, are the sender's to
/// choose): a `Set<UInt64>` hashed every insert with SipHash, a quarter of a million times on
/// the million-packet gateway mix.
struct DigestSet {
    /// 0 is an empty place; the digest 0 is kept apart.
    private var places = [UInt64](repeating: 0, count: 1 << 10)
    private var count = 0
    private var hasZero = false
    private static let hasher = SlotHasher()

    mutating func insert(_ digest: UInt64) {
        guard digest != 0 else {
            hasZero = true
            return
        }
        let mask = places.count - 1
        var i = Self.home(digest, mask)
        while places[i] != 0 {
            if places[i] == digest { return }
            i = (i + 1) & mask
        }
        places[i] = digest
        count += 1
        if 2 * count > places.count { grow() }
    }

    func contains(_ digest: UInt64) -> Bool {
        guard digest != 0 else { return hasZero }
        let mask = places.count - 1
        var i = Self.home(digest, mask)
        while places[i] != 0 {
            if places[i] == digest { return true }
            i = (i + 1) & mask
        }
        return false
    }

    func isDisjoint(with other: DigestSet) -> Bool {
        if hasZero && other.hasZero { return false }
        let (small, large) = count <= other.count ? (self, other) : (other, self)
        return !small.places.contains { $0 != 0 && large.contains($0) }
    }

    private static func home(_ digest: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: hasher.hash(digest, 0)) & mask
    }

    private mutating func grow() {
        let old = places
        places = [UInt64](repeating: 0, count: old.count * 2)
        let mask = places.count - 1
        for digest in old where digest != 0 {
            var i = Self.home(digest, mask)
            while places[i] != 0 { i = (i + 1) & mask }
            places[i] = digest
        }
    }
}
