@testable import Tracking
import Bytes
import SampleKit
import Testing

/// The flow index against a dictionary, through many insertions and removals in a deterministic
/// random order, with hashes forced to collide so that probing and backward-shift deletion run.
struct FlowIndexTests {
    @Test func agreesWithADictionaryThroughChurn() {
        var random = SeededRandom(seed: 42)
        var index = FlowIndex(capacity: 0)
        var reference: [Int32: UInt32] = [:]
        var capacity = 0
        for step in 0..<200_000 {
            let slot = Int32(random.next() % 5_000)
            // Few distinct hashes: long runs of equal home places.
            let hash = UInt32(truncatingIfNeeded: random.next() % 64) &* 0x0101_0101
            if let existing = reference[slot] {
                index.remove(slot, hash: existing)
                reference[slot] = nil
            } else {
                if reference.count + 1 > capacity {
                    capacity = max(16, capacity * 2)
                    index.reserve(capacity)
                }
                index.insert(slot, hash: hash)
                reference[slot] = hash
            }
            if step % 997 == 0 {
                for (s, h) in reference {
                    #expect(index.find(hash: h) { $0 == s } == s, "step \(step): slot \(s) lost")
                }
                #expect(index.find(hash: 12345) { _ in true } == nil || reference.values.contains(12345))
            }
        }
        #expect(index.count == reference.count)
        for (s, h) in reference { #expect(index.find(hash: h) { $0 == s } == s) }
    }

    @Test func keysOfBothDirectionsHashAlike() {
        let a = IPAddress(ipv4: 0x0A00_0001), b = IPAddress(ipv4: 0xC633_6404)
        let forward = FlowTuple(source: a, destination: b, sourcePort: 40000, destinationPort: 4000, protocolNumber: 17)
        #expect(FlowIndex.hash(forward.key) == FlowIndex.hash(forward.reversed.key))
        let other = FlowTuple(source: a, destination: b, sourcePort: 40001, destinationPort: 4000, protocolNumber: 17)
        #expect(FlowIndex.hash(forward.key) != FlowIndex.hash(other.key))
    }
}
