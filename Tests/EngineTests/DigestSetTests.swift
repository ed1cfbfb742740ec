@testable import Engine
import Testing

/// The shards' set of datagram digests (a UDP mapping repeats a login in two shards): every
/// digest inserted is found, none other is, through growth and the digest 0 kept apart.
struct DigestSetTests {
    @Test func findsWhatWasInsertedThroughGrowth() {
        var set = DigestSet()
        // Digests that share their low bits, as crafted datagrams could.
        let digests = (1...5_000).map { UInt64($0) << 32 }
        for digest in digests { set.insert(digest) }
        for digest in digests { set.insert(digest) }
        #expect(digests.allSatisfy { set.contains($0) })
        #expect(!set.contains(3 << 40 | 1))
        #expect(!set.contains(0))
        set.insert(0)
        #expect(set.contains(0))
    }

    @Test func disjointUnlessOneDigestIsInBoth() {
        var a = DigestSet(), b = DigestSet()
        for i in 1...300 as ClosedRange<UInt64> { a.insert(i &* 0x9E37_79B9_7F4A_7C15) }
        for i in 301...400 as ClosedRange<UInt64> { b.insert(i &* 0x9E37_79B9_7F4A_7C15) }
        #expect(a.isDisjoint(with: b))
        #expect(b.isDisjoint(with: a))
        b.insert(17 &* 0x9E37_79B9_7F4A_7C15)
        #expect(!a.isDisjoint(with: b))
        #expect(!b.isDisjoint(with: a))
        var zeroA = DigestSet(), zeroB = DigestSet()
        zeroA.insert(0)
        #expect(zeroA.isDisjoint(with: zeroB))
        zeroB.insert(0)
        #expect(!zeroA.isDisjoint(with: zeroB))
    }
}
