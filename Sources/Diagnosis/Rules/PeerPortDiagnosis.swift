import Bytes
import Capture
import Tracking
import Wire

/// Rule R4: a TCP connection attempt to a peer's port above 1023 that a filter answered (a forged
/// reset, an ICMP administratively prohibited, an ICMP port unreachable to a SYN) or that nobody
/// answered at all (provisional at `synProvisional`, final at `synFinal`). A reset the peer sent
/// itself means it is not listening (warning). Network and host unreachable are routing, and
/// attempts to a peer's private LAN address are expected to fail: neither is a block.
///
/// Every packet costs O(1) in the number of open attempts: attempts are found by their endpoints
/// or, for the gateway matcher's verdicts, by frame; unanswered ones wait in a deadline queue
/// (`DeadlineHeap`) and come out when capture time passes their deadline. Attempts that come due
/// at the same packet are reported oldest first. The state sits behind a pointer the rule owns
/// (no exclusivity bookkeeping per packet); the rule is not reentrant (`emit` must not call back
/// into it).
public final class PeerPortDiagnosis {
    public let thresholds: Thresholds
    private let emit: (Finding) -> Void
    let state: UnsafeMutablePointer<PeerPortState>
    /// Attempts followed at once; more are not followed (not reported).
    public let maximumAttempts: Int

    public init(thresholds: Thresholds, emit: @escaping (Finding) -> Void, maximumAttempts: Int = 4096,
                addressCapacity: Int = 65_536, advertisedCapacity: Int = 16_384) {
        self.thresholds = thresholds
        self.maximumAttempts = maximumAttempts
        self.emit = emit
        state = .allocate(capacity: 1)
        state.initialize(to: PeerPortState(thresholds: thresholds, addressCapacity: addressCapacity,
                                           advertisedCapacity: advertisedCapacity))
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Endpoints advertised inside the protocols: an attempt to one of them is a peer connection.
    public var advertised: AdvertisedEndpoints { state.pointee.advertised }

    /// Every port advertised, and whether it was reached, blocked or never tried.
    public var ledger: PeerPortLedger { state.pointee.ledger }

    /// An endpoint a client advertised or announced inside a protocol.
    public func advertise(_ endpoint: Endpoint, uin: UInt32?, source: AdvertisedEndpoints.Source,
                          isLANAddress: Bool = false, frame: UInt64, connectionMode: UInt8? = nil) {
        state.pointee.advertised.add(endpoint, uin: uin, source: source, isLANAddress: isLANAddress, frame: frame,
                                     connectionMode: connectionMode)
        state.pointee.ledger.advertised(endpoint, uin: uin, source: source, isLANAddress: isLANAddress, frame: frame)
    }

    /// Peer-to-peer PDUs flowed on a connection to `responder`: its port was reached.
    public func peerConversation(responder: Endpoint, frame: UInt64) {
        state.pointee.ledger.reached(responder, frames: [frame])
    }

    /// Attempts open now (not yet answered, reported or given up).
    public var openAttempts: Int { state.pointee.index.count }
    /// Addresses whose latest TTL or logged-in UIN was forgotten to make room.
    public var addressesForgotten: UInt64 { state.pointee.lastTTL.forgotten + state.pointee.uinByAddress.forgotten }

    /// Every TCP segment. `twoSided` says a gateway matcher will rule on resets; `isCopy` marks a
    /// forwarded copy of a segment already seen on the other side (not a retransmission).
    public func tcp(_ header: TCPHeader, decoded: DecodedPacket, frame: UInt64, time: Int64, twoSided: Bool, isCopy: Bool) {
        state.pointee.tcp(header, decoded: decoded, frame: frame, time: time, twoSided: twoSided, isCopy: isCopy,
                          maximumAttempts: maximumAttempts, emit: emit)
    }

    /// A peer's private LAN ("real") address tried from another network is expected to fail:
    /// clients deliberately try it first. Only the same /24 can reach it.
    static func isForeignLANAttempt(_ entry: AdvertisedEndpoints.Entry, from source: IPAddress) -> Bool {
        guard entry.isLANAddress, entry.endpoint.address.isPrivate else { return false }
        let a = entry.endpoint.address, b = source
        return a.isIPv6 != b.isIPv6 || (a.isIPv6 ? a.high != b.high : a.ipv4Value >> 8 != b.ipv4Value >> 8)
    }

    /// A packet of another protocol from an address (its UDP to the ICQ server): its TTL is the
    /// one the address's packets arrive with at this vantage point, which a reset in its name
    /// must fit. Only needed on a one-sided capture (on two, the gateway's verdict decides).
    public func noteTTL(_ decoded: DecodedPacket) {
        guard let src = decoded.sourceAddress, let ttl = decoded.ipv4?.ttl ?? decoded.ipv6?.hopLimit else { return }
        state.pointee.lastTTL.set(ttl, for: src)
    }

    public func noteLogin(uin: UInt32, from address: IPAddress) {
        state.pointee.noteLogin(uin: uin, from: address)
    }

    /// The gateway matcher's verdict on a packet: forwarded (it has a copy) or not.
    public func gatewayVerdict(frame: UInt64, forwarded: Bool, time: Int64) {
        state.pointee.gatewayVerdict(frame: frame, forwarded: forwarded, time: time, emit: emit)
    }

    /// An ICMP destination unreachable quoting a TCP segment.
    public func icmp(_ message: ICMPMessage, frame: UInt64, time: Int64, reporter: IPAddress) {
        state.pointee.icmp(message, frame: frame, time: time, reporter: reporter, emit: emit)
    }

    /// Unanswered attempts become provisional, then final, on capture time.
    public func advance(to time: Int64) {
        state.pointee.advance(to: time, emit: emit)
    }

    /// End of capture: unanswered attempts not yet final stay as they are (provisional, if
    /// reported), except those whose SYN reached the gateway and never left it: proven blocked
    /// there, they are final although the client stopped trying before `--syn-final`.
    public func finish() {
        state.pointee.finalizeDroppedAtGateway(emit: emit)
        state.pointee.removeAllAttempts()
    }
}

/// What `PeerPortDiagnosis` keeps: the open attempts in reused slots, their indexes and deadlines,
/// and what is known per address.
struct PeerPortState {
    /// Frames an attempt lists at most (its SYN and retransmissions, then the answer).
    static let maximumFramesPerAttempt = 32
    /// Distinct peer endpoints remembered per way of blocking, for "the Nth peer port blocked
    /// the same way": beyond them, more are only said to be more.
    static let maximumBlockedTargets = 4_096

