import Bytes
import Capture
import Tracking
import Wire

/// Rules R1, R2, R3, R5 and the keep-alive check (docs/flow-semantics.md#rules) over classic ICQ
/// sessions. Fed with the session tracker's events and with evidence from outside it (gateway
/// drops, ICMP errors); emits each finding once, as soon as it is established.
public final class ICQDiagnosis {
    public let thresholds: Thresholds
    private let emit: (Finding) -> Void
    /// Sessions already reported as unable to reach the server (R5), so R1 stays quiet for them.
    private var pathBlocked: Set<ICQSession.Key> = []
    /// Server packets of each session that arrived at the gateway and never left it.
    private var gatewayDrops: [ICQSession.Key: [(frame: UInt64, time: Int64)]] = [:]
    /// Client packets that never left the gateway (outbound blocked there).
    private var outboundGatewayDrops: [ICQSession.Key: [UInt64]] = [:]
    /// ICMP errors about the session's datagrams: reporter, frame, code, and whose packet they quote.
    private var icmpErrors: [ICQSession.Key: [ICMPErrorEvidence]] = [:]
    /// Timeouts established by gateway evidence, so the same gap is reported once.
    private var timeoutReported: Set<ICQSession.Key> = []
    /// Timed-out candidates waiting for the client's next packet (NAT rebinding) before they are
    /// reported at the level they reached.
    private var pendingTimeouts: [ICQSession.Key: Finding] = [:]
    /// Server packets after an idle gap that were never acknowledged and have no proof yet of
    /// being lost: a NAT rebinding on the client's next packet proves it (for the bracket).
    private var unprovenLosses: [ICQSession.Key: (gap: Int64, frames: [UInt64])] = [:]
    /// The client's latest NAT rebinding while no timed-out candidate waited for it: a push sent
    /// into the idle gap may still be waiting for its ack then (the client came back from a new
    /// port before the server gave it up), and is confirmed by it when it is given up.
    private var rebindings: [ICQSession.Key: (frame: UInt64, time: Int64, from: Endpoint, to: Endpoint)] = [:]
    /// What the capture shows of the firewall's UDP idle timeout, whatever `--firewall-timeout`
    /// says: over all the evidence, and per gateway.
    public internal(set) var udpTimeouts = UDPTimeoutBrackets()
    public var udpTimeout: UDPTimeoutBracket { udpTimeouts.overall }
    /// The gateway a session crosses, where a two-sided capture shows it (set by the engine).
    public var gatewayOf: (ICQSession.Key) -> GatewaySides? = { _ in nil }
    /// Whether the tracker's NAT rebindings are the NAT's (a one-sided capture: the endpoint it
    /// follows is the public one) and so bound the timeout: the client's packet came from a new
    /// endpoint an idle gap after its previous one (`NATMappingEvidence.rebound`).
    public var rebindingsAreNAT = true
    /// The longest keep-alive interval of any session, where it was learned, and its frames.
    public private(set) var longestKeepalive: (interval: Int64, learnedFrom: String, frames: [UInt64])? = nil

    public init(thresholds: Thresholds, emit: @escaping (Finding) -> Void) {
        self.thresholds = thresholds
        self.emit = emit
    }

    /// Entries held for open sessions, across every table above (each forgets a session when
    /// it ends): for tests of bounded memory.
    public var sessionEntries: Int {
        pathBlocked.count + gatewayDrops.count + outboundGatewayDrops.count + icmpErrors.count
            + timeoutReported.count + pendingTimeouts.count + unprovenLosses.count + rebindings.count
    }

    // MARK: evidence from outside the tracker

    /// A packet of the session arrived at the gateway and never left it.
    public func gatewayDropped(session: ICQSessionFacts, frame: UInt64, time: Int64, fromServer: Bool, gap: Int64) {
        if !fromServer {
            Self.keepRecent(&outboundGatewayDrops[session.key, default: []], frame)
            return
        }
        Self.keepRecent(&gatewayDrops[session.key, default: []], (frame, time))
        udpTimeouts.lost(at: gatewayOf(session.key), afterIdle: gap, frames: [frame])
        guard gap > thresholds.firewallTimeout, !timeoutReported.contains(session.key) else { return }
        timeoutReported.insert(session.key)
        pendingTimeouts.removeValue(forKey: session.key)
        emit(timeoutFinding(session, level: .confirmed, detail: .droppedAtGateway, frames: [frame],
                            firstTime: time, lastTime: time, gap: gap,
                            proof: "the server's packet arrived at the gateway from outside and never left it on the inside"))
    }

