import Bytes

/// A key a `SlotIndex` can file: it hashes itself with the index's hasher.
public protocol SlotKey: Equatable {
    func slotHash(_ hasher: SlotHasher) -> UInt64
}

extension IPAddress: SlotKey {
    @inlinable
    public func slotHash(_ hasher: SlotHasher) -> UInt64 { hasher.hash(self) }
}

/// A map with a fixed capacity that forgets its least recently set key to make room, counting
/// what it forgets: for facts kept per address on a gateway, where distinct addresses have no
/// bound. Setting a key marks it recent; reading does not. Storage grows to `capacity` entries
/// and is reused from then on (no allocation per operation in steady state).
///
/// Inlinable so that the modules that use it get it specialized for their keys and values.
public struct RecencyMap<Key: SlotKey, Value> {
    public let capacity: Int
    @usableFromInline var index = SlotIndex()
    @usableFromInline let hasher = SlotHasher()
    /// Each slot's key and value side by side (one cache line for a lookup that hits).
    @usableFromInline var slots: [(key: Key, value: Value)] = []
    @usableFromInline var order = RecencyList()
    @usableFromInline var forgottenCount: UInt64 = 0

    @inlinable
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Keys forgotten to make room.
    @inlinable
    public var forgotten: UInt64 { forgottenCount }

    @inlinable
    public var count: Int { index.count }

    @inlinable
    func slot(of key: Key, hash: UInt64) -> Int32? {
        index.find(hash) { slots[Int($0)].key == key }
    }

    /// The value set for `key`, without marking it recent.
    @inlinable
    public subscript(key: Key) -> Value? {
        guard !index.isEmpty, let slot = slot(of: key, hash: key.slotHash(hasher)) else { return nil }
        return slots[Int(slot)].value
    }

    /// Changes `key`'s value in place, without marking it recent (for facts updated on every
    /// packet, where the move would cost more than it saves); false when `key` is absent.
    @inlinable
    public mutating func update(_ key: Key, _ body: (inout Value) -> Void) -> Bool {
        guard !index.isEmpty, let slot = slot(of: key, hash: key.slotHash(hasher)) else { return false }
        body(&slots[Int(slot)].value)
        return true
    }

    /// Sets `key`'s value and marks it the most recent; forgets the least recent key when full.
    @inlinable
    public mutating func set(_ value: Value, for key: Key) {
        let hash = key.slotHash(hasher)
        if let slot = slot(of: key, hash: hash) {
            slots[Int(slot)].value = value
            order.touch(slot)
            return
        }
        let slot: Int32
        if slots.count < capacity {
            slot = Int32(slots.count)
            slots.append((key, value))
            order.append(slot)
        } else {
            slot = order.head
            index.remove(slot, hash: slots[Int(slot)].key.slotHash(hasher))
            forgottenCount += 1
            slots[Int(slot)] = (key, value)
            order.touch(slot)
        }
        index.insert(slot, hash: hash)
    }
}
