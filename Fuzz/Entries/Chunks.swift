/// Two directions of a TCP connection built from the fuzzer's bytes: each control byte says
/// which direction (bit 0: 0 = originator, client, initiator; 1 = the other side) and how many
/// bytes follow (bits 1-7, 0-127), which are appended to that direction's unconsumed bytes.
/// A length of 0 is a gap: the direction's unconsumed bytes are lost.
struct Chunks {
    var input: FuzzInput
    var pending: ([UInt8], [UInt8]) = ([], [])

    init(_ bytes: UnsafeRawBufferPointer) { input = FuzzInput(bytes) }

    enum Event { case data(side: Int), gap(side: Int) }

    mutating func next() -> Event? {
        guard !input.isAtEnd else { return nil }
        let control = input.byte()
        let side = Int(control & 1)
        let count = Int(control >> 1)
        if count == 0 {
            if side == 0 { pending.0.removeAll() } else { pending.1.removeAll() }
            return .gap(side: side)
        }
        let chunk = input.take(count)
        if side == 0 { pending.0.append(contentsOf: chunk) } else { pending.1.append(contentsOf: chunk) }
        return .data(side: side)
    }

    /// Runs `body` on a direction's unconsumed bytes; it answers how many it used.
    mutating func withPending(_ side: Int, _ body: (UnsafeRawBufferPointer) -> Int) {
        if side == 0 {
            let used = pending.0.withUnsafeBytes(body)
            pending.0.removeFirst(min(max(used, 0), pending.0.count))
        } else {
            let used = pending.1.withUnsafeBytes(body)
            pending.1.removeFirst(min(max(used, 0), pending.1.count))
        }
    }
}