    /// An ICMP destination-unreachable quoting one of the session's datagrams.
    /// `quotedPacket`: the ICQ command and sequence number the error quotes, when the quote
    /// reaches the ICQ header; it ties the error to that exact packet.
    public func icmpError(session: ICQSessionFacts, frame: UInt64, time: Int64, code: UInt8, quotesServerPacket: Bool,
                          quotedPacket: QuotedPacket? = nil) {
        Self.keepRecent(&icmpErrors[session.key, default: []],
                        ICMPErrorEvidence(frame: frame, time: time, code: code, aboutServerPacket: quotesServerPacket,
                                          quoted: quotedPacket))
    }

    /// Evidence kept per session and kind: the rules look at what came during an exchange, so
    /// the most recent entries are the ones kept (a flood of forged ICMP errors quoting one
    /// session's datagrams must not grow its list, nor the time to search it, without end).
    static let evidencePerSession = 64

    static func keepRecent<Element>(_ list: inout [Element], _ element: Element) {
        if list.count >= evidencePerSession { list.removeFirst(list.count - evidencePerSession + 1) }
        list.append(element)
    }

    // MARK: tracker events

    public func handle(_ event: ICQSessionTracker.Event) {
        switch event {
        case .request(let session, let exchange, let acked):
            judgeRequest(session, exchange, acked: acked)
        case .push(let session, let exchange, let acked):
            judgePush(session, exchange, acked: acked)
        case .rebinding(let session, let frame, let time, let from, let to):
            if rebindingsAreNAT, let bound = NATMappingEvidence.rebound(
                gap: CaptureTime.elapsed(from: session.lastClientTime ?? session.firstTime, to: time), frame: frame) {
                mapping(bound)
            }
            if let loss = unprovenLosses.removeValue(forKey: session.key) {
                udpTimeouts.lost(at: gatewayOf(session.key), afterIdle: loss.gap, frames: loss.frames + [frame])
            }
            if var finding = pendingTimeouts.removeValue(forKey: session.key) {
                Self.confirm(&finding, byRebindingAt: frame, time: time, from: from, to: to)
                emit(finding)
            } else {
                rebindings[session.key] = (frame, time, from, to)
            }
        case .serverSequenceGap(let session, let frame, let time, let expected, let got):
            let gap = CaptureTime.elapsed(from: session.lastClientTime ?? session.firstTime, to: time)
            udpTimeouts.lost(at: gatewayOf(session.key), afterIdle: gap, frames: (session.lastServerSeqFrame.map { [$0] } ?? []) + [frame])
            guard !timeoutReported.contains(session.key) else { return }
            timeoutReported.insert(session.key)
            emit(timeoutFinding(session, level: .confirmed, detail: .serverSequenceGap,
                                frames: (session.lastServerSeqFrame.map { [$0] } ?? []) + [frame],
                                firstTime: time, lastTime: time, gap: gap,
                                proof: "the next server packet the client received carried sequence \(got) where \(expected) was due: the packets in between were sent and never arrived"))
        case .unresolved(let session, let exchange, let fromClient, let atEndOfCapture, let waited):
            if atEndOfCapture { unresolved(session, exchange, fromClient: fromClient, waited: waited) }
        case .sessionEnded(let session):
            flushPendingTimeout(session.key)
            unprovenLosses.removeValue(forKey: session.key)
            rebindings.removeValue(forKey: session.key)
            noteKeepalive(session)
            judgeKeepalive(session)
            // Everything kept per session ends with it (memory stays bounded on a busy
            // gateway): a later session with the same key starts afresh.
            gatewayDrops.removeValue(forKey: session.key)
            outboundGatewayDrops.removeValue(forKey: session.key)
            icmpErrors.removeValue(forKey: session.key)
            pathBlocked.remove(session.key)
            timeoutReported.remove(session.key)
        }
    }

