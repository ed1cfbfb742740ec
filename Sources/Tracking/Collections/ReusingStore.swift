extension Array {
    /// Puts `value` in the place freed last (popped from `free`), or at the end when none is
    /// free, and returns its index: the pools of slots (sessions, exchanges, datagrams, UIN sets,
    /// IPv6 addresses) reuse their places instead of growing.
    @inline(__always)
    mutating func store(_ value: Element, reusing free: inout [Int32]) -> Int32 {
        if let place = free.popLast() {
            self[Int(place)] = value
            return place
        }
        append(value)
        return Int32(count - 1)
    }
}
