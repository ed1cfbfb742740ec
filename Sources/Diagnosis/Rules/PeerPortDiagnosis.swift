import Bytes
import Capture
import Tracking
import Wire

/// Rule R4: a TCP connection attempt to a peer's port above 1023 (or to the BOS server an OSCAR
/// login redirected its client to, `PeerPortDiagnosis+BOS`) that a filter answered (a forged
/// reset, an ICMP administratively prohibited, an ICMP port unreachable to a SYN) or that nobody
/// answered at all (provisional at `synProvisional`, final at `synFinal`, or final at once when
/// the gateway's two sides show the SYN dropped there). A reset the peer sent itself means it is
/// not listening (warning). Network and host unreachable are routing, and attempts to a peer's
/// private LAN address are expected to fail: neither is a block.
///
/// Tracking follows the attempts (`ConnectionAttempts`); this rule judges what became of each
/// (`ConnectionAttemptEvent`), and keeps the ledger of every advertised port for the report card.
public final class PeerPortDiagnosis {
    public let thresholds: Thresholds
    let emit: (Finding) -> Void
    /// The attempts judged here, asked who logged in where (a finding names the user, and
    /// "inside" is where clients log in from).
    let attempts: ConnectionAttempts
    /// Every port advertised, and whether it was reached, blocked or never tried.
    public private(set) var ledger = PeerPortLedger()
    /// Distinct peer endpoints remembered per way of blocking, for "the Nth peer port blocked
    /// the same way": beyond them, more are only said to be more.
    static let maximumBlockedTargets = 4_096

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

    /// A shard of `read --threads` logs the ledger's changes; the merge replays them in order.
    public func logLedger(_ log: @escaping (PeerPortLedger.Call) -> Void) { ledger.onCall = log }
    public func replayLedger(_ call: PeerPortLedger.Call) { ledger.replay(call) }

    /// Judges `attempts`' events from now on.
    public init(thresholds: Thresholds, attempts: ConnectionAttempts, emit: @escaping (Finding) -> Void) {
        self.thresholds = thresholds
        self.attempts = attempts
        self.emit = emit
        attempts.onEvent = { [unowned self] event in self.judge(event) }
    }

    /// An endpoint a client advertised or announced inside a protocol, for the ledger.
    public func advertised(_ endpoint: Endpoint, uin: UInt32?, source: AdvertisedEndpoints.Source,
                           isLANAddress: Bool = false, frame: UInt64, connectionMode: UInt8? = nil,
                           application: UInt8? = nil) {
        // The ledger lists peers' ports; a BOS server is the client's own server.
        guard source != .bosRedirect else { return }
        ledger.advertised(endpoint, uin: uin, source: source, isLANAddress: isLANAddress, frame: frame,
                          connectionMode: connectionMode, application: application)
    }

    /// Peer-to-peer PDUs flowed on a connection to `responder`: its port was reached.
    public func peerConversation(responder: Endpoint, frame: UInt64) {
        ledger.reached(responder, frame: frame)
    }

    /// Judges one event (the merge of `read --threads` hands over the shards' events in one
    /// thread's order: the counts of blocks and the warnings are run-wide).
    public func judge(_ event: ConnectionAttemptEvent) {
        switch event {
        case .answered(let attempt, let frame):
            guard attempt.advertised.source != .bosRedirect else { return }
            ledger.reached(attempt.key.peer, opening: attempt.frames[0], frame: frame)
        case .reset(let attempt, let time, .crossedGateway):
            report(attempt, detail: .rstFromPeer, time: time,
                   proof: "the peer's own host answered with a reset (seen on both sides of the gateway): nothing listens on that port")
        case .reset(let attempt, let time, .oneSideOnly):
            report(attempt, detail: .rstFromMiddlebox, time: time,
                   proof: "a reset came back on one side of the gateway only: the gateway forged it in the peer's name")
        case .reset(let attempt, let time, .oneVantage(let fit)):
            if let misfit = Self.misfit(fit) {
                report(attempt, detail: .rstFromMiddlebox, time: time,
                       proof: "a reset came back \(misfit): something on the way forged it in the peer's name")
            } else {
                report(attempt, detail: .rstFromPeer, time: time,
                       proof: "the peer's own host answered with a reset: nothing listens on that port")
            }
        case .icmpUnreachable(let attempt, let time, let code, let reporter, let inPeersName):
            let sender = inPeersName.map(Self.senderOfError) ?? ""
            switch code {
            case 9, 10, 13:
                report(attempt, detail: .icmpAdminProhibited, time: time,
                       proof: "\(reporter) answered with ICMP destination unreachable code \(code) (communication administratively prohibited): a filter refused it\(sender)",
                       peersOwnFirewall: inPeersName.map { Self.misfit($0) == nil && $0.usualTTL != nil } ?? false)
            case 3:
                report(attempt, detail: .icmpPortUnreachable, time: time,
                       proof: "\(reporter) answered the SYN with ICMP port unreachable; a TCP stack answers a closed port with a reset, so this is a firewall's reject rule\(sender)",
                       peersOwnFirewall: inPeersName.map { Self.misfit($0) == nil && $0.usualTTL != nil } ?? false)
            default:
                // Network or host unreachable (and the rest): a routing problem, not a block.
                break
            }
        case .unanswered(let attempt, let time, final: true):
            report(attempt, detail: .noAnswer, time: time, final: true,
                   proof: "nothing answered the SYN (sent \(attempt.retransmissions + 1) time\(attempt.retransmissions == 0 ? "" : "s")) within \(seconds(thresholds.synFinal)) s")
        case .unanswered(let attempt, let time, final: false):
            report(attempt, detail: .noAnswer, time: time, final: false,
                   proof: "nothing answered the SYN within \(seconds(thresholds.synProvisional)) s, though it was retransmitted")
        case .droppedAtGateway(let attempt, let time):
            // (A SYN retransmitted after its attempt ended is that attempt's: Tracking opens no
            // second attempt for it, so nothing here is said twice.)
            report(attempt, detail: .noAnswer, time: time, final: true,
                   proof: "nothing answered the SYN (sent \(attempt.retransmissions + 1) time\(attempt.retransmissions == 0 ? "" : "s")); the capture ended before \(seconds(thresholds.synFinal)) s had passed, but the gateway's two sides prove the block")
        }
    }
}