    /// Deadlines still open when the capture ended: reported as such, never guessed.
    public private(set) var openAtEnd: [OpenDeadline] = []

    public struct OpenDeadline: Sendable {
        public var uin: UInt32
        public var what: String
        public var frames: [UInt64]
    }

    private func unresolved(_ session: ICQSessionFacts, _ exchange: ICQExchange, fromClient: Bool, waited: Int64) {
        // The one conclusion that needs no give-up: the server never spoke at all (R5), once the
        // ack wait after the last copy has passed.
        if fromClient && exchange.copyCount >= 2 && session.serverPackets == 0 && waited > thresholds.ackWait {
            reportPathBlocked(session, exchange, atEndOfCapture: true)
            return
        }
        if !fromClient && exchange.gapBefore > thresholds.firewallTimeout && !timeoutReported.contains(session.key) {
            // The packet after the gap is itself the evidence of a suspected timeout; whether
            // the client would have acknowledged it, the capture does not show.
            timeoutReported.insert(session.key)
            // An ICMP error from the client's side quoting the push proves it lost, whether or
            // not the capture lasted until the client's ack was due.
            if let icmp = (icmpErrors[session.key] ?? []).first(where: { $0.aboutServerPacket && $0.concerns(exchange) }) {
                udpTimeouts.lost(at: gatewayOf(session.key), afterIdle: exchange.gapBefore, frames: exchange.frames + [icmp.frame])
                emit(timeoutFinding(session, level: .confirmed, detail: .icmpFromClientSide, frames: exchange.frames + [icmp.frame],
                                    firstTime: exchange.firstTime, lastTime: max(icmp.time, exchange.lastTime),
                                    gap: exchange.gapBefore, proof: icmp.clientSideProof))
                return
            }
            let levelProof = exchange.copyCount >= 2
                ? (Finding.Level.probable, Finding.Detail.serverRetransmits as Finding.Detail?, "the server retransmitted it \(exchange.copyCount - 1) times; the capture ended before the client's ack could be ruled out")
                : (.suspected, nil, "the capture ended before the client acknowledged it")
            emit(timeoutFinding(session, level: levelProof.0, detail: levelProof.1, frames: exchange.frames,
                                firstTime: exchange.firstTime, lastTime: exchange.lastTime, gap: exchange.gapBefore,
                                proof: levelProof.2))
            return
        }
        guard exchange.copyCount >= 2 || exchange.gapBefore > thresholds.firewallTimeout else { return }
        let name = commandName(exchange.command, fromClient: fromClient)
        let who = fromClient ? "the client's \(name)" : "the server's \(name)"
        openAtEnd.append(OpenDeadline(
            uin: session.key.uin,
            what: "\(who) (seq \(hex(exchange.seq1))/\(exchange.seq2), \(exchange.copyCount) cop\(exchange.copyCount == 1 ? "y" : "ies")) was still unacknowledged, \(seconds(waited)) s after its last copy",
            frames: exchange.frames))
    }

    public func finish() {
        for key in pendingTimeouts.keys.sorted(by: { ($0.uin, $0.sessionID) < ($1.uin, $1.sessionID) }) {
            flushPendingTimeout(key)
        }
    }

    // MARK: R1 and R5

