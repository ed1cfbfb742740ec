import Bytes
import Capture
import Tracking
import Wire

/// Rules R2 and R3 (server pushes unacknowledged, the firewall session timed out), the bounds
/// they give the firewall's UDP timeout, and keep-alives slower than that timeout.
extension ICQDiagnosis {
    // MARK: R2 and R3

    func judgePush(_ session: ICQSessionFacts, _ exchange: ICQExchange, acked: Bool) {
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

    static func confirm(_ finding: inout Finding, byRebindingAt frame: UInt64, time: Int64, from: Endpoint, to: Endpoint) {
        finding.level = .confirmed
        finding.detail = .natRebinding
        finding.severity = .error
        finding.frames.append(frame)
        finding.lastTime = time
        finding.explanation += " The client's next packet came from \(to) instead of \(from): the NAT had forgotten the mapping and made a new one."
    }

    func flushPendingTimeout(_ key: ICQSession.Key) {
        // Called for every client packet: nothing to hash when nothing waits.
        if !unprovenLosses.isEmpty { unprovenLosses.removeValue(forKey: key) }
        guard !pendingTimeouts.isEmpty else { return }
        if let finding = pendingTimeouts.removeValue(forKey: key) { emit(finding) }
    }

    // MARK: the firewall's UDP timeout, bounded

    /// Whatever the configured timeout, a server packet after an idle gap bounds the real one:
    /// its first copy acknowledged shows the session outlived the gap; lost with proof, that it
    /// did not. Unproven losses wait for a NAT rebinding on the client's next packet.
    func boundTimeout(_ session: ICQSessionFacts, _ exchange: ICQExchange, acked: Bool) {
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
    func noteKeepalive(_ session: ICQSession) {
        guard let k = Self.keepaliveClaim(session.keepaliveInterval, option: thresholds.keepalive) else { return }
        // Nothing is made for a claim that changes nothing (every keep-alive of every session
        // comes here). A shard keeps its own longest for that alone and logs the claims that
        // beat it: which one lasts is the merge's to say, and one the shard beat cannot.
        if let longest = longestKeepalive, longest.interval >= k.value { return }
        let frames = session.keepaliveFrames.isEmpty ? (session.loginReplyFrame.map { [$0] } ?? []) : session.keepaliveFrames
        let claim = KeepaliveClaimSeen(interval: k.value, learnedFrom: k.source, frames: Array(frames.prefix(4)))
        absorb(claim)
        onKeepalive?(claim)
    }

    /// A session's keep-alive interval, as `noteKeepalive` found it.
    public struct KeepaliveClaimSeen: Sendable {
        var interval: Int64
        var learnedFrom: String
        var frames: [UInt64]
    }

    /// Keeps the claim if it is longer than the longest so far (the first of equals stays).
    public func absorb(_ claim: KeepaliveClaimSeen) {
        if let longest = longestKeepalive, longest.interval >= claim.interval { return }
        longestKeepalive = (claim.interval, claim.learnedFrom, claim.frames)
    }

    /// The client's next packet arrived without a rebinding: the candidate stands at its level.
    public func clientSpoke(_ key: ICQSession.Key) {
        flushPendingTimeout(key)
    }

    func timeoutFinding(_ session: ICQSessionFacts, level: Finding.Level, detail: Finding.Detail?, frames: [UInt64],
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
    func judgeKeepalive(_ session: ICQSession) {
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
}
