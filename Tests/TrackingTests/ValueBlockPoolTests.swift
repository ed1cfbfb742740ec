import Testing
@testable import Tracking

/// The block lists that hold what grows with an ICQ session: values come back in order from any
/// number of interleaved lists, a freed list's blocks are reused, and a pool that outgrows its
/// reservation keeps every value.
struct ValueBlockPoolTests {
    @Test func interleavedListsKeepTheirValues() {
        var pool = ValueBlockPool()
        pool.capacity = 2  // forces the reservation to move twice
        var heads: [Int32] = [-1, -1, -1]
        var counts = [0, 0, 0]
        for v in 0..<30 {
            for l in 0..<3 where v < 10 * (l + 1) {
                pool.append(UInt64(1_000 * l + v), to: &heads[l], count: counts[l])
                counts[l] += 1
            }
        }
        for l in 0..<3 {
            #expect(pool.values(from: heads[l], count: counts[l]) == (0..<counts[l]).map { UInt64(1_000 * l + $0) })
        }
        #expect(pool.blocksInUse == 2 + 3 + 5)  // ⌈10/7⌉ + ⌈20/7⌉ + ⌈30/7⌉
        pool.set(42, at: 15, from: heads[2])
        #expect(pool.value(at: 15, from: heads[2]) == 42)
        #expect(pool.values(from: heads[2], count: 30, start: 14).prefix(2) == [2_014, 42])

        pool.release(&heads[1])
        #expect(heads[1] == -1)
        #expect(pool.blocksInUse == 7)
        // The freed blocks are reused before the pool grows.
        for v in 0..<21 { pool.append(UInt64(v), to: &heads[1], count: v) }
        #expect(pool.blocksInUse == 10)
        #expect(pool.values(from: heads[1], count: 21) == (0..<21).map { UInt64($0) })
        #expect(pool.values(from: heads[0], count: 10) == (0..<10).map { UInt64($0) })
    }

    @Test func blocksAreSixtyFourBytes() {
        #expect(MemoryLayout<ValueBlockPool.Block>.stride == 64)
    }
}
