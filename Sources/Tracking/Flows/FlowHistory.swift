/// Zeek's `history` string held inline: one ASCII letter per event, upper case for the originator,
/// lower case for the responder, `^` when the roles were flipped. Bounded at `capacity` letters
/// (Zeek's own histories rarely pass a dozen); letters past it are counted, not stored.
public struct FlowHistory: Hashable, Sendable {
    public static let capacity = 32
    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    // Narrow counts: a million flows each hold one history (saturating, so they never trap).
    private var storedCount: UInt8 = 0
    private var storedDropped: UInt32 = 0
    public var count: Int { Int(storedCount) }
    public var dropped: Int { Int(storedDropped) }

    public init() {}

    public mutating func append(_ letter: UInt8) {
        guard count < Self.capacity else {
            if storedDropped < .max { storedDropped += 1 }
            return
        }
        let index = count
        withUnsafeMutableBytes(of: &storage) { $0[index] = letter }
        storedCount += 1
    }

    public static func == (a: FlowHistory, b: FlowHistory) -> Bool {
        a.count == b.count && a.dropped == b.dropped && a.string == b.string
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(string)
        hasher.combine(dropped)
    }

    public var string: String {
        withUnsafeBytes(of: storage) { String(decoding: $0[0..<count], as: UTF8.self) }
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
    var count: UInt32 = 0
    var threshold: UInt32 = 1

    /// Counts one event; true when it crosses the next power of ten.
    mutating func record() -> Bool {
        count &+= 1
        guard count == threshold else { return false }
        let next = threshold &* 10
        threshold = next > threshold ? next : UInt32.max
        return true
    }
}
