import Bytes
import Capture
import Wire

/// Follows TCP connection attempts to the endpoints peers advertised inside the protocols, from
/// the SYN to what ended it, and says what became of each (`ConnectionAttemptEvent`) to
/// `onEvent`, after the call that established it. The peer-port rule judges the events.
///
/// Every packet costs O(1) in the number of open attempts: attempts are found by their endpoints
/// or, for the gateway matcher's verdicts, by frame; unanswered ones wait in a deadline queue
/// (`DeadlineHeap`) and come out when capture time passes their deadline. Attempts that come due
/// at the same packet are given oldest first. The state sits behind a pointer the tracker owns
/// (no exclusivity bookkeeping per packet).
public final class ConnectionAttempts {
    public struct Configuration: Sendable {
        /// How long after its SYN an attempt retransmitted without answer is unanswered
        /// provisionally, and how long after it for good.
        public var synProvisional: Int64
        public var synFinal: Int64
        /// Attempts followed at once; more are not followed.
        public var maximumAttempts = 4096
        /// Addresses whose TTL, IP id and logged-in UIN are remembered.
        public var addressCapacity = 65_536
        /// Advertised endpoints remembered.
        public var advertisedCapacity = 16_384
        /// Ended attempts remembered (their connection and ISN), so that a SYN retransmitted
        /// after its attempt ended is known as that attempt's, not a new one.
        public var endedCapacity = 4096

        public init(synProvisional: Int64, synFinal: Int64) {
            self.synProvisional = synProvisional
            self.synFinal = synFinal
        }
    }

    public let configuration: Configuration
    /// Where the events go; set once, before the first packet.
    public var onEvent: (ConnectionAttemptEvent) -> Void = { _ in }
    let state: UnsafeMutablePointer<ConnectionAttemptState>
    /// The events of the current call, handed on when it returns (reused).
    private var delivering: [ConnectionAttemptEvent] = []

    public init(configuration: Configuration) {
        self.configuration = configuration
        state = .allocate(capacity: 1)
        state.initialize(to: ConnectionAttemptState(configuration: configuration))
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Endpoints advertised inside the protocols: an attempt to one of them is a peer connection.
    public var advertised: AdvertisedEndpoints { state.pointee.advertised }

    /// An endpoint a client advertised or announced inside a protocol.
    public func advertise(_ endpoint: Endpoint, uin: UInt32?, source: AdvertisedEndpoints.Source,
                          isLANAddress: Bool = false, frame: UInt64, connectionMode: UInt8? = nil,
                          application: UInt8? = nil) {
        state.pointee.advertised.add(endpoint, uin: uin, source: source, isLANAddress: isLANAddress, frame: frame,
                                     connectionMode: connectionMode, application: application)
    }

    /// A packet of another protocol from an address (its UDP to the ICQ server): its TTL and IP
    /// id are what the address's packets arrive with at this vantage point, which a reset or an
    /// ICMP error in its name must fit. Only needed on a one-sided capture (on two, the
    /// gateway's verdict decides).
    public func noteSender(_ decoded: DecodedPacket, time: Int64) {
        guard let src = decoded.sourceAddress else { return }
        state.pointee.noteSender(decoded, source: src, time: time)
    }

    /// `read --threads`: told every packet an address is noted from (`ConnectionAttemptState.onSenderNoted`).
    public func logSenders(_ log: @escaping (IPAddress, UInt8, UInt16?, UInt32, Int64) -> Void) {
        state.pointee.onSenderNoted = log
    }

    /// How full the tables of senders' marks and of ended attempts are, and what they forgot: a
    /// shard of `read --threads` must not have kept what one thread's tables would have let go.
    public var tableUse: (senders: Int, ended: Int, forgotten: UInt64) {
        let s = state.pointee
        return (s.senders.count, s.ended.count, s.senders.forgotten + s.ended.forgotten)
    }

    /// A client logged in to the server from `address`.
    public func noteLogin(uin: UInt32, from address: IPAddress) {
        state.pointee.noteLogin(uin: uin, from: address)
    }

    /// The UIN logged in from `address`: nil when none was seen, `.some(nil)` when several share it.
    public func loggedIn(at address: IPAddress) -> UInt32?? { state.pointee.uinByAddress[address] }

    /// Attempts open now (not yet answered, ended or given up).
    public var openAttempts: Int { state.pointee.index.count }
    /// Addresses whose latest TTL and IP id, or logged-in UIN, were forgotten to make room.
    public var addressesForgotten: UInt64 { state.pointee.senders.forgotten + state.pointee.uinByAddress.forgotten }

    /// Every TCP segment. `twoSided` says a gateway matcher will rule on resets; `isCopy` marks a
    /// forwarded copy of a segment already seen on the other side (not a retransmission).
    public func tcp(_ header: TCPHeader, decoded: DecodedPacket, frame: UInt64, time: Int64, twoSided: Bool, isCopy: Bool) {
        state.pointee.tcp(header, decoded: decoded, frame: frame, time: time, twoSided: twoSided, isCopy: isCopy)
        deliver()
    }

    /// The gateway matcher's verdict on a packet: forwarded (it has a copy) or not.
    public func gatewayVerdict(frame: UInt64, forwarded: Bool, time: Int64) {
        state.pointee.gatewayVerdict(frame: frame, forwarded: forwarded, time: time)
        deliver()
    }

    /// An ICMP destination unreachable quoting a TCP segment. `twoSided` as for `tcp`: from one
    /// vantage point, an error from the peer's own address is held against its other packets.
    public func icmp(_ message: ICMPMessage, decoded: DecodedPacket, frame: UInt64, time: Int64, twoSided: Bool) {
        state.pointee.icmp(message, decoded: decoded, frame: frame, time: time, twoSided: twoSided)
        deliver()
    }

    /// Up to this time `advance` gives nothing and only moves the clock (`moveClock`): a shard of
    /// `read --threads` asks at every other shard's frame.
    public var nextDeadline: Int64 { state.pointee.deadlines.first?.deadline ?? .max }

    public func moveClock(to time: Int64) {
        state.pointee.moveClock(to: time)
    }

    /// Unanswered attempts come due on capture time.
    @inline(__always)
    public func advance(to time: Int64) {
        state.pointee.advance(to: time)
        deliver()
    }

    /// End of capture: the open attempts whose SYN the gateway did not forward are given as
    /// dropped there; every attempt is let go.
    public func finish() {
        state.pointee.giveDroppedAtGateway()
        deliver()
        state.pointee.removeAllAttempts()
    }

    @inline(__always)
    private func deliver() {
        guard !state.pointee.events.isEmpty else { return }
        swap(&delivering, &state.pointee.events)
        for event in delivering { onEvent(event) }
        delivering.removeAll(keepingCapacity: true)
    }
}

/// What `ConnectionAttempts` keeps: the open attempts in reused slots, their indexes and
/// deadlines, and what is known per address.
struct ConnectionAttemptState {
    /// Frames an attempt lists at most (its SYN and retransmissions, then the answer).
    static let maximumFramesPerAttempt = 32

