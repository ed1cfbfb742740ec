import Tracking

/// The digests of the classic ICQ logins and keep-alives a shard saw (`ShardContext`), which
/// another shard must not have seen too. A `SlotIndex` over the digests, placed by the
/// process's seeded `SlotHasher` (a datagram's bytes, and so its digest, are the sender's to
/// choose): a `Set<UInt64>` hashed every insert with SipHash, a quarter of a million times on
/// the million-packet gateway mix.
struct DigestSet {
    private var digests: [UInt64] = []
    private var index = SlotIndex(minimumCapacity: 512)
    private static let hasher = SlotHasher()

    mutating func insert(_ digest: UInt64) {
        let hash = Self.hasher.hash(digest, 0)
        guard index.find(hash, where: { digests[Int($0)] == digest }) == nil else { return }
        index.insert(Int32(digests.count), hash: hash)
        digests.append(digest)
    }

    func contains(_ digest: UInt64) -> Bool {
        index.find(Self.hasher.hash(digest, 0), where: { digests[Int($0)] == digest }) != nil
    }

    func isDisjoint(with other: DigestSet) -> Bool {
        let (small, large) = digests.count <= other.digests.count ? (self, other) : (other, self)
        return !small.digests.contains { large.contains($0) }
    }
}
