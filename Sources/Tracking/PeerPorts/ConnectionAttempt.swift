import Bytes

/// A TCP connection attempt to an endpoint a peer advertised: from its SYN until it is answered,
/// refused, or given up.
public struct ConnectionAttempt: Sendable {
    public struct Key: Hashable, Sendable {
        public var client: Endpoint
        public var peer: Endpoint

        public init(client: Endpoint, peer: Endpoint) {
            self.client = client
            self.peer = peer
        }
    }

    public var key: Key
    public var firstTime: Int64
    /// The SYN's frame first, then its retransmissions (at most `ConnectionAttempts.maximumFrames`),
    /// then what ended it (a reset, an ICMP error).
    public var frames: [UInt64]
    public var isn: UInt32
    public var retransmissions = 0
    /// Where the peer advertised the endpoint.
    public var advertised: AdvertisedEndpoints.Entry
    /// Whether an unanswered-attempt event was already given at the provisional deadline.
    public var provisionalGiven = false
    /// The gateway matcher ruled that the SYN reached the gateway and never left it.
    public var notForwarded = false
    /// A reset awaiting the gateway matcher's verdict (seen on one side only, or both).
    var pendingReset: (frame: UInt64, time: Int64, ttl: UInt8)? = nil
    /// The order attempts began in: the tie-break between equal deadlines.
    var sequence: UInt64

    init(key: Key, firstTime: Int64, frames: [UInt64], isn: UInt32, advertised: AdvertisedEndpoints.Entry, sequence: UInt64) {
        self.key = key
        self.firstTime = firstTime
        self.frames = frames
        self.isn = isn
        self.advertised = advertised
        self.sequence = sequence
    }

    /// An attempt as a rule is handed it (tests of the rule alone make their own).
    public init(key: Key, firstTime: Int64, frames: [UInt64], advertised: AdvertisedEndpoints.Entry,
                retransmissions: Int = 0, notForwarded: Bool = false) {
        self.init(key: key, firstTime: firstTime, frames: frames, isn: 0, advertised: advertised, sequence: 0)
        self.retransmissions = retransmissions
        self.notForwarded = notForwarded
    }
}

extension ConnectionAttempt.Key: SlotKey {
    @inlinable
    public func slotHash(_ hasher: SlotHasher) -> UInt64 { hasher.hash(client, peer) }
}

/// What became of an attempt: the facts the peer-port rule judges.
public enum ConnectionAttemptEvent: Sendable {
    /// The peer answered the SYN (SYN-ACK in `frame`): the port was reached.
    case answered(ConnectionAttempt, frame: UInt64)
    /// A reset came back (its frame is the attempt's last). `origin` is what tells whether the
    /// peer's own host sent it.
    case reset(ConnectionAttempt, time: Int64, origin: ResetOrigin)
    /// An ICMP destination unreachable quoting the SYN (its frame is the attempt's last).
    /// `inPeersName`: sent from the peer's own address, seen from one vantage point, and how it
    /// fits the peer's other packets there (nil otherwise).
    case icmpUnreachable(ConnectionAttempt, time: Int64, code: UInt8, reporter: IPAddress, inPeersName: SenderFit?)
    /// Nothing answered: by the provisional deadline (the SYN retransmitted; the attempt stays
    /// open) or by the final one (the attempt ends).
    case unanswered(ConnectionAttempt, time: Int64, final: Bool)
    /// At the end of the capture: an open attempt whose SYN the gateway did not forward.
    case droppedAtGateway(ConnectionAttempt, time: Int64)
}

/// Where a reset came from, as far as the capture shows.
public enum ResetOrigin: Sendable, Equatable {
    /// Seen on both sides of the gateway: it crossed it, from the peer's host.
    case crossedGateway
    /// Seen on one side of a two-sided capture only: the gateway made it.
    case oneSideOnly
    /// One vantage point: the reset held against the peer's other packets there (TTL, IP id).
    case oneVantage(SenderFit)
}