    let configuration: ConnectionAttempts.Configuration
    var maximumAttempts: Int { configuration.maximumAttempts }
    var advertised: AdvertisedEndpoints
    var attempts: [ConnectionAttempt] = []
    var freeSlots: [Int32] = []
    /// Open attempts by their endpoints.
    var index = SlotIndex()
    /// Open attempts by the SYN's frame and by a pending reset's frame (the gateway matcher
    /// rules on frames).
    var byFrame = SlotIndex()
    let hasher = SlotHasher()
    /// Open attempts that are not waiting for a verdict, by the time their next event is due.
    var deadlines = DeadlineHeap()
    /// The attempts that came due at the current packet (reused).
    var due: [Int32] = []
    var nextSequence: UInt64 = 0
    /// The TTL and IP id of the latest packet each address sent itself (no reset or ICMP
    /// error), to tell a peer's own reset or error from one forged on the way.
    var senders: RecencyMap<IPAddress, SenderMarks>
    /// The UIN logged in from each client address; nil where several UINs share the address.
    var uinByAddress: RecencyMap<IPAddress, UInt32?>
    /// The ISN of each attempt that ended (answered, refused, given up), by its connection: a
    /// SYN with the same endpoints and ISN is a retransmission of that attempt (a Linux stack
    /// goes on sending it after the final deadline), not a new attempt to report again.
    var ended: RecencyMap<ConnectionAttempt.Key, UInt32>
    /// The latest capture time seen (for what is given at the end of the capture).
    var clock: Int64 = .min
    /// Told every packet noted for `senders` (source, TTL, IP id, IPv4 destination, time): a
    /// shard of `read --threads` logs those of hosts other shards see too.
    var onSenderNoted: ((IPAddress, UInt8, UInt16?, UInt32, Int64) -> Void)? = nil
    /// Events of the current call, not yet handed on.
    var events: [ConnectionAttemptEvent] = []

    init(configuration: ConnectionAttempts.Configuration) {
        self.configuration = configuration
        advertised = AdvertisedEndpoints(capacity: configuration.advertisedCapacity)
        senders = RecencyMap(capacity: configuration.addressCapacity)
        uinByAddress = RecencyMap(capacity: configuration.addressCapacity)
        ended = RecencyMap(capacity: configuration.endedCapacity)
    }

    /// A peer's private LAN ("real") address tried from another network is expected to fail:
    /// clients deliberately try it first. Only the same /24 can reach it.
    static func isForeignLANAttempt(_ entry: AdvertisedEndpoints.Entry, from source: IPAddress) -> Bool {
        guard entry.isLANAddress, entry.endpoint.address.isPrivate else { return false }
        let a = entry.endpoint.address, b = source
        return a.isIPv6 != b.isIPv6 || (a.isIPv6 ? a.high != b.high : a.ipv4Value >> 8 != b.ipv4Value >> 8)
    }
}
