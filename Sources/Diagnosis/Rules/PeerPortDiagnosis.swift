import Bytes
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
                          isLANAddress: Bool = false, frame: UInt64, connectionMode: UInt8? = nil,
                          application: UInt8? = nil) {
        state.pointee.advertised.add(endpoint, uin: uin, source: source, isLANAddress: isLANAddress, frame: frame,
                                     connectionMode: connectionMode, application: application)
        state.pointee.ledger.advertised(endpoint, uin: uin, source: source, isLANAddress: isLANAddress, frame: frame,
                                        connectionMode: connectionMode, application: application)
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

    /// End of capture: unanswered attempts not yet final stay as they are (provisional, if reported).
    public func finish() {
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
    /// Listening endpoints already warned about as announced for direct connections (bounded).
    var directModeWarned: Set<Endpoint> = []

    init(thresholds: Thresholds, addressCapacity: Int, advertisedCapacity: Int) {
        self.thresholds = thresholds
        advertised = AdvertisedEndpoints(capacity: advertisedCapacity)
        lastTTL = RecencyMap(capacity: addressCapacity)
        uinByAddress = RecencyMap(capacity: addressCapacity)
    }

    // MARK: Packets

    mutating func tcp(_ header: TCPHeader, decoded: DecodedPacket, frame: UInt64, time: Int64, twoSided: Bool,
                      isCopy: Bool, maximumAttempts: Int, emit: (Finding) -> Void) {
        advance(to: time, emit: emit)
        guard let src = decoded.sourceAddress, let dst = decoded.destinationAddress else { return }
        let ttl = decoded.ipv4?.ttl ?? decoded.ipv6?.hopLimit ?? 0
        let source = Endpoint(address: src, port: header.sourcePort)
        let destination = Endpoint(address: dst, port: header.destinationPort)
        if header.isSYN && !header.isACK {
            let key = AttemptKey(client: source, peer: destination)
            if let slot = findAttempt(key) {
                if attempts[Int(slot)].isn == header.sequenceNumber && !isCopy {
                    attempts[Int(slot)].retransmissions += 1
                    // A real stack sends a SYN a handful of times; a replayed one is counted, not listed.
                    if attempts[Int(slot)].frames.count < PeerPortState.maximumFramesPerAttempt {
                        attempts[Int(slot)].frames.append(frame)
                    }
                    schedule(slot)
                }
                return
            }
            guard !isCopy, destination.port > 1023, let entry = advertised.lookup(destination),
                  !PeerPortDiagnosis.isForeignLANAttempt(entry, from: src), index.count < maximumAttempts else { return }
            open(key, time: time, frame: frame, isn: header.sequenceNumber, advertised: entry)
            return
        }
        let key = AttemptKey(client: destination, peer: source)
        guard let slot = findAttempt(key) else {
            if !header.isRST { lastTTL.set(ttl, for: src) }
            return
        }
        if header.isSYN && header.isACK {
            let attempt = close(slot)  // open: the peer answered
            ledger.reached(attempt.key.peer, frames: [attempt.frames[0], frame])
            lastTTL.set(ttl, for: src)
            return
        }
        guard header.isRST, attempts[Int(slot)].pendingReset == nil else { return }
        attempts[Int(slot)].frames.append(frame)
        if isCopy {
            // This reset is the forwarded copy of one seen on the other side: it crossed the
            // gateway, so the peer's own host sent it.
            let attempt = close(slot)
            report(attempt, detail: .rstFromPeer, time: time, emit: emit,
                   proof: "the peer's own host answered with a reset (seen on both sides of the gateway): nothing listens on that port")
            return
        }
        if twoSided {
            attempts[Int(slot)].pendingReset = (frame, time, ttl)
            byFrame.insert(slot, hash: hasher.hash(frame, 0))
            // Suspended: the verdict decides, whatever the time.
            deadlines.remove(slot)
            return
        }
        let attempt = close(slot)
        // One vantage only: the TTL tells whether the reset came as far as the peer's packets do.
        if let usual = lastTTL[src], abs(Int(usual) - Int(ttl)) > 1 {
            report(attempt, detail: .rstFromMiddlebox, time: time, emit: emit,
                   proof: "a reset came back with TTL \(ttl), where the peer's own packets arrive with TTL \(usual): something on the way forged it in the peer's name")
        } else {
            report(attempt, detail: .rstFromPeer, time: time, emit: emit,
                   proof: "the peer's own host answered with a reset: nothing listens on that port")
        }
    }

    mutating func noteLogin(uin: UInt32, from address: IPAddress) {
        if let known = uinByAddress[address], known != uin { uinByAddress.set(UInt32?.none, for: address) }
        else { uinByAddress.set(uin, for: address) }
    }

    mutating func gatewayVerdict(frame: UInt64, forwarded: Bool, time: Int64, emit: (Finding) -> Void) {
        guard !byFrame.isEmpty, let slot = byFrame.find(hasher.hash(frame, 0), where: { slot in
            attempts[Int(slot)].frames.first == frame || attempts[Int(slot)].pendingReset?.frame == frame
        }) else { return }
        if let reset = attempts[Int(slot)].pendingReset, reset.frame == frame {
            let attempt = close(slot)
            if forwarded {
                report(attempt, detail: .rstFromPeer, time: reset.time, emit: emit,
                       proof: "the peer's own host answered with a reset (seen on both sides of the gateway): nothing listens on that port")
            } else {
                report(attempt, detail: .rstFromMiddlebox, time: reset.time, emit: emit,
                       proof: "a reset came back on one side of the gateway only: the gateway forged it in the peer's name")
            }
            return
        }
        if !forwarded && attempts[Int(slot)].frames.first == frame {
            attempts[Int(slot)].notForwarded = true
        }
    }

    mutating func icmp(_ message: ICMPMessage, frame: UInt64, time: Int64, reporter: IPAddress, emit: (Finding) -> Void) {
        guard message.type == 3, let q = message.quoted, q.protocolNumber == IPProtocol.tcp,
              let sport = q.sourcePort, let dport = q.destinationPort else { return }
        let key = AttemptKey(client: Endpoint(address: q.source, port: sport), peer: Endpoint(address: q.destination, port: dport))
        guard let slot = findAttempt(key) else { return }
        var attempt = close(slot)
        attempt.frames.append(frame)
        switch message.code {
        case 9, 10, 13:
            report(attempt, detail: .icmpAdminProhibited, time: time, emit: emit,
                   proof: "\(reporter) answered with ICMP destination unreachable code \(message.code) (communication administratively prohibited): a filter refused it")
        case 3:
            report(attempt, detail: .icmpPortUnreachable, time: time, emit: emit,
                   proof: "\(reporter) answered the SYN with ICMP port unreachable; a TCP stack answers a closed port with a reset, so this is a firewall's reject rule")
        default:
            // Network or host unreachable (and the rest): a routing problem, not a block.
            break
        }
    }

    // MARK: Deadlines

    /// Reports what capture time `time` makes due: an attempt is final once more than
    /// `synFinal` has passed since its SYN, provisional once more than `synProvisional` has
    /// passed and the SYN was retransmitted. Several attempts can come due at one packet: they are
    /// reported oldest first (by SYN time, then by the SYN's frame).
    @inline(__always)
    mutating func advance(to time: Int64, emit: (Finding) -> Void) {
        guard let first = deadlines.first, first.deadline < time else { return }
        reportDue(at: time, emit: emit)
    }

    mutating func reportDue(at time: Int64, emit: (Finding) -> Void) {
        due.removeAll(keepingCapacity: true)
        while let slot = deadlines.popExpired(before: time) { due.append(slot) }
        if due.count > 1 {
            due.sort { a, b in
                let x = attempts[Int(a)], y = attempts[Int(b)]
                return (x.firstTime, x.frames[0]) < (y.firstTime, y.frames[0])
            }
        }
        for slot in due {
            let firstTime = attempts[Int(slot)].firstTime
            if time > Self.after(firstTime, thresholds.synFinal) {
                let attempt = close(slot)
                report(attempt, detail: .noAnswer, time: time, final: true, emit: emit,
                       proof: "nothing answered the SYN (sent \(attempt.retransmissions + 1) time\(attempt.retransmissions == 0 ? "" : "s")) within \(seconds(thresholds.synFinal)) s")
            } else if time > Self.after(firstTime, thresholds.synProvisional) && attempts[Int(slot)].retransmissions >= 1
                        && !attempts[Int(slot)].provisionalReported {
                attempts[Int(slot)].provisionalReported = true
                schedule(slot)
                report(attempts[Int(slot)], detail: .noAnswer, time: time, final: false, emit: emit,
                       proof: "nothing answered the SYN within \(seconds(thresholds.synProvisional)) s, though it was retransmitted")
            } else {
                schedule(slot)
            }
        }
    }

    /// Puts an attempt in the deadline queue at the time its next finding is due.
    mutating func schedule(_ slot: Int32) {
        let a = attempts[Int(slot)]
        guard a.pendingReset == nil else { return }
        var due = Self.after(a.firstTime, thresholds.synFinal)
        if a.retransmissions >= 1 && !a.provisionalReported {
            due = min(due, Self.after(a.firstTime, thresholds.synProvisional))
        }
        deadlines.schedule(slot, at: due, order: a.sequence)
    }

    /// `time + duration`, saturated instead of overflowing (damaged timestamps, huge thresholds).
    static func after(_ time: Int64, _ duration: Int64) -> Int64 {
        let (sum, overflow) = time.addingReportingOverflow(duration)
        return overflow ? (duration > 0 ? .max : .min) : sum
    }

    // MARK: Slots

    /// The open attempt from these endpoints, if any.
    @inline(__always)
    func findAttempt(_ key: AttemptKey) -> Int32? {
        guard !index.isEmpty else { return nil }
        return index.find(hasher.hash(key.client, key.peer)) { attempts[Int($0)].key == key }
    }

    mutating func open(_ key: AttemptKey, time: Int64, frame: UInt64, isn: UInt32, advertised entry: AdvertisedEndpoints.Entry) {
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            var frames = attempts[Int(slot)].frames
            attempts[Int(slot)].frames = []
            frames.removeAll(keepingCapacity: true)
            frames.append(frame)
            attempts[Int(slot)] = Attempt(key: key, firstTime: time, frames: frames, isn: isn, advertised: entry,
                                          sequence: nextSequence)
        } else {
            slot = Int32(attempts.count)
            attempts.append(Attempt(key: key, firstTime: time, frames: [frame], isn: isn, advertised: entry,
                                    sequence: nextSequence))
        }
        nextSequence += 1
        index.insert(slot, hash: hasher.hash(key.client, key.peer))
        byFrame.insert(slot, hash: hasher.hash(frame, 0))
        schedule(slot)
    }

    /// Ends an attempt (answered, reported or given up) and returns it; its slot is free again.
    @discardableResult
    mutating func close(_ slot: Int32) -> Attempt {
        let attempt = attempts[Int(slot)]
        index.remove(slot, hash: hasher.hash(attempt.key.client, attempt.key.peer))
        if let first = attempt.frames.first { byFrame.remove(slot, hash: hasher.hash(first, 0)) }
        if let reset = attempt.pendingReset { byFrame.remove(slot, hash: hasher.hash(reset.frame, 0)) }
        deadlines.remove(slot)
        freeSlots.append(slot)
        return attempt
    }

    mutating func removeAllAttempts() {
        attempts.removeAll()
        freeSlots.removeAll()
        index.removeAll()
        byFrame.removeAll()
        deadlines.removeAll()
    }

    // MARK: Findings

    mutating func report(_ attempt: Attempt, detail: Finding.Detail, time: Int64, final: Bool = true, emit: (Finding) -> Void,
                         proof: String) {
        let key = attempt.key
        let isPeerItself = detail == .rstFromPeer
        if isPeerItself {
            // The firewall let it through: the port was reached, though nothing listened.
            ledger.reached(key.peer, frames: attempt.frames)
        } else {
            ledger.blocked(key.peer, frames: attempt.frames)
        }
        let severity: Finding.Severity = isPeerItself || !final ? .warning : .error
        var explanation = "A connection from \(key.client) to the peer's port \(key.peer.port) at \(key.peer.address)"
        if let uin = attempt.advertised.uin { explanation += " (UIN \(uin), " } else { explanation += " (" }
        explanation += "advertised in \(attempt.advertised.source.rawValue.split(separator: "_").joined(separator: " ")) at frame \(attempt.advertised.frame)"
        if let application = attempt.advertised.application {
            explanation += " for \(ExternalApplicationCapability.name(application)), an external application"
        }
        explanation += ") failed: \(proof)."
        if attempt.notForwarded { explanation += " The SYN reached the gateway and never left it." }
        // From a client inside to a peer outside, the guide's requirement is outgoing TCP.
        let outgoing = isInside(key.client.address) && !isInside(key.peer.address)
        if outgoing { explanation = "An outgoing connection from the client inside at " + explanation.dropFirst("A connection from ".count) }
        var advice: String
        if isPeerItself {
            advice = "The firewall let the attempt through; the peer is not listening on that port. Check the peer's ICQ settings, or let it listen on one of the ports the firewall allows."
        } else {
            // Blocks of the same way are counted per way, up to a bound: beyond it, "more than".
            let way = BlockWay(detail: detail, final: final)
            let beyond = (blockedTargets[way]?.count ?? 0) >= Self.maximumBlockedTargets
                && blockedTargets[way]?.contains(key.peer) != true
            if !beyond { blockedTargets[way, default: []].insert(key.peer) }
            let targets = blockedTargets[way]!.count
            let policy = outgoing ? "outgoing connections" : "peer connections"
            if outgoing {
                advice = "Allow outgoing TCP connections from the ICQ clients, to all addresses or at least to the peers' ports above 1023 (the guide: your firewall must enable outgoing TCP connections)."
            } else {
                advice = "Allow TCP connections between ICQ peers on ports above 1023 (ICQ needs at least 3 open), in both directions, and outgoing TCP."
            }
            if beyond {
                explanation += " More than \(Self.maximumBlockedTargets) peer ports were blocked the same way: the policy blocks \(policy) in general, not one port."
            } else if targets >= 3 {
                explanation += " This is the \(Self.ordinal(targets)) peer port blocked the same way: the policy blocks \(policy) in general, not one port."
            }
            if !outgoing && (beyond || targets >= 3) {
                advice += " Or restrict the clients to a small listening port range and open exactly that range."
            }
        }
        emit(Finding(kind: outgoing ? .outgoingTCPBlocked : .blockedPeerPort, severity: severity,
                     level: final ? .final : .provisional, detail: detail,
                     firstTime: attempt.firstTime, lastTime: time, frames: attempt.frames, client: key.client,
                     peer: key.peer, uin: uinByAddress[key.client.address] ?? nil,
                     requirement: attempt.advertised.application != nil ? .externalApplications : (outgoing ? .outgoingTCP : .peerTCPPorts),
                     explanation: explanation, advice: advice))
        if final && !isPeerItself && !outgoing && attempt.advertised.connectionMode == 4 {
            warnDirectMode(attempt, time: time, emit: emit)
        }
    }

    /// The client whose port was blocked announced direct connections (mode 4): its peers keep
    /// trying a port the firewall blocks. Once per listening endpoint.
    mutating func warnDirectMode(_ attempt: Attempt, time: Int64, emit: (Finding) -> Void) {
        let listening = attempt.key.peer
        guard !directModeWarned.contains(listening), directModeWarned.count < 4096 else { return }
        directModeWarned.insert(listening)
        let who = attempt.advertised.uin.map { "UIN \($0)" } ?? "The client"
        emit(Finding(kind: .directModePortBlocked, severity: .warning, firstTime: attempt.firstTime, lastTime: time,
                     frames: [attempt.advertised.frame] + attempt.frames, client: listening, peer: attempt.key.client,
                     uin: attempt.advertised.uin, requirement: .peerTCPPorts,
                     explanation: "\(who) announced direct connections (mode 4) on \(listening) at frame \(attempt.advertised.frame), but the firewall blocks that port: its peers' connections fail before they fall back to the server.",
                     advice: "In ICQ's preferences (Connection), select 'I am behind a firewall or proxy' and set the port range the firewall opens; or open the client's port."))
    }

    /// 1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st.
    static func ordinal(_ n: Int) -> String {
        let suffix = (11...13).contains(n % 100) ? "th" : (n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th")
        return "\(n)\(suffix)"
    }

    /// Inside, as the output contract defines it: within `--inside` when given, else a host seen
    /// logging in to the server (the clients' side of the capture).
    func isInside(_ address: IPAddress) -> Bool {
        if !thresholds.inside.isEmpty { return thresholds.inside.contains { $0.contains(address) } }
        return uinByAddress[address] != nil
    }
}
