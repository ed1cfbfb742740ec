import Bytes
import Capture
import Tracking
import Wire

/// Rule R4's findings: a blocked attempt said in words, with its proof and advice.
extension PeerPortState {

    mutating func report(_ attempt: Attempt, detail: Finding.Detail, time: Int64, final: Bool = true, emit: (Finding) -> Void,
                         proof: String) {
        let key = attempt.key
        if final {
            if finalConnections.count >= 4_096 { finalConnections.removeAll(keepingCapacity: true) }
            finalConnections.insert(key)
        }
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
        explanation += "advertised in \(attempt.advertised.source.rawValue.split(separator: "_").joined(separator: " ")) at frame \(attempt.advertised.frame)) failed: \(proof)."
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
                     requirement: outgoing ? .outgoingTCP : .peerTCPPorts,
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
