/// Short lists of 64-bit values for many owners (each ICQ session's round trips and keep-alives),
/// in 64-byte blocks of one pool. An owner keeps only its list's first block number and length,
/// and pays for the blocks its list has reached, seven values each, not for the longest list
/// allowed: most sessions keep a few values, a long one at most a few blocks. Lists are short
/// (the callers cap them), so finding the n-th value walks at most a few blocks.
///
/// The blocks sit in one address-space reservation (`ReservedSlots`) for the most the owners'
/// caps allow, backed as blocks are used: the pool never holds an old and a new copy of itself
/// at once, as an array that doubles does at its peak.
struct ValueBlockPool {
    struct Block {
        var values: InlineArray<7, UInt64> = .init(repeating: 0)
        var next: Int32 = -1
        var unused: Int32 = 0
    }

    static let valuesPerBlock = 7

    /// How many blocks the reservation made with the first block holds; set by the owner
    /// before then. Should more be needed after all, the pool moves to a reservation twice as
    /// large (once per doubling).
    var capacity = 1 << 16
    private var reservation: ReservedSlots<Block>? = nil
    private var blocks = UnsafeMutablePointer<Block>(bitPattern: MemoryLayout<Block>.alignment)!
    private var free: [Int32] = []

    /// Blocks in use, for tests that check an ended owner leaves nothing behind.
    var blocksInUse: Int { (reservation?.count ?? 0) - free.count }

    /// A new block holding `value` first.
    private mutating func newBlock(_ value: UInt64) -> Int32 {
        var fresh = Block()
        fresh.values[0] = value
        if let place = free.popLast() {
            blocks[Int(place)] = fresh
            return place
        }
        if reservation == nil || reservation!.count == reservation!.capacity {
            let larger = ReservedSlots<Block>(capacity: max(capacity, 2 * (reservation?.capacity ?? 0)))
            if let old = reservation {
                for b in 0..<old.count { _ = larger.append(old.base[b]) }
            }
            reservation = larger
            blocks = larger.base
        }
        return reservation!.append(fresh)!
    }

    /// Appends `value` to the list that starts at `head` and holds `count` values (an empty list
    /// has `head` -1; a first value gives it a block).
    mutating func append(_ value: UInt64, to head: inout Int32, count: Int) {
        let place = count % Self.valuesPerBlock
        if place == 0 {
            let new = newBlock(value)
            if head < 0 {
                head = new
            } else {
                blocks[Int(block(at: count - 1, from: head))].next = new
            }
            return
        }
        blocks[Int(block(at: count, from: head))].values[place] = value
    }

    /// The value at `index` (below the list's count).
    func value(at index: Int, from head: Int32) -> UInt64 {
        blocks[Int(block(at: index, from: head))].values[index % Self.valuesPerBlock]
    }

    mutating func set(_ value: UInt64, at index: Int, from head: Int32) {
        blocks[Int(block(at: index, from: head))].values[index % Self.valuesPerBlock] = value
    }

    /// Frees every block of the list and empties it.
    mutating func release(_ head: inout Int32) {
        var b = head
        while b >= 0 {
            let next = blocks[Int(b)].next
            blocks[Int(b)].next = -1
            free.append(b)
            b = next
        }
        head = -1
    }

    /// The `count` values of a list from its `start`-th, in order (an empty list allocates
    /// nothing).
    func values(from head: Int32, count: Int, start: Int = 0) -> [UInt64] {
        guard count > start else { return [] }
        var values: [UInt64] = []
        values.reserveCapacity(count - start)
        forEach(from: head, count: count, start: start) { values.append($0) }
        return values
    }

    /// Calls `body` with the `count` values of a list from its `start`-th, in order.
    func forEach(from head: Int32, count: Int, start: Int = 0, _ body: (UInt64) -> Void) {
        var b = head
        var i = 0
        while b >= 0 && i < count {
            for k in 0..<Self.valuesPerBlock where i < count {
                if i >= start { body(blocks[Int(b)].values[k]) }
                i += 1
            }
            b = blocks[Int(b)].next
        }
    }

    /// The block that holds the value at `index`.
    private func block(at index: Int, from head: Int32) -> Int32 {
        var b = head
        for _ in 0..<(index / Self.valuesPerBlock) { b = blocks[Int(b)].next }
        return b
    }
}
