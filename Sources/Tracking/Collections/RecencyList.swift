/// The ids of a pool (slot indices) in the order they were last used, least recent first: an
/// intrusive doubly linked list kept in two arrays indexed by id, so marking an id used, removing
/// it and finding the least recently used one are O(1) and allocate nothing once the arrays have
/// grown to the pool's size.
public struct RecencyList: Sendable {
    struct Link: Sendable {
        var previous: Int32
        var next: Int32
        var linked: Bool
    }

    var links: [Link] = []
    /// The least recently used id, or -1.
    public private(set) var head: Int32 = -1
    /// The most recently used id, or -1.
    public private(set) var tail: Int32 = -1
    public private(set) var count = 0

    public init() {}

    public func contains(_ id: Int32) -> Bool {
        Int(id) < links.count && links[Int(id)].linked
    }

    /// The id used after `id` (toward the most recent), or -1.
    public func next(after id: Int32) -> Int32 { links[Int(id)].next }

    /// Adds `id` as the most recently used (it must not be in the list).
    public mutating func append(_ id: Int32) {
        let i = Int(id)
        if i >= links.count {
            let grown = max(i + 1, links.count * 2, 16)
            links.append(contentsOf: repeatElement(Link(previous: -1, next: -1, linked: false), count: grown - links.count))
        }
        precondition(!links[i].linked, "RecencyList: id already listed")
        links[i] = Link(previous: tail, next: -1, linked: true)
        if tail >= 0 { links[Int(tail)].next = id } else { head = id }
        tail = id
        count += 1
    }

    /// Takes `id` out of the list (nothing happens when it is not in it).
    public mutating func remove(_ id: Int32) {
        guard contains(id) else { return }
        let link = links[Int(id)]
        if link.previous >= 0 { links[Int(link.previous)].next = link.next } else { head = link.next }
        if link.next >= 0 { links[Int(link.next)].previous = link.previous } else { tail = link.previous }
        links[Int(id)] = Link(previous: -1, next: -1, linked: false)
        count -= 1
    }

    /// Marks `id` used now: it becomes the most recent (it is added when not in the list).
    public mutating func touch(_ id: Int32) {
        if tail == id { return }
        remove(id)
        append(id)
    }

    public mutating func removeAll() {
        var id = head
        while id >= 0 {
            let next = links[Int(id)].next
            links[Int(id)] = Link(previous: -1, next: -1, linked: false)
            id = next
        }
        head = -1
        tail = -1
        count = 0
    }
}
