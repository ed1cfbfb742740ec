import Bytes

/// What an ICMP error says about the flow whose datagram it quotes, grouped the way the rules use
/// it (docs/flow-semantics.md#icmp-codes, docs/flow-semantics.md#r4-blocked-peer-port): a filter
/// (administratively prohibited), a closed port (or, for a TCP SYN, a REJECT rule), or a routing
/// problem (network/host unreachable), which is not a block.
public enum ICMPErrorKind: UInt8, Sendable {
    /// Port unreachable: ICMP 3/3, ICMPv6 1/4.
    case portUnreachable
    /// Administratively prohibited: ICMP 3/9, 3/10, 3/13; ICMPv6 1/1, 1/5 (source address failed
    /// policy), 1/6 (reject route).
    case administrativelyProhibited
    /// Network unreachable: ICMP 3/0, 3/6, 3/11; ICMPv6 1/0 (no route).
    case networkUnreachable
    /// Host unreachable: ICMP 3/1, 3/7, 3/12; ICMPv6 1/3 (address unreachable).
    case hostUnreachable
    /// Protocol unreachable: ICMP 3/2.
    case protocolUnreachable
    /// Fragmentation needed (ICMP 3/4) or packet too big (ICMPv6 2).
    case fragmentationNeeded
    /// Any other destination-unreachable code.
    case otherUnreachable
    /// Time exceeded: ICMP 11, ICMPv6 3.
    case timeExceeded
    /// Parameter problem (ICMP 12, ICMPv6 4), source quench (4), redirect (5).
    case other

    public static func classify(type: UInt8, code: UInt8, isIPv6: Bool) -> ICMPErrorKind {
        if isIPv6 {
            switch (type, code) {
            case (1, 4): return .portUnreachable
            case (1, 1), (1, 5), (1, 6): return .administrativelyProhibited
            case (1, 0): return .networkUnreachable
            case (1, 3): return .hostUnreachable
            case (1, _): return .otherUnreachable
            case (2, _): return .fragmentationNeeded
            case (3, _): return .timeExceeded
            default: return .other
            }
        }
        switch (type, code) {
        case (3, 3): return .portUnreachable
        case (3, 9), (3, 10), (3, 13): return .administrativelyProhibited
        case (3, 0), (3, 6), (3, 11): return .networkUnreachable
        case (3, 1), (3, 7), (3, 12): return .hostUnreachable
        case (3, 2): return .protocolUnreachable
        case (3, 4): return .fragmentationNeeded
        case (3, _): return .otherUnreachable
        case (11, _): return .timeExceeded
        default: return .other
        }
    }

    var bit: UInt16 { 1 << UInt16(rawValue) }
}

/// One ICMP error tied to a flow through the datagram it quotes.
public struct ICMPErrorNote: Hashable, Sendable {
    public var type: UInt8
    public var code: UInt8
    public var isIPv6: Bool
    public var kind: ICMPErrorKind
    public var frame: UInt64
    /// Capture time, nanoseconds since the epoch.
    public var time: Int64
    /// Who sent the error (the outer source): the quoted destination itself (an end host), or a
    /// router or firewall on the path.
    public var reporter: IPAddress
    /// TTL or hop limit of the error packet as it arrived, for telling who sent it.
    public var ttl: UInt8
    /// The quoted datagram was sent by the flow's originator (else by its responder).
    public var quotesOriginatorPacket: Bool
    /// The responder had sent at least one packet on the flow when the error arrived; for TCP, a
    /// port-unreachable with this false answers a bare SYN (docs/flow-semantics.md#reject: a REJECT
    /// rule).
    public var responderHadAnswered: Bool

    /// The reporter is the host the quoted datagram was addressed to (not a middlebox).
    public func reportedByQuotedDestination(_ quotedDestination: IPAddress) -> Bool {
        reporter == quotedDestination
    }
}

/// The ICMP errors of a flow, bounded: the first and the latest in full, a count, and the set of
/// kinds seen.
public struct ICMPErrorSummary: Hashable, Sendable {
    public private(set) var count: UInt32 = 0
    public private(set) var first: ICMPErrorNote? = nil
    public private(set) var latest: ICMPErrorNote? = nil
    private var kindBits: UInt16 = 0

    public init() {}

    public mutating func record(_ note: ICMPErrorNote) {
        count &+= 1
        if first == nil { first = note }
        latest = note
        kindBits |= note.kind.bit
    }

    public func contains(_ kind: ICMPErrorKind) -> Bool { kindBits & kind.bit != 0 }
    public var isEmpty: Bool { count == 0 }
}
