import Bytes
import Capture
import Diagnosis
import Tracking
import Wire

/// Classic ICQ above the decoder: the session tracker, the rules that judge it, and the evidence
/// a two-sided gateway capture adds. Owned by the Analyzer; findings and ended sessions go back
/// to it through the two closures.
final class ICQAnalysis {
    let tracker: ICQSessionTracker
    let diagnosis: ICQDiagnosis
    private let sessionEnded: (ICQSession) -> Void
    /// The tracker's events are drained into this buffer after each call (reused, never shrunk).
    private var events: [ICQSessionTracker.Event] = []
    /// On a two-sided capture, the side each session's client is on: only what the client's side
    /// saw is what the client sent and received. Outlives the session for a while (a session
    /// that resumes after an idle timeout keeps its side), bounded by `clientSideKeys`.
    private var clientSide: [ICQSession.Key: Int] = [:]
    private var clientSideKeys = ICQKeyQueue()
    /// Packets seen on the far side, remembered until the gateway matcher says whether they were
    /// forwarded (bounded: the matcher's window is a second, and what it gives up when full is
    /// forgotten here too).
    private var farSide: [UInt64: (key: ICQSession.Key, fromServer: Bool, gap: Int64)] = [:]
    private let serverPorts: [UInt16]
    private let evidence: RequirementEvidence
    /// A shard of `read --threads`: told each event before it is judged (its order among what
    /// comes due at one instant), and when a packet moves the tracker's clock (true before, false after).
    var eventBegins: ((ICQSessionTracker.Event) -> Void)? = nil
    var clockMoving: ((Bool) -> Void)? = nil
    /// The NAT mappings the gateway's public side shows, as bounds of the UDP timeout.
    private var natMappings = NATMappingEvidence()
    /// Sessions whose first packet was the server's: the side taken as their client's may be the
    /// public one, so their mappings prove nothing (forgotten with `clientSide`).
    private var firstSeenFromServer: Set<ICQSession.Key> = []

    init(thresholds: Thresholds, serverPorts: [UInt16], maximumSessions: Int, evidence: RequirementEvidence,
         findings: @escaping (Finding) -> Void,
         sessionEnded: @escaping (ICQSession) -> Void) {
        var configuration = ICQSessionTracker.Configuration()
        configuration.timing = thresholds.icq
        configuration.maximumSessions = maximumSessions
        let diagnosis = ICQDiagnosis(thresholds: thresholds, emit: findings)
        self.diagnosis = diagnosis
        self.serverPorts = serverPorts
        self.evidence = evidence
        tracker = ICQSessionTracker(configuration: configuration)
        self.sessionEnded = sessionEnded
        diagnosis.gatewayOf = { [unowned self] key in self.natMappings.gateway(of: key) }
    }

    /// Judges what the tracker reported, in the order it happened.
    private func drain() {
        guard tracker.hasEvents else { return }
        tracker.drainEvents(into: &events)
        for event in events {
            eventBegins?(event)
            diagnosis.handle(event)
            if case .sessionEnded(let session) = event {
                if natMappings.count > 0 { natMappings.forget(session.key) }
                sessionEnded(session)
            }
        }
    }

    func observe(_ packet: ICQPacket, decoded: DecodedPacket, frame: UInt64, time: Int64, side: Int, twoSided: Bool) {
        guard case .udp(let udp) = decoded.transport, let src = decoded.sourceAddress, let dst = decoded.destinationAddress,
              let uin = packet.header.uin, let sessionID = packet.header.sessionID else { return }
        let source = Endpoint(address: src, port: udp.sourcePort)
        let destination = Endpoint(address: dst, port: udp.destinationPort)
        let key = ICQSession.Key(uin: uin, sessionID: sessionID)
        let fromClient = packet.header.direction == .clientToServer
        // One-sided, the endpoint the tracker follows is the public one: its rebindings are the
        // NAT's, and bound the timeout (ICQDiagnosis); two-sided, it is the client's own.
        diagnosis.rebindingsAreNAT = !twoSided
        if twoSided {
            // The side of the session's first packet is taken as the client's (a session's first
            // packet is normally the client's login, which starts on the client's side).
            let home = clientSide[key] ?? rememberClientSide(key, side, fromClient: fromClient)
            if side != home {
                evidence.icqPacket(fromClient: fromClient, onClientSide: false, frame: frame)
                let facts = tracker.facts(for: key)
                let gap = facts.map { CaptureTime.elapsed(from: $0.lastTime, to: time) } ?? 0
                if let facts {
                    publicSide(key, GatewaySides(inside: home, outside: side), client: fromClient ? source : nil,
                               privateEndpoint: facts.client, frame: frame, time: time)
                }
                farSide[frame] = (key, !fromClient, gap)
                if farSide.count > 4 * Self.matcherCapacity { forgetOldestFarSide() }
                return
            }
        }
        evidence.icqPacket(fromClient: fromClient, onClientSide: true, frame: frame)
        // What came due before this packet is resolved first (the tracker would do it inside
        // `observe`): apart, so that a shard can say where in the frame it happened.
        clockMoving?(true)
        tracker.advance(to: time)
        drain()
        clockMoving?(false)
        tracker.observe(packet, source: source, destination: destination, frame: frame, time: time, side: side)
        drain()
        if fromClient { diagnosis.clientSpoke(key) }
    }