    private func judgeRequest(_ session: ICQSessionFacts, _ exchange: ICQExchange, acked: Bool) {
        guard exchange.copyCount >= 2 else { return }
        if session.serverPackets == 0 && !acked {
            reportPathBlocked(session, exchange, atEndOfCapture: false)
            return
        }
        if exchange.resentAfterAck {
            judgeAcksLostDownstream(session, exchange, acked: acked)
            return
        }
        // The server answered other packets while this one waited: the path back was open, so a
        // missing ack is the server ignoring this command, not a firewall dropping its reply.
        guard exchange.otherPartyPacketsWhileWaiting == 0, !pathBlocked.contains(session.key) else { return }
        let name = commandName(exchange.command, fromClient: true)
        let detail: Finding.Detail
        let severity: Finding.Severity
        var explanation = "The client sent \(name) (seq \(hex(exchange.seq1))/\(exchange.seq2)) \(exchange.copyCount) times, \(seconds(CaptureTime.elapsed(from: exchange.firstTime, to: exchange.lastTime))) apart in all"
        if acked {
            detail = .recovered
            severity = .warning
            explanation += "; the server's ack came only after the retransmissions, so earlier replies (or requests) were lost."
        } else if exchange.command == ICQCommand.Client.keepAlive || exchange.command == ICQCommand.Client.keepAlive2
                    || exchange.command == ICQCommand.Client.login {
            detail = .sessionLost
            severity = .error
            explanation += ", and no ack ever came. A lost \(name) makes the client treat the session as dead."
        } else {
            detail = .abandoned
            severity = .error
            explanation += ", and no ack ever came: the client gave the request up."
        }
        let drops = (gatewayDrops[session.key] ?? []).filter { $0.time >= exchange.firstTime && $0.time <= (exchange.ack?.time ?? CaptureTime.after(exchange.lastTime, thresholds.ackWait)) }
        var advice = "Allow the replies from UDP port 4000 back to the client for as long as the client uses the session."
        if !drops.isEmpty {
            explanation += " The server's replies reached the gateway (frames \(drops.map { String($0.frame) }.joined(separator: ", "))) and were not forwarded: the firewall dropped them."
            advice = "The firewall drops the server's replies: allow UDP from port 4000 back to the client (a stateful rule: established/related accepted)."
        } else if let outbound = outboundGatewayDrops[session.key], !outbound.isEmpty {
            explanation += " The client's requests did not leave the gateway (frames \(outbound.map(String.init).joined(separator: ", "))): the firewall dropped them on the way out."
            advice = "Allow outgoing UDP to port 4000."
        }
        emit(Finding(kind: .droppedReply, severity: severity, detail: detail, firstTime: exchange.firstTime,
                     lastTime: exchange.ack?.time ?? exchange.lastTime, frames: exchange.frames,
                     client: session.client, server: session.server, uin: session.key.uin,
                     requirement: .udp4000Replies, explanation: explanation, advice: advice))
    }

    /// The server acked a copy and the client sent another: the ack was lost between the
    /// capture point and the client (a capture on the server's side of the drop, outside).
    /// Server packets seen here prove nothing about the way back, so no copy is excused by them.
    private func judgeAcksLostDownstream(_ session: ICQSessionFacts, _ exchange: ICQExchange, acked: Bool) {
        guard !pathBlocked.contains(session.key) else { return }
        let name = commandName(exchange.command, fromClient: true)
        let lost = exchange.acksFollowedByCopies
        let detail: Finding.Detail
        let severity: Finding.Severity
        var explanation = "The client sent \(name) (seq \(hex(exchange.seq1))/\(exchange.seq2)) \(exchange.copyCount) times, \(seconds(CaptureTime.elapsed(from: exchange.firstTime, to: exchange.lastTime))) apart in all, although the server acked "
        explanation += acked ? "every copy" : "\(lost.count == 1 ? "a copy" : "\(lost.count) copies")"
        explanation += ": the ack\(lost.count == 1 ? "" : "s") in frame\(lost.count == 1 ? "" : "s") \(lost.map(String.init).joined(separator: ", ")) passed the capture point and never reached the client. The drop is downstream of the capture point, on the client's side."
        if acked {
            detail = .recovered
            severity = .warning
            explanation += " The client stopped resending after the last ack (frame \(exchange.ack.map { String($0.frame) } ?? "?")), which got through."
        } else if exchange.command == ICQCommand.Client.keepAlive || exchange.command == ICQCommand.Client.keepAlive2
                    || exchange.command == ICQCommand.Client.login {
            detail = .sessionLost
            severity = .error
            explanation += " Its last copies went unacknowledged. A lost \(name) makes the client treat the session as dead."
        } else {
            detail = .abandoned
            severity = .error
            explanation += " Its last copies went unacknowledged: the client gave the request up."
        }
        emit(Finding(kind: .droppedReply, severity: severity, detail: detail, firstTime: exchange.firstTime,
                     lastTime: exchange.ack?.time ?? exchange.lastTime, frames: exchange.frames,
                     client: session.client, server: session.server, uin: session.key.uin,
                     requirement: .udp4000Replies, explanation: explanation,
                     advice: "The server's replies are dropped on their way to the client, after this capture point: allow UDP from port 4000 back to the client (a stateful rule: established/related accepted); a capture on the client's side of the firewall shows where."))
    }

