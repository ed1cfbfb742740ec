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

/// The IPv4 hosts whose notes the merge follows, by shared number.
struct IPv4NumbersTests {
    @Test func findsEachAddressItsNumberWhateverTheOrder() {
        var numbers = IPv4Numbers()
        #expect(numbers.isEmpty)
        for (address, number) in [(0xC633_6414, 3), (0x0A00_0001, 0), (0xFFFF_FFFF, 7), (0, 1)] as [(UInt32, Int32)] {
            numbers.insert(address, number: number)
        }
        numbers.insert(0x0A00_0001, number: 9)
        #expect(numbers.number(0xC633_6414) == 3)
        #expect(numbers.number(0x0A00_0001) == 0, "the first number stays")
        #expect(numbers.number(0xFFFF_FFFF) == 7)
        #expect(numbers.number(0) == 1)
        #expect(numbers.number(0xC633_6415) == -1)
        #expect(!numbers.isEmpty)
    }
}

/// Why a sharded run went to one thread: the shard that stopped first says it, not the shards
/// that stopped because it did (they come first when the reader is one of them).
struct ShardConflictTests {
    @Test func theFirstCauseIsGivenNotAnotherShardStopped() {
        let plan = ShardPlan(hashingInsideHostsInto: 3, inside: [])
        let abort = ShardAbort()
        let contexts = (0..<3).map { ShardContext(index: $0, plan: plan, inside: [], abort: abort, resultBudget: 1 << 20) }
        #expect(ShardConflicts.check(contexts, hosts: SharedHosts(contexts.map(\.hosts), judged: [])) == nil)
        contexts[0].noteConflict(ShardContext.anotherStopped)
        contexts[2].noteConflict(ShardContext.anotherStopped)
        #expect(ShardConflicts.check(contexts, hosts: SharedHosts(contexts.map(\.hosts), judged: [])) == ShardContext.anotherStopped)
        contexts[1].noteConflict("a table of its share of the memory budget was full")
        #expect(ShardConflicts.check(contexts, hosts: SharedHosts(contexts.map(\.hosts), judged: []))
                == "a table of its share of the memory budget was full")
    }
}
