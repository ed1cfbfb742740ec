import Bytes

extension ICQSessionTable {
    /// A live session as the table keeps it: plain values only, 144 bytes, so that a gateway's
    /// hundred thousand sessions fit a memory budget (docs/flow-semantics.md#memory). Endpoints
    /// are `CompactEndpoint`s; counts are 32-bit and stop at their maximum; times and frames that
    /// may be absent use a sentinel or a flag instead of an optional's padding. What grows with
    /// the session (round trips beyond two, keep-alives) lives in the table's `ValueBlockPool`,
    /// and what is rare (NAT rebindings, more than two capture sides) in `SessionExtras`.
    /// Fields are declared widest first, so none is padded.
    struct SessionSlot {
        var firstTime: Int64 = 0
        var lastTime: Int64 = 0
        /// `Int64.min` until the client's first packet.
        var lastClientTime: Int64 = .min
        /// The highest server seq1's frame (with `Flags.hasLastServerSeq`).
        var lastServerSeqFrame: UInt64 = 0
        /// With `Flags.hasLoginReply`.
        var loginReplyFrame: UInt64 = 0
        var key = ICQSession.Key(uin: 0, sessionID: 0)
        /// The first two round trips in nanoseconds: a login and its reply have just these, so
        /// most sessions need no block for them. One that does not fit (over 4.29 s, or negative
        /// when the clock stepped back) puts every round trip in blocks (`Flags.roundTripsInBlocks`).
        var firstRoundTrips: (UInt32, UInt32) = (0, 0)
        var server = CompactEndpoint.none
        /// The client's endpoint on the first two capture sides it was seen on (an interface, or
        /// a cooked-v2 ifindex); nearly every session has one side, two on a gateway capture.
        /// Until the client's first packet, `firstSide` holds the client's endpoint as the
        /// server's packet named it, with no side (`Flags.hasFirstSide` unset).
        var firstSide = CompactEndpoint.none
        var secondSide = CompactEndpoint.none
        var firstSideID: Int32 = 0
        var secondSideID: Int32 = 0
        /// Creation order among sessions: breaks ties between sessions that went quiet at the
        /// same instant.
        var serial: UInt32 = 0
        var clientPackets: UInt32 = 0
        var serverPackets: UInt32 = 0
        var clientRetransmissions: UInt32 = 0
        var serverRetransmissions: UInt32 = 0
        /// The session's `SessionExtras`, or -1.
        var extras: Int32 = -1
        /// Block lists in the table's `ValueBlockPool` (-1: empty): round trips after the first
        /// two; the first keep-alive frames; the median keep-alive interval followed by the last
        /// keep-alive times, a ring once full.
        var roundTripBlocks: Int32 = -1
        var keepaliveFrameBlocks: Int32 = -1
        var keepaliveTimeBlocks: Int32 = -1
        /// Heads of the session's pending exchanges, linked through `ExchangeSlot.previous/next`.
        var clientExchanges: Int32 = -1
        var serverExchanges: Int32 = -1
        /// The login reply's keep-alive interval in seconds; 0: none seen.
        var keepaliveHintSeconds: UInt16 = 0
        var lastServerSeq: UInt16 = 0
        var flags: Flags = []
        var version: UInt8 = 0
        /// Which side endpoint is the client's as last seen: 0 `firstSide`, 1 `secondSide`,
        /// 2 + k the extras' `moreSides[k]`.
        var clientSide: UInt8 = 0
        var roundTripCount: UInt8 = 0
        var keepaliveFrameCount: UInt8 = 0
        /// Keep-alive times held (at most `ICQSession.keptTimes`), and the ring's oldest.
        var keepaliveTimeCount: UInt8 = 0
        var keepaliveTimeOldest: UInt8 = 0

        struct Flags: OptionSet {
            var rawValue: UInt16
            static let inUse = Flags(rawValue: 1)
            /// Whether `sessionByClient[client]` is this session: a client packet from the same
            /// endpoint then needs no hash. Cleared when another session takes the endpoint over.
            static let ownsClientEntry = Flags(rawValue: 2)
            static let loggedOut = Flags(rawValue: 4)
            static let hasLastServerSeq = Flags(rawValue: 8)
            static let hasLoginReply = Flags(rawValue: 16)
            static let hasFirstSide = Flags(rawValue: 32)
            static let hasSecondSide = Flags(rawValue: 64)
            static let roundTripsInBlocks = Flags(rawValue: 128)
            /// An idle gap longer than the firewall's timeout since the server's last packet.
            static let idleBeyondFirewallTimeout = Flags(rawValue: 256)
        }

        static let vacant = SessionSlot()

        func has(_ flag: Flags) -> Bool { flags.contains(flag) }

        /// Adds one to a count that stops at its maximum.
        static func count(_ value: inout UInt32) {
            if value != .max { value += 1 }
        }
    }

    /// What few sessions have: the NAT rebindings seen, and the client's endpoint on capture
    /// sides beyond the first two. Every endpoint here is counted in the IPv6 pool.
    struct SessionExtras {
        var rebindings: [(frame: UInt64, from: CompactEndpoint, to: CompactEndpoint)] = []
        var moreSides: [(side: Int32, client: CompactEndpoint)] = []
    }

    /// An exchange is known by its session's slot (a slot is reused only after every exchange
    /// of its session is gone), the direction and both sequence numbers.
    struct ExchangeKey: Hashable {
        var session: Int32
        var fromClient: Bool
        var seq1: UInt16
        var seq2: UInt16
    }

    struct ExchangeSlot {
        var exchange: ICQExchange
        var key: ExchangeKey
        /// Creation order: breaks ties in the order exchanges are reported.
        var serial: UInt64 = 0
        var previous: Int32 = -1
        var next: Int32 = -1
    }
}
