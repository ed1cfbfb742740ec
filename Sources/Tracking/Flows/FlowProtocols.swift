/// The application protocols seen on a flow, as a bitset the decoders set through
/// `FlowTable.addProtocol(_:to:)`. Bit order is output order.
public struct FlowProtocols: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Classic ICQ (v2–v5) over UDP.
    public static let icq = FlowProtocols(rawValue: 1 << 0)
    /// OSCAR (FLAP/SNAC) over TCP.
    public static let oscar = FlowProtocols(rawValue: 1 << 1)
    /// A SOCKS 4/4a/5 handshake.
    public static let socks = FlowProtocols(rawValue: 1 << 2)
    /// The ICQ peer-to-peer (direct connection) protocol over TCP.
    public static let peer = FlowProtocols(rawValue: 1 << 3)

    /// Names in bit order, as the flow record prints them (`["icq"]`).
    public static let names: [(FlowProtocols, String)] = [
        (.icq, "icq"), (.oscar, "oscar"), (.socks, "socks"), (.peer, "peer"),
    ]

    public var names: [String] {
        Self.names.compactMap { contains($0.0) ? $0.1 : nil }
    }
}

/// UINs seen on a flow: a small inline set (no allocation), with a count of those that did not fit.
public struct FlowUINs: Hashable, Sendable {
    public static let capacity = 4
    private var storage: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    // Narrow counts: a million flows each hold one set (saturating, so they never trap).
    private var storedCount: UInt8 = 0
    private var storedOverflow: UInt32 = 0
    public var count: Int { Int(storedCount) }
    /// Distinct UINs seen after the inline set was full.
    public var overflow: Int { Int(storedOverflow) }

    public init() {}

    public subscript(_ i: Int) -> UInt32 {
        precondition(i >= 0 && i < count)
        return withUnsafeBytes(of: storage) { $0.load(fromByteOffset: i * 4, as: UInt32.self) }
    }

    /// Adds `uin` unless present. Returns false when it was new but did not fit.
    @discardableResult
    public mutating func insert(_ uin: UInt32) -> Bool {
        for i in 0..<count where self[i] == uin { return true }
        guard count < Self.capacity else {
            if storedOverflow < .max { storedOverflow += 1 }
            return false
        }
        let index = count
        withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: uin, toByteOffset: index * 4, as: UInt32.self) }
        storedCount += 1
        return true
    }

    public var values: [UInt32] { (0..<count).map { self[$0] } }

    public static func == (a: FlowUINs, b: FlowUINs) -> Bool {
        a.count == b.count && a.overflow == b.overflow && (0..<a.count).allSatisfy { a[$0] == b[$0] }
    }

    public func hash(into hasher: inout Hasher) {
        for i in 0..<count { hasher.combine(self[i]) }
        hasher.combine(overflow)
    }
}