    private func reportPathBlocked(_ session: ICQSessionFacts, _ exchange: ICQExchange, atEndOfCapture: Bool) {
        guard !pathBlocked.contains(session.key) else { return }
        pathBlocked.insert(session.key)
        let errors = (icmpErrors[session.key] ?? []).filter { !$0.aboutServerPacket }
        let name = commandName(exchange.command, fromClient: true)
        var explanation = "The client sent \(name) to the server \(exchange.copyCount) times and never heard anything from it."
        var frames = exchange.frames
        var detail = Finding.Detail.noAnswer
        // The error that quotes one of these very requests, when the quotes show their ICQ headers.
        if let error = errors.first(where: { $0.concerns(exchange) }) ?? errors.first {
            detail = .icmp
            frames.append(error.frame)
            explanation += " An ICMP destination unreachable (code \(error.code)) came back instead\(error.quoted != nil ? ", quoting the request" + error.quotedText(fromClient: true) : "")\(error.code == 9 || error.code == 10 || error.code == 13 ? ", which means a filter refused it" : "")."
        }
        if let outbound = outboundGatewayDrops[session.key], !outbound.isEmpty {
            explanation += " The packets never left the gateway: the firewall blocks the way out."
        } else if atEndOfCapture {
            explanation += " The capture ended \(seconds(thresholds.ackWait)) s or more after the last attempt."
        }
        emit(Finding(kind: .serverPathBlocked, severity: .error, detail: detail, firstTime: exchange.firstTime,
                     lastTime: exchange.lastTime, frames: frames, client: session.client, server: session.server,
                     uin: session.key.uin, requirement: .udp4000Out, explanation: explanation,
                     advice: "Allow outgoing UDP to the ICQ server's port 4000 and the replies back; if direct UDP cannot be allowed, use a SOCKS5 proxy (it carries the UDP too)."))
    }

    // MARK: R2 and R3

    private func judgePush(_ session: ICQSessionFacts, _ exchange: ICQExchange, acked: Bool) {
        boundTimeout(session, exchange, acked: acked)
        if exchange.copyCount >= 2 {
            let name = commandName(exchange.command, fromClient: false)
            var explanation = "The server sent \(name) (seq \(hex(exchange.seq1))) \(exchange.copyCount) times"
            explanation += acked ? "; the client acknowledged only a retransmission, so earlier copies were lost on the way in."
                : ", and the client never acknowledged it: it did not get through."
            emit(Finding(kind: .pushUnacknowledged, severity: .warning, detail: acked ? .recovered : .undelivered,
                         firstTime: exchange.firstTime, lastTime: exchange.ack?.time ?? exchange.lastTime,
                         frames: exchange.frames, client: session.client, server: session.server, uin: session.key.uin,
                         requirement: .udp4000Replies, explanation: explanation,
                         advice: "Allow UDP from the server's port 4000 back to the client for the whole session."))
        }
        // R3: a push after an idle gap longer than the firewall's timeout that did not get through.
        guard !acked, exchange.gapBefore > thresholds.firewallTimeout, !timeoutReported.contains(session.key) else { return }
        let icmp = (icmpErrors[session.key] ?? []).first { $0.aboutServerPacket && $0.concerns(exchange) }
        let dropped = (gatewayDrops[session.key] ?? []).first { $0.time >= exchange.firstTime }
        var finding: Finding
        if let dropped {
            finding = timeoutFinding(session, level: .confirmed, detail: .droppedAtGateway, frames: exchange.frames + [dropped.frame],
                                     firstTime: exchange.firstTime, lastTime: exchange.lastTime, gap: exchange.gapBefore,
                                     proof: "the server's packet arrived at the gateway and never left it on the inside")
        } else if let icmp {
            finding = timeoutFinding(session, level: .confirmed, detail: .icmpFromClientSide, frames: exchange.frames + [icmp.frame],
                                     firstTime: exchange.firstTime, lastTime: icmp.time, gap: exchange.gapBefore,
                                     proof: icmp.clientSideProof)
        } else if exchange.copyCount >= 2 {
            finding = timeoutFinding(session, level: .probable, detail: .serverRetransmits, frames: exchange.frames,
                                     firstTime: exchange.firstTime, lastTime: exchange.lastTime, gap: exchange.gapBefore,
                                     proof: "the server retransmitted it \(exchange.copyCount - 1) times and the client never acknowledged it")
        } else {
            finding = timeoutFinding(session, level: .suspected, detail: nil, frames: exchange.frames,
                                     firstTime: exchange.firstTime, lastTime: exchange.lastTime, gap: exchange.gapBefore,
                                     proof: "the client never acknowledged it")
        }
        timeoutReported.insert(session.key)
        if finding.level != .confirmed, let rebinding = rebindings[session.key], rebinding.time >= exchange.firstTime {
            // The client came back from a new port while the push still waited (the server
            // keeps pushing to the old one): the NAT had forgotten the mapping.
            Self.confirm(&finding, byRebindingAt: rebinding.frame, time: rebinding.time, from: rebinding.from, to: rebinding.to)
            finding.lastTime = max(exchange.lastTime, rebinding.time)
            emit(finding)
        } else if finding.level == .confirmed {
            emit(finding)
        } else {
            // A NAT rebinding on the client's next packet would confirm it; wait for that packet.
            pendingTimeouts[session.key] = finding
        }
    }

