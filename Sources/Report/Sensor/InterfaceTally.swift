/// Packets and bytes per capture interface of the current source, counted in place: a bounds
/// check and two additions a packet, no copy-on-write check, nothing allocated once the
/// interfaces are known (a pcapng file that declares one more grows the storage, once).
public final class InterfaceTally {
    /// Interleaved: packets of interface i at 2i, its bytes at 2i + 1.
    private var counts: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    /// Interfaces counted so far (one past the highest index seen).
    public private(set) var count = 0

    public init(capacity: Int = 8) {
        self.capacity = max(capacity, 1)
        counts = .allocate(capacity: 2 * self.capacity)
        counts.initialize(repeating: 0, count: 2 * self.capacity)
    }

    deinit { counts.deallocate() }

    @inline(__always)
    public func count(interface index: Int, wireBytes: Int) {
        if index >= count { grow(to: index + 1) }
        counts[2 &* index] &+= 1
        counts[2 &* index &+ 1] &+= UInt64(truncatingIfNeeded: wireBytes)
    }

    @inline(never)
    private func grow(to needed: Int) {
        if needed > capacity {
            let larger = max(needed, 2 * capacity)
            let grown = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * larger)
            grown.initialize(repeating: 0, count: 2 * larger)
            grown.update(from: counts, count: 2 * capacity)
            counts.deallocate()
            counts = grown
            capacity = larger
        }
        count = needed
    }

    public func packets(_ index: Int) -> UInt64 { index < count ? counts[2 * index] : 0 }
    public func bytes(_ index: Int) -> UInt64 { index < count ? counts[2 * index + 1] : 0 }

    public func removeAll() {
        counts.update(repeating: 0, count: 2 * capacity)
        count = 0
    }
}
