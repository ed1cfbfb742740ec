/// The ids of a pool (small integers: slot indices) ordered by deadline, for expiry without
/// walking the pool: an indexed binary min-heap. Each id is in the heap at most once; scheduling
/// an id again moves its deadline, and removing it leaves nothing stale behind, so the heap never
/// holds more than the pool. Every operation is O(log n).
///
/// Ids with the same deadline come out in the order given with them (`order`: a creation sequence,
/// say), so what expires at one instant is handed out in a documented, deterministic order.
public struct DeadlineHeap: Sendable {
    @usableFromInline
    struct Key: Sendable {
        @usableFromInline var deadline: Int64
        @usableFromInline var order: UInt64

        @inline(__always)
        static func < (a: Key, b: Key) -> Bool {
            a.deadline != b.deadline ? a.deadline < b.deadline : a.order < b.order
        }
    }

    /// The ids, heap-ordered by key.
    @usableFromInline var heap: [Int32] = []
    /// By id: its index in `heap`, or -1 when it is not scheduled.
    var position: [Int32] = []
    /// By id: its key while scheduled.
    @usableFromInline var keys: [Key] = []

    public init() {}

    @inlinable public var count: Int { heap.count }
    @inlinable public var isEmpty: Bool { heap.isEmpty }

    public func contains(_ id: Int32) -> Bool {
        Int(id) < position.count && position[Int(id)] >= 0
    }

    /// The deadline an id is scheduled at, or nil.
    public func deadline(of id: Int32) -> Int64? {
        contains(id) ? keys[Int(id)].deadline : nil
    }

    /// The id due first and its deadline.
    @inlinable
    public var first: (id: Int32, deadline: Int64)? {
        guard let id = heap.first else { return nil }
        return (id, keys[Int(id)].deadline)
    }

    /// Schedules `id` at `deadline` (or moves it there when it is already scheduled).
    public mutating func schedule(_ id: Int32, at deadline: Int64, order: UInt64) {
        let i = Int(id)
        if i >= position.count {
            let grown = max(i + 1, position.count * 2, 16)
            position.append(contentsOf: repeatElement(-1, count: grown - position.count))
            keys.append(contentsOf: repeatElement(Key(deadline: 0, order: 0), count: grown - keys.count))
        }
        let key = Key(deadline: deadline, order: order)
        let at = position[i]
        if at < 0 {
            keys[i] = key
            heap.append(id)
            position[i] = Int32(heap.count - 1)
            siftUp(heap.count - 1)
        } else {
            let earlier = key < keys[i]
            keys[i] = key
            if earlier { siftUp(Int(at)) } else { siftDown(Int(at)) }
        }
    }

    /// Unschedules `id` (nothing happens when it is not scheduled).
    public mutating func remove(_ id: Int32) {
        guard contains(id) else { return }
        let at = Int(position[Int(id)])
        position[Int(id)] = -1
        let last = heap.removeLast()
        guard at < heap.count else { return }
        heap[at] = last
        position[Int(last)] = Int32(at)
        if at > 0 && keys[Int(last)] < keys[Int(heap[(at - 1) / 2])] { siftUp(at) } else { siftDown(at) }
    }

    /// Removes and returns the first id whose deadline is before `time`, or nil when none is.
    public mutating func popExpired(before time: Int64) -> Int32? {
        guard let id = heap.first, keys[Int(id)].deadline < time else { return nil }
        remove(id)
        return id
    }

    /// Removes and returns the id due first, whatever its deadline.
    public mutating func popFirst() -> Int32? {
        guard let id = heap.first else { return nil }
        remove(id)
        return id
    }

    public mutating func removeAll() {
        for id in heap { position[Int(id)] = -1 }
        heap.removeAll(keepingCapacity: true)
    }

    mutating func siftUp(_ start: Int) {
        var child = start
        let id = heap[child]
        let key = keys[Int(id)]
        while child > 0 {
            let parent = (child - 1) / 2
            let parentID = heap[parent]
            guard key < keys[Int(parentID)] else { break }
            heap[child] = parentID
            position[Int(parentID)] = Int32(child)
            child = parent
        }
        heap[child] = id
        position[Int(id)] = Int32(child)
    }

    mutating func siftDown(_ start: Int) {
        var parent = start
        let id = heap[parent]
        let key = keys[Int(id)]
        let count = heap.count
        while true {
            var child = 2 * parent + 1
            guard child < count else { break }
            if child + 1 < count && keys[Int(heap[child + 1])] < keys[Int(heap[child])] { child += 1 }
            let childID = heap[child]
            guard keys[Int(childID)] < key else { break }
            heap[parent] = childID
            position[Int(childID)] = Int32(parent)
            parent = child
        }
        heap[parent] = id
        position[Int(id)] = Int32(parent)
    }
}
