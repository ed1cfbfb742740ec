import Bytes
import Capture
import Tracking
import Wire

/// Rules R1, R2, R3, R5 and the keep-alive check (docs/flow-semantics.md#rules) over classic ICQ
/// sessions. Fed with the session tracker's events and with evidence from outside it (gateway
/// drops, ICMP errors); emits each finding once, as soon as it is established.
public final class ICQDiagnosis {
    public let thresholds: Thresholds
    let emit: (Finding) -> Void
    /// Sessions already reported as unable to reach the server (R5), so R1 stays quiet for them.
    var pathBlocked: Set<ICQSession.Key> = []
    /// Server packets of each session that arrived at the gateway and never left it.
    var gatewayDrops: [ICQSession.Key: [(frame: UInt64, time: Int64)]] = [:]
    /// Client packets that never left the gateway (outbound blocked there).
    var outboundGatewayDrops: [ICQSession.Key: [UInt64]] = [:]
    /// ICMP errors about the session's datagrams: reporter, frame, code, and whose packet they quote.
    var icmpErrors: [ICQSession.Key: [ICMPErrorEvidence]] = [:]
    /// Timeouts established by gateway evidence, so the same gap is reported once.
    var timeoutReported: Set<ICQSession.Key> = []
    /// Timed-out candidates waiting for the client's next packet (NAT rebinding) before they are
    /// reported at the level they reached.
    var pendingTimeouts: [ICQSession.Key: Finding] = [:]
    /// Server packets after an idle gap that were never acknowledged and have no proof yet of
    /// being lost: a NAT rebinding on the client's next packet proves it (for the bracket).
    var unprovenLosses: [ICQSession.Key: (gap: Int64, frames: [UInt64])] = [:]
    /// The client's latest NAT rebinding while no timed-out candidate waited for it: a push sent
    /// into the idle gap may still be waiting for its ack then (the client came back from a new
    /// port before the server gave it up), and is confirmed by it when it is given up.
    var rebindings: [ICQSession.Key: (frame: UInt64, time: Int64, from: Endpoint, to: Endpoint)] = [:]
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
    public internal(set) var longestKeepalive: (interval: Int64, learnedFrom: String, frames: [UInt64])? = nil

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

    /// A shard of `read --threads`: the run-wide results above go here instead, for the merge
    /// to absorb in one thread's order (`absorb`, `replayBound`).
    public var onKeepalive: ((KeepaliveClaimSeen) -> Void)? = nil
    public var onOpenDeadline: ((OpenDeadline) -> Void)? = nil
    public func logBounds(_ log: @escaping (UDPTimeoutBrackets.Call) -> Void) { udpTimeouts.onCall = log }
    public func replayBound(_ call: UDPTimeoutBrackets.Call) { udpTimeouts.replay(call) }
    public func absorb(_ open: OpenDeadline) { openAtEnd.append(open) }

    public struct OpenDeadline: Sendable {
        public var uin: UInt32
        public var what: String
        public var frames: [UInt64]
    }

    func unresolved(_ session: ICQSessionFacts, _ exchange: ICQExchange, fromClient: Bool, waited: Int64) {
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
        let open = OpenDeadline(
            uin: session.key.uin,
            what: "\(who) (seq \(hex(exchange.seq1))/\(exchange.seq2), \(exchange.copyCount) cop\(exchange.copyCount == 1 ? "y" : "ies")) was still unacknowledged, \(seconds(waited)) s after its last copy",
            frames: exchange.frames)
        if let onOpenDeadline { return onOpenDeadline(open) }
        openAtEnd.append(open)
    }

    public func finish() {
        for key in pendingTimeouts.keys.sorted(by: { ($0.uin, $0.sessionID) < ($1.uin, $1.sessionID) }) {
            flushPendingTimeout(key)
        }
    }

    // MARK: R1 and R5

    func judgeRequest(_ session: ICQSessionFacts, _ exchange: ICQExchange, acked: Bool) {
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
    func judgeAcksLostDownstream(_ session: ICQSessionFacts, _ exchange: ICQExchange, acked: Bool) {
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

    func reportPathBlocked(_ session: ICQSessionFacts, _ exchange: ICQExchange, atEndOfCapture: Bool) {
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

    // MARK: text helpers

    func commandName(_ command: UInt16, fromClient: Bool) -> String {
        let name = fromClient ? ICQCommandNames.client(command) : ICQCommandNames.server(command)
        return name.map { "\($0)" } ?? "command 0x" + String(command, radix: 16)
    }

    func hex(_ v: UInt16) -> String { "0x" + String(v, radix: 16) }
}

/// Seconds for explanations: "120", "10.5". A gap between two damaged timestamps can span the
/// whole clock, so the rounding is done on the magnitude (it cannot overflow there).
func seconds(_ nanoseconds: Int64) -> String {
    let tenths = (nanoseconds.magnitude + 50_000_000) / 100_000_000
    let sign = nanoseconds < 0 && tenths > 0 ? "-" : ""
    return sign + (tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(tenths % 10)")
}
