/// The ids of a pool (slot indices) in the order they were last used, least recent first: an
/// intrusive doubly linked list kept in two arrays indexed by id, so marking an id used, removing
/// it and finding the least recently used one are O(1) and allocate nothing once the arrays have
/// grown to the pool's size.
///
/// Inlinable: it is on the per-packet path of several modules.
public struct RecencyList: Sendable {
    @usableFromInline
    struct Link: Sendable {
        @usableFromInline var previous: Int32
        @usableFromInline var next: Int32
        @usableFromInline var linked: Bool

        @inlinable
        init(previous: Int32, next: Int32, linked: Bool) {
            self.previous = previous
            self.next = next
            self.linked = linked
        }
    }

    @usableFromInline var links: [Link] = []
    @usableFromInline var first: Int32 = -1
    @usableFromInline var last: Int32 = -1
    @usableFromInline var linkedCount = 0

    public init() {}

    /// The least recently used id, or -1.
    @inlinable public var head: Int32 { first }
    /// The most recently used id, or -1.
    @inlinable public var tail: Int32 { last }
    @inlinable public var count: Int { linkedCount }

    @inlinable
    public func contains(_ id: Int32) -> Bool {
        Int(id) < links.count && links[Int(id)].linked
    }

    /// The id used after `id` (toward the most recent), or -1.
    @inlinable
    public func next(after id: Int32) -> Int32 { links[Int(id)].next }

    /// Adds `id` as the most recently used (it must not be in the list).
    @inlinable
    public mutating func append(_ id: Int32) {
        if Int(id) >= links.count { grow(to: Int(id)) }
        var last = self.last
        let first = links.withUnsafeMutableBufferPointer { links in
            precondition(!links[Int(id)].linked, "RecencyList: id already listed")
            links[Int(id)] = Link(previous: last, next: -1, linked: true)
            if last >= 0 { links[Int(last)].next = id }
            last = id
            return links[Int(id)].previous < 0 ? id : Int32(-2)
        }
        if first != -2 { self.first = first }
        self.last = last
        linkedCount += 1
    }

    @usableFromInline
    mutating func grow(to i: Int) {
        let grown = max(i + 1, links.count * 2, 16)
        links.append(contentsOf: repeatElement(Link(previous: -1, next: -1, linked: false), count: grown - links.count))
    }

    /// Takes `id` out of the list (nothing happens when it is not in it).
    @inlinable
    public mutating func remove(_ id: Int32) {
        guard contains(id) else { return }
        var first = self.first, last = self.last
        links.withUnsafeMutableBufferPointer { links in
            let link = links[Int(id)]
            if link.previous >= 0 { links[Int(link.previous)].next = link.next } else { first = link.next }
            if link.next >= 0 { links[Int(link.next)].previous = link.previous } else { last = link.previous }
            links[Int(id)] = Link(previous: -1, next: -1, linked: false)
        }
        self.first = first
        self.last = last
        linkedCount -= 1
    }

    /// Marks `id` used now: it becomes the most recent (it is added when not in the list).
    @inlinable
    public mutating func touch(_ id: Int32) {
        if last == id { return }
        guard contains(id) else { return append(id) }
        var first = self.first
        let last = self.last
        links.withUnsafeMutableBufferPointer { links in
            // Unlink (it is not the last, so it has a next)...
            let link = links[Int(id)]
            if link.previous >= 0 { links[Int(link.previous)].next = link.next } else { first = link.next }
            links[Int(link.next)].previous = link.previous
            // ...and link after the last.
            links[Int(id)] = Link(previous: last, next: -1, linked: true)
            links[Int(last)].next = id
        }
        self.first = first
        self.last = id
    }

    public mutating func removeAll() {
        var id = head
        while id >= 0 {
            let next = links[Int(id)].next
            links[Int(id)] = Link(previous: -1, next: -1, linked: false)
            id = next
        }
        first = -1
        last = -1
        linkedCount = 0
    }
}