    private static func confirm(_ finding: inout Finding, byRebindingAt frame: UInt64, time: Int64, from: Endpoint, to: Endpoint) {
        finding.level = .confirmed
        finding.detail = .natRebinding
        finding.severity = .error
        finding.frames.append(frame)
        finding.lastTime = time
        finding.explanation += " The client's next packet came from \(to) instead of \(from): the NAT had forgotten the mapping and made a new one."
    }

    private func flushPendingTimeout(_ key: ICQSession.Key) {
        // Called for every client packet: nothing to hash when nothing waits.
        if !unprovenLosses.isEmpty { unprovenLosses.removeValue(forKey: key) }
        guard !pendingTimeouts.isEmpty else { return }
        if let finding = pendingTimeouts.removeValue(forKey: key) { emit(finding) }
    }

    // MARK: the firewall's UDP timeout, bounded

    /// Whatever the configured timeout, a server packet after an idle gap bounds the real one:
    /// its first copy acknowledged shows the session outlived the gap; lost with proof, that it
    /// did not. Unproven losses wait for a NAT rebinding on the client's next packet.
    private func boundTimeout(_ session: ICQSessionFacts, _ exchange: ICQExchange, acked: Bool) {
        let gap = exchange.gapBefore
        guard gap >= UDPTimeoutBracket.shortestIdleGap else { return }
        if acked {
            if exchange.copyCount == 1, let ack = exchange.ack {
                udpTimeouts.delivered(at: gatewayOf(session.key), afterIdle: gap, frames: exchange.frames + [ack.frame])
            }
            return
        }
        let dropped = (gatewayDrops[session.key] ?? []).first { $0.time >= exchange.firstTime }
        let icmp = (icmpErrors[session.key] ?? []).first { $0.aboutServerPacket && $0.concerns(exchange) }
        if let proof = dropped?.frame ?? icmp?.frame {
            udpTimeouts.lost(at: gatewayOf(session.key), afterIdle: gap, frames: exchange.frames + [proof])
        } else if exchange.copyCount >= 2 {
            udpTimeouts.lost(at: gatewayOf(session.key), afterIdle: gap, frames: exchange.frames)
        } else {
            unprovenLosses[session.key] = (gap, exchange.frames)
        }
    }

    /// Keeps the longest keep-alive interval any session had (what the firewall must outlive).
    private func noteKeepalive(_ session: ICQSession) {
        guard let k = Self.keepaliveClaim(session.keepaliveInterval, option: thresholds.keepalive) else { return }
        if let longest = longestKeepalive, longest.interval >= k.value { return }
        let frames = session.keepaliveFrames.isEmpty ? (session.loginReplyFrame.map { [$0] } ?? []) : session.keepaliveFrames
        longestKeepalive = (k.value, k.source, Array(frames.prefix(4)))
    }

