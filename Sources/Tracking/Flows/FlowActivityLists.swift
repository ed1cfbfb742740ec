/// The least-recently-active lists of the flow pool, one per timeout class, linked through the
/// slots' `previous`/`next` indices (no allocation). Each list is ordered by `lastActivity`, which
/// only grows, so its head is the flow that expires first in its class.
extension FlowTable {
    mutating func linkAtTail(_ index: Int32, class timeoutClass: FlowTimeoutClass) {
        let c = timeoutClass.rawValue
        // The flow's deadline may come before every other: the bound comes down to it (with the
        // activity it has now; a later one only moves the deadline away).
        quietUntil = min(quietUntil, slots[Int(index)].lastActivity &+ timeoutByClass[c])
        slots[Int(index)].timeoutClass = timeoutClass
        slots[Int(index)].previous = tails[c]
        slots[Int(index)].next = -1
        if tails[c] >= 0 {
            slots[Int(tails[c])].next = index
        } else {
            heads[c] = index
        }
        tails[c] = index
    }

    mutating func unlink(_ index: Int32) {
        let c = slots[Int(index)].timeoutClass.rawValue
        let previous = slots[Int(index)].previous
        let next = slots[Int(index)].next
        if previous >= 0 { slots[Int(previous)].next = next } else { heads[c] = next }
        if next >= 0 { slots[Int(next)].previous = previous } else { tails[c] = previous }
        slots[Int(index)].previous = -1
        slots[Int(index)].next = -1
    }

    /// Marks the flow active now: it moves to the tail of the list of its (possibly new) class.
    mutating func touch(_ index: Int32) {
        let i = Int(index)
        let newClass = FlowSlot.timeoutClass(protocolNumber: slots[i].protocolNumber,
                                             originator: slots[i].tcp.originator.state,
                                             responder: slots[i].tcp.responder.state)
        if tails[newClass.rawValue] == index && slots[Int(index)].timeoutClass == newClass { return }
        unlink(index)
        linkAtTail(index, class: newClass)
    }

    /// The head whose idle deadline comes first, with that deadline; nil when no flow is live.
    func earliestDeadline() -> (index: Int32, deadline: Int64)? {
        var best: (index: Int32, deadline: Int64)? = nil
        for c in 0..<heads.count {
            let head = heads[c]
            guard head >= 0 else { continue }
            let deadline = slots[Int(head)].lastActivity &+ timeoutByClass[c]
            if best == nil || deadline < best!.deadline { best = (head, deadline) }
        }
        return best
    }

    /// The least recently active flow of all classes (the eviction victim).
    func leastRecentlyActive() -> Int32? {
        var best: Int32 = -1
        for c in 0..<heads.count {
            let head = heads[c]
            guard head >= 0 else { continue }
            if best < 0 || slots[Int(head)].lastActivity < slots[Int(best)].lastActivity { best = head }
        }
        return best >= 0 ? best : nil
    }
}
