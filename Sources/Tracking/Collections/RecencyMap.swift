/// A map with a fixed capacity that forgets its least recently set key to make room, counting
/// what it forgets: for facts kept per address on a gateway, where distinct addresses have no
/// bound. Setting a key marks it recent; reading does not. Storage grows to `capacity` entries
/// and is reused from then on (no allocation per operation in steady state).
///
/// Inlinable so that the modules that use it get it specialized for their keys and values.
public struct RecencyMap<Key: Hashable, Value> {
    public let capacity: Int
    @usableFromInline var index: [Key: Int32] = [:]
    @usableFromInline var keys: [Key] = []
    @usableFromInline var values: [Value] = []
    @usableFromInline var order = RecencyList()
    @usableFromInline var forgottenCount: UInt64 = 0

    /// Keys forgotten to make room.
    @inlinable
    public var forgotten: UInt64 { forgottenCount }

    @inlinable
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    @inlinable
    public var count: Int { index.count }

    /// The value set for `key`, without marking it recent.
    @inlinable
    public subscript(key: Key) -> Value? {
        guard let slot = index[key] else { return nil }
        return values[Int(slot)]
    }

    /// Sets `key`'s value and marks it the most recent; forgets the least recent key when full.
    @inlinable
    public mutating func set(_ value: Value, for key: Key) {
        if let slot = index[key] {
            values[Int(slot)] = value
            order.touch(slot)
            return
        }
        let slot: Int32
        if keys.count < capacity {
            slot = Int32(keys.count)
            keys.append(key)
            values.append(value)
            order.append(slot)
        } else {
            slot = order.head
            index.removeValue(forKey: keys[Int(slot)])
            forgottenCount += 1
            keys[Int(slot)] = key
            values[Int(slot)] = value
            order.touch(slot)
        }
        index[key] = slot
    }
}