    struct AttemptKey: Hashable {
        var client: Endpoint
        var peer: Endpoint
    }

    struct Attempt {
        var key: AttemptKey
        var firstTime: Int64
        /// The SYN's frame first; kept with its capacity when the slot is reused.
        var frames: [UInt64]
        var isn: UInt32
        var retransmissions = 0
        var advertised: AdvertisedEndpoints.Entry
        var provisionalReported = false
        var notForwarded = false
        /// A reset awaiting the gateway matcher's verdict (seen on one side only, or both).
        var pendingReset: (frame: UInt64, time: Int64, ttl: UInt8)? = nil
        /// The order attempts began in: the tie-break between equal deadlines.
        var sequence: UInt64
    }

    let thresholds: Thresholds
    var advertised: AdvertisedEndpoints
    var ledger = PeerPortLedger()
    var attempts: [Attempt] = []
    var freeSlots: [Int32] = []
    /// Open attempts by their endpoints.
    var index = SlotIndex()
    /// Open attempts by the SYN's frame and by a pending reset's frame (the gateway matcher
    /// rules on frames).
    var byFrame = SlotIndex()
    let hasher = SlotHasher()
    /// Open attempts that are not waiting for a verdict, by the time their next finding is due.
    var deadlines = DeadlineHeap()
    /// The attempts that came due at the current packet (reused).
    var due: [Int32] = []
    var nextSequence: UInt64 = 0
    /// The TTL of the latest non-reset packet from each address, to tell a peer's own reset from
    /// one forged on the way.
    var lastTTL: RecencyMap<IPAddress, UInt8>
    /// The UIN logged in from each client address, so a finding names the user whose attempt
    /// failed; nil where several UINs share the address (then the attempt's user is unknown).
    var uinByAddress: RecencyMap<IPAddress, UInt32?>
    /// How a block was seen: its detail, and whether it was final (a provisional block is counted
    /// apart from a final one of the same detail).
    struct BlockWay: Hashable {
        var detail: Finding.Detail
        var final: Bool
    }

    /// Blocks reported, by way, for the escalation when several peers or ports are blocked alike.
    var blockedTargets: [BlockWay: Set<Endpoint>] = [:]
    /// The latest capture time seen (for what is reported at the end of the capture).
    var clock: Int64 = .min
    /// Connections (client and peer endpoints) reported final, the latest 4,096: a SYN
    /// retransmitted after that opens a new attempt, which the end of the capture must not
    /// report again.
    var finalConnections: Set<AttemptKey> = []
    /// Listening endpoints already warned about as announced for direct connections (bounded).
    var directModeWarned: Set<Endpoint> = []

    init(thresholds: Thresholds, addressCapacity: Int, advertisedCapacity: Int) {
        self.thresholds = thresholds
        advertised = AdvertisedEndpoints(capacity: advertisedCapacity)
        lastTTL = RecencyMap(capacity: addressCapacity)
        uinByAddress = RecencyMap(capacity: addressCapacity)
    }
}