    /// A key's side is forgotten once as many newer keys have come as the tracker holds sessions
    /// twice over, unless its session is still open.
    private func rememberClientSide(_ key: ICQSession.Key, _ side: Int, fromClient: Bool) -> Int {
        clientSide[key] = side
        if !fromClient { firstSeenFromServer.insert(key) }
        clientSideKeys.append(key)
        let keep = max(65_536, 2 * tracker.configuration.maximumSessions)
        while clientSideKeys.count > keep, let oldest = clientSideKeys.removeFirst() {
            if tracker.isOpen(oldest) {
                clientSideKeys.append(oldest)
            } else {
                clientSide.removeValue(forKey: oldest)
                firstSeenFromServer.remove(oldest)
            }
        }
        return side
    }

    /// A packet of an open session on the gateway's public side: the gateway it crosses, and
    /// what its mapping shows of the UDP timeout.
    private func publicSide(_ key: ICQSession.Key, _ gateway: GatewaySides, client: Endpoint?, privateEndpoint: Endpoint,
                            frame: UInt64, time: Int64) {
        if natMappings.gateway(of: key) == nil { diagnosis.noteGateway(gateway) }
        let trusted = firstSeenFromServer.isEmpty || !firstSeenFromServer.contains(key)
        for bound in natMappings.publicSide(key: key, gateway: gateway, client: trusted ? client : nil,
                                            privateEndpoint: privateEndpoint, frame: frame, time: time) {
            diagnosis.mapping(bound)
        }
    }

    /// A packet the gateway matcher says never crossed the gateway.
    func unforwarded(_ u: GatewayMatcher.Unforwarded) {
        guard let remembered = farSide.removeValue(forKey: u.frame) else { return }
        guard let session = tracker.facts(for: remembered.key) else { return }
        diagnosis.gatewayDropped(session: session, frame: u.frame, time: u.time, fromServer: remembered.fromServer,
                                 gap: remembered.gap)
    }

    /// The gateway matcher's capacity: when it holds more packets it gives up the oldest and
    /// never reports them, so far-side frames older than that many newer ones are given up.
    static let matcherCapacity = 65_536

    /// Keeps the newest far-side frames, twice the matcher's capacity (once per that many
    /// packets, and only while the matcher is giving packets up).
    private func forgetOldestFarSide() {
        let frames = farSide.keys.sorted()
        for frame in frames.prefix(frames.count - 2 * Self.matcherCapacity) { farSide.removeValue(forKey: frame) }
    }

    /// Forwarded copies need not be remembered.
    func forwarded(frame: UInt64) {
        farSide.removeValue(forKey: frame)
    }

    /// ICMP destination unreachable quoting a classic ICQ datagram. When the quote shows the
    /// ICQ header, its UIN and session id name the session (whatever NAT did to the addresses)
    /// and its sequence number the exact packet; otherwise the quoted client endpoint does.
    func icmpError(_ message: ICQMessageQuote) {
        let quotesServer = message.icq.map { $0.direction == .serverToClient }
            ?? serverPorts.contains(message.quoted.sourcePort ?? 0)
        let clientEndpoint = quotesServer
            ? Endpoint(address: message.quoted.destination, port: message.quoted.destinationPort ?? 0)
            : Endpoint(address: message.quoted.source, port: message.quoted.sourcePort ?? 0)
        let quotedKey = message.icq.flatMap { h in h.uin.flatMap { uin in h.sessionID.map { ICQSession.Key(uin: uin, sessionID: $0) } } }
        guard let key = quotedKey.flatMap({ tracker.facts(for: $0) != nil ? $0 : nil }) ?? tracker.sessionKey(forClient: clientEndpoint),
              let session = tracker.facts(for: key) else { return }
        diagnosis.icmpError(session: session, frame: message.frame, time: message.time, code: message.code,
                            quotesServerPacket: quotesServer,
                            quotedPacket: message.icq.map { ICQDiagnosis.QuotedPacket(command: $0.command, seq1: $0.seq1) })
    }

    func advance(to time: Int64) {
        tracker.advance(to: time)
        drain()
    }

    func finish() {
        finishSessions()
        diagnosis.finish()
    }

    /// Ends every session (end of capture), judging their events as they come.
    func finishSessions() {
        tracker.finish { drain() }
    }
}

/// An ICMP error as the ICQ analysis needs it.
struct ICQMessageQuote {
    var frame: UInt64
    var time: Int64
    var code: UInt8
    var quoted: QuotedDatagram
    /// The ICQ header inside the quote, when it reached that far.
    var icq: ICQHeader?
}