    /// The client's next packet arrived without a rebinding: the candidate stands at its level.
    public func clientSpoke(_ key: ICQSession.Key) {
        flushPendingTimeout(key)
    }

    private func timeoutFinding(_ session: ICQSessionFacts, level: Finding.Level, detail: Finding.Detail?, frames: [UInt64],
                                firstTime: Int64, lastTime: Int64, gap: Int64, proof: String) -> Finding {
        let f = thresholds.firewallTimeout
        let explanation = "The session was idle for \(seconds(gap)) s, longer than the firewall's UDP timeout of \(seconds(f)) s; then the server spoke again and \(proof). The firewall (or NAT) had already forgotten the session, so the server's packets were dropped."
        var advice = "Make the firewall keep UDP sessions to port 4000 longer than the client's keep-alive interval"
        if let k = Self.keepaliveClaim(session.keepaliveInterval.map { ($0, session.keepaliveSource ?? "login_reply") },
                                       option: thresholds.keepalive) {
            advice += " (\(seconds(k.value)) s here, \(Self.keepaliveOrigin(k.source)))"
        }
        advice += ", or configure ICQ to send keep-alives more often than every \(seconds(f)) s (the guide: if the firewall session times out in less than 5 minutes, configure ICQ accordingly)."
        return Finding(kind: .firewallSessionTimeout, severity: level == .suspected ? .warning : .error, level: level,
                       detail: detail, firstTime: firstTime, lastTime: lastTime, frames: frames, client: session.client,
                       server: session.server, uin: session.key.uin, requirement: .sessionTimeout,
                       explanation: explanation, advice: advice)
    }

    // MARK: keep-alive versus firewall timeout

    /// Judged when the session ends, with all the evidence of its keep-alive behaviour: the login
    /// reply that dictated the interval and the keep-alives the client actually sent. Once per
    /// session (a later session with the same key is judged again).
    private func judgeKeepalive(_ session: ICQSession) {
        guard let claim = Self.keepaliveClaim(session.keepaliveInterval, option: thresholds.keepalive) else { return }
        let k = claim.value
        let f = thresholds.firewallTimeout
        guard k >= f - thresholds.keepaliveMargin else { return }
        let origin = Self.keepaliveOrigin(claim.source)
        let frames = (session.loginReplyFrame.map { [$0] } ?? []) + session.keepaliveFrames
        guard !frames.isEmpty else { return }
        emit(Finding(kind: .keepaliveExceedsFirewallTimeout, severity: .warning, firstTime: session.firstTime,
                     lastTime: session.lastTime, frames: frames, client: session.client, server: session.server,
                     uin: session.key.uin,
                     requirement: .sessionTimeout,
                     explanation: "The client sends a keep-alive every \(seconds(k)) s (\(origin)); the firewall forgets an idle UDP session after \(seconds(f)) s. " + (k >= f
                        ? "Between two keep-alives the session expires, and whatever the server sends then is dropped."
                        : "With less than \(seconds(thresholds.keepaliveMargin)) s to spare, any delay lets the session expire, and the server's next packet is dropped."),
                     advice: "Raise the firewall's UDP timeout for port 4000 well above \(seconds(k)) s (RFC 4787 recommends 5 minutes), or make the client send keep-alives more often."))
    }

    // MARK: text helpers

    private func commandName(_ command: UInt16, fromClient: Bool) -> String {
        let name = fromClient ? ICQCommandNames.client(command) : ICQCommandNames.server(command)
        return name.map { "\($0)" } ?? "command 0x" + String(command, radix: 16)
    }

    private func hex(_ v: UInt16) -> String { "0x" + String(v, radix: 16) }
}

/// Seconds for explanations: "120", "10.5".
func seconds(_ nanoseconds: Int64) -> String {
    let tenths = (nanoseconds + 50_000_000) / 100_000_000
    return tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(tenths % 10)"
}
