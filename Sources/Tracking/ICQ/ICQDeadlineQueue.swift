/// A binary min-heap of deadlines over the slots of a pool, ordered by (deadline, order), with
/// each slot's position kept so that a deadline can be moved or removed in O(log n) without a
/// search. `order` breaks ties so that what expires at one instant comes out in a fixed order.
/// Concrete on purpose: it sits on the per-packet path. (The streams' `DeadlineHeap` does the
/// same job with the same calls; once both are in main, one of them can go.)
struct ICQDeadlineQueue {
    struct Entry {
        var deadline: Int64
        var order: UInt64
        var slot: Int32
    }

    private(set) var entries: [Entry] = []
    /// The heap position of each slot's entry, -1 when the slot has none.
    private var positions: [Int32] = []

    var count: Int { entries.count }

    /// The slot due first and its deadline.
    var first: (id: Int32, deadline: Int64)? {
        entries.first.map { ($0.slot, $0.deadline) }
    }

    func contains(_ slot: Int32) -> Bool {
        Int(slot) < positions.count && positions[Int(slot)] >= 0
    }

    /// The deadline the slot is queued with, nil when it is not queued.
    func deadline(of slot: Int32) -> Int64? {
        contains(slot) ? entries[Int(positions[Int(slot)])].deadline : nil
    }

    /// Queues `slot` at `deadline`, or moves it there when it is already queued.
    mutating func schedule(_ slot: Int32, at deadline: Int64, order: UInt64) {
        if contains(slot) {
            let i = Int(positions[Int(slot)])
            let earlier = Self.precedes(deadline, order, entries[i].deadline, entries[i].order)
            entries[i].deadline = deadline
            entries[i].order = order
            if earlier { siftUp(i) } else { siftDown(i) }
            return
        }
        if positions.count <= Int(slot) {
            positions.append(contentsOf: repeatElement(-1, count: max(Int(slot) + 1, 2 * positions.count, 16) - positions.count))
        }
        entries.append(Entry(deadline: deadline, order: order, slot: slot))
        positions[Int(slot)] = Int32(entries.count - 1)
        siftUp(entries.count - 1)
    }

    /// Removes the slot's entry if it has one.
    mutating func remove(_ slot: Int32) {
        guard contains(slot) else { return }
        let i = Int(positions[Int(slot)])
        positions[Int(slot)] = -1
        let last = entries.count - 1
        if i == last {
            entries.removeLast()
            return
        }
        entries[i] = entries[last]
        entries.removeLast()
        positions[Int(entries[i].slot)] = Int32(i)
        // The moved entry may belong above or below its new place.
        if i > 0 && Self.precedes(entries[i], entries[(i - 1) / 2]) { siftUp(i) } else { siftDown(i) }
    }

    /// Takes the slot due first out of the queue.
    mutating func removeFirst() {
        remove(entries[0].slot)
    }

    private static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        precedes(a.deadline, a.order, b.deadline, b.order)
    }

    private static func precedes(_ d1: Int64, _ o1: UInt64, _ d2: Int64, _ o2: UInt64) -> Bool {
        d1 != d2 ? d1 < d2 : o1 < o2
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        let moving = entries[i]
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.precedes(moving, entries[parent]) else { break }
            entries[i] = entries[parent]
            positions[Int(entries[i].slot)] = Int32(i)
            i = parent
        }
        entries[i] = moving
        positions[Int(moving.slot)] = Int32(i)
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        let moving = entries[i]
        let n = entries.count
        while true {
            let left = 2 * i + 1
            guard left < n else { break }
            let right = left + 1
            let child = right < n && Self.precedes(entries[right], entries[left]) ? right : left
            guard Self.precedes(entries[child], moving) else { break }
            entries[i] = entries[child]
            positions[Int(entries[i].slot)] = Int32(i)
            i = child
        }
        entries[i] = moving
        positions[Int(moving.slot)] = Int32(i)
    }
}
