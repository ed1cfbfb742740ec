/// Zeek's `history` string held inline: one ASCII letter per event, upper case for the originator,
/// lower case for the responder, `^` when the roles were flipped. Bounded at `capacity` letters
/// (Zeek's own histories rarely pass a dozen); letters past it are counted, not stored.
///
/// 24 bytes in each of a busy gateway's million flows: the alphabet has 21 letters, so each is
/// kept as a 5-bit code, 32 of them in the first 160 bits of three words; the count and the
/// letters dropped (saturating) share the last 32 bits.
public struct FlowHistory: Hashable, Sendable {
    public static let capacity = 32
    private var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
    /// The letters Zeek's TCP and UDP analyzers write (`^` for a flip); code = index + 1.
    static let alphabet: [UInt8] = Array("SHADFRTWIQshadfrtwiq^".utf8)
    private static let droppedLimit = (1 << 26) - 1

    public init() {}

    public var count: Int { Int(truncatingIfNeeded: words.2 >> 32) & 0x3F }
    public var dropped: Int { Int(truncatingIfNeeded: words.2 >> 38) }

    public mutating func append(_ letter: UInt8) {
        guard count < Self.capacity, let index = Self.alphabet.firstIndex(of: letter) else {
            // Only the table's own analyzers append, and only letters of the alphabet.
            assert(count >= Self.capacity, "history letter \(letter) outside the alphabet")
            if dropped < Self.droppedLimit { words.2 += 1 << 38 }
            return
        }
        let bit = 5 * count
        let code = UInt64(index + 1)
        setBits(code << (bit % 64), word: bit / 64)
        if bit % 64 > 59 { setBits(code >> (64 - bit % 64), word: bit / 64 + 1) }
        words.2 += 1 << 32
    }

    private mutating func setBits(_ bits: UInt64, word: Int) {
        switch word {
        case 0: words.0 |= bits
        case 1: words.1 |= bits
        default: words.2 |= bits
        }
    }

    private func word(_ i: Int) -> UInt64 {
        switch i {
        case 0: words.0
        case 1: words.1
        default: words.2
        }
    }

    private func code(at i: Int) -> Int {
        let bit = 5 * i
        var value = word(bit / 64) >> (bit % 64)
        if bit % 64 > 59 { value |= word(bit / 64 + 1) << (64 - bit % 64) }
        return Int(value & 31)
    }

    public static func == (a: FlowHistory, b: FlowHistory) -> Bool {
        a.count == b.count && a.dropped == b.dropped && a.string == b.string
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(string)
        hasher.combine(dropped)
    }

    public var string: String {
        String(decoding: (0..<count).map { Self.alphabet[code(at: $0) - 1] }, as: UTF8.self)
    }
}

/// Which once-only history letters an endpoint has already produced (Zeek's `hist_seen` bits).
struct HistorySeen: OptionSet, Hashable, Sendable {
    let rawValue: UInt8
    static let syn = HistorySeen(rawValue: 1 << 0)
    static let fin = HistorySeen(rawValue: 1 << 1)
    static let rst = HistorySeen(rawValue: 1 << 2)
    static let data = HistorySeen(rawValue: 1 << 3)
    static let ack = HistorySeen(rawValue: 1 << 4)
    static let finRst = HistorySeen(rawValue: 1 << 5)
    static let multiFlag = HistorySeen(rawValue: 1 << 6)
}

/// A counter that adds its history letter at the 1st, 10th, 100th, ... event, as Zeek's
/// `ScaledHistoryEntry` does for retransmissions (T) and zero windows (W).
struct ScaledHistoryCounter: Hashable, Sendable {
    /// Saturates: the letters due are those of the powers of ten a UInt32 holds. The next
    /// threshold is not stored, as it follows from the count (four bytes in each of a million
    /// flows' two endpoints).
    var count: UInt32 = 0

    /// Counts one event; true when the count reaches a power of ten.
    mutating func record() -> Bool {
        guard count < .max else { return false }
        count += 1
        var power: UInt32 = 1
        while power < count && power <= UInt32.max / 10 { power *= 10 }
        return power == count
    }
}
