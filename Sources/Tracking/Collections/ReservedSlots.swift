#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pool of slots in one reservation of address space sized for the most a table may ever hold.
/// The operating system backs a page only when a slot on it is first written, so the pool costs
/// memory for the slots used, not for its capacity; and it never grows by copying (an array that
/// doubles holds the old and the new copy at once, half as much again at the peak) nor moves a
/// slot. For plain values only: nothing is released when a slot or the pool goes.
///
/// The pool is shared by whoever holds it, like the table state that owns it.
final class ReservedSlots<Element> {
    let base: UnsafeMutablePointer<Element>
    let capacity: Int
    /// Slots handed out so far (`0..<count` are initialised).
    private(set) var count = 0
    private let mappedBytes: Int

    init(capacity: Int) {
        precondition(_isPOD(Element.self), "slots are never deinitialised")
        self.capacity = max(1, capacity)
        let bytes = self.capacity * MemoryLayout<Element>.stride
        #if canImport(Glibc)
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE
        #else
        let flags = MAP_PRIVATE | MAP_ANON
        #endif
        let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, flags, -1, 0)
        if let mapped, mapped != MAP_FAILED {
            base = mapped.bindMemory(to: Element.self, capacity: self.capacity)
            mappedBytes = bytes
        } else {
            // No address space to reserve: the allocator still leaves untouched pages unbacked.
            base = .allocate(capacity: self.capacity)
            mappedBytes = 0
        }
    }

    deinit {
        if mappedBytes > 0 {
            munmap(UnsafeMutableRawPointer(base), mappedBytes)
        } else {
            base.deallocate()
        }
    }

    /// Initialises the next unused slot with `value` and returns its index; nil when all are used.
    func append(_ value: Element) -> Int32? {
        guard count < capacity else { return nil }
        (base + count).initialize(to: value)
        count += 1
        return Int32(count - 1)
    }
}
