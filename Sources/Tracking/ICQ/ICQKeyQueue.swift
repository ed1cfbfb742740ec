/// Session keys in arrival order, oldest first: a ring that doubles when full and otherwise
/// reuses its storage, so keeping a bounded memory of keys costs nothing per key once grown.
public struct ICQKeyQueue: Sendable {
    private var ring: [ICQSession.Key] = []
    private var head = 0
    public private(set) var count = 0

    public init() {}

    public mutating func append(_ key: ICQSession.Key) {
        if count == ring.count {
            var grown: [ICQSession.Key] = []
            grown.reserveCapacity(max(16, 2 * count))
            for i in 0..<count { grown.append(ring[(head + i) % ring.count]) }
            grown.append(contentsOf: repeatElement(key, count: grown.capacity - count))
            ring = grown
            head = 0
        }
        ring[(head + count) % ring.count] = key
        count += 1
    }

    public mutating func removeFirst() -> ICQSession.Key? {
        guard count > 0 else { return nil }
        let key = ring[head]
        head = (head + 1) % ring.count
        count -= 1
        return key
    }
}