/// Rule R4's findings: a blocked attempt said in words, with its proof and advice.
extension PeerPortDiagnosis {
    /// A reset that arrives with a higher TTL than the address's other packets came from nearer
    /// than that host (a gateway forging it answers with its own initial TTL: 64 where the peer's
    /// packets, forwarded once, have 63). One lower may be a route one hop longer; more is forged.
    static func isForged(resetTTL ttl: UInt8, usualTTL usual: UInt8) -> Bool {
        ttl > usual || Int(usual) - Int(ttl) > 1
    }

    /// Where one counter numbers the peer's packets to every destination, its own reset or error
    /// carries an id after the counter's latest: by at least one, and by at most what the peer
    /// can have sent others meanwhile (256, and 200 packets a second since). Zero (a Linux
    /// gateway's reject), a repeat, an id behind, or one far ahead is another sender's.
    static func isOutOfSequence(id: UInt16, counter: IPIDCounter) -> Bool {
        let step = Int(id &- counter.latest)
        let allowance = min(32_767, 256 + Int(min(counter.age / 5_000_000, 32_767)))
        return step == 0 || step > allowance
    }

    /// Why a packet in the peer's name (a reset, an ICMP error) did not come from the peer's
    /// host, in words after "came back", or nil when its TTL and IP id fit the peer's packets.
    static func misfit(_ fit: SenderFit) -> String? {
        if let usual = fit.usualTTL, isForged(resetTTL: fit.ttl, usualTTL: usual) {
            return "with TTL \(fit.ttl), where the peer's own packets arrive with TTL \(usual)"
        }
        if let id = fit.ipID, let counter = fit.counter, isOutOfSequence(id: id, counter: counter) {
            return "with IP id \(id), where one counter numbers the peer's packets here (\(counter.latest), \(seconds(counter.age)) s before)"
        }
        return nil
    }

    /// An ICMP error from the peer's own address: sent in its name by something on the way, or
    /// by the peer's host (a firewall there). Nothing is said when no packet of the peer's shows.
    static func senderOfError(_ fit: SenderFit) -> String {
        if let misfit = misfit(fit) { return "; it came in the peer's name, \(misfit): the firewall on the way answered for the peer" }
        guard fit.usualTTL != nil else { return "" }
        return "; the peer's own host sent it (its TTL fits the peer's other packets): a firewall on the peer itself refused the SYN"
    }

    func report(_ attempt: ConnectionAttempt, detail: Finding.Detail, time: Int64, final: Bool = true, proof: String,
                peersOwnFirewall: Bool = false) {
        if attempt.advertised.source == .bosRedirect {
            return reportBOS(attempt, detail: detail, time: time, final: final, proof: proof)
        }
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
            if peersOwnFirewall { advice += " The refusal came from the peer's own host: its own firewall must let the port in too." }
        }
        emit(Finding(kind: outgoing ? .outgoingTCPBlocked : .blockedPeerPort, severity: severity,
                     level: final ? .final : .provisional, detail: detail,
                     firstTime: attempt.firstTime, lastTime: time, frames: attempt.frames, client: key.client,
                     peer: key.peer, uin: attempts.loggedIn(at: key.client.address) ?? nil,
                     requirement: attempt.advertised.application != nil ? .externalApplications : (outgoing ? .outgoingTCP : .peerTCPPorts),
                     explanation: explanation, advice: advice))
        if final && !isPeerItself && !outgoing && attempt.advertised.connectionMode == 4 {
            warnDirectMode(attempt, time: time)
        }
    }

    /// The client whose port was blocked announced direct connections (mode 4): its peers keep
    /// trying a port the firewall blocks. Once per listening endpoint.
    func warnDirectMode(_ attempt: ConnectionAttempt, time: Int64) {
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
        return attempts.loggedIn(at: address) != nil
    }
}
