import Bytes
import Tracking
import Wire

/// Rule R4: a TCP connection attempt to a peer's port above 1023 that a filter answered (a forged
/// reset, an ICMP administratively prohibited, an ICMP port unreachable to a SYN) or that nobody
/// answered at all (provisional at `synProvisional`, final at `synFinal`). A reset the peer sent
/// itself means it is not listening (warning). Network and host unreachable are routing, and
/// attempts to a peer's private LAN address are expected to fail: neither is a block.
public final class PeerPortDiagnosis {
    struct AttemptKey: Hashable {
        var client: Endpoint
        var peer: Endpoint
    }

    struct Attempt {
        var firstTime: Int64
        var frames: [UInt64]
        var isn: UInt32
        var retransmissions = 0
        var advertised: AdvertisedEndpoints.Entry
        var provisionalReported = false
        var notForwarded = false
        /// A reset awaiting the gateway matcher's verdict (seen on one side only, or both).
        var pendingReset: (frame: UInt64, time: Int64, ttl: UInt8)? = nil
    }

    public let thresholds: Thresholds
    private let emit: (Finding) -> Void
    public var advertised = AdvertisedEndpoints()
    private var attempts: [AttemptKey: Attempt] = [:]
    /// The TTL of the latest non-reset packet from each address, to tell a peer's own reset from
    /// one forged on the way.
    private var lastTTL: [IPAddress: UInt8] = [:]
    /// Blocks reported, by way, for the escalation when several peers or ports are blocked alike.
    private var blockedTargets: [String: Set<Endpoint>] = [:]
    public let maximumAttempts = 4096

    public init(thresholds: Thresholds, emit: @escaping (Finding) -> Void) {
        self.thresholds = thresholds
        self.emit = emit
    }

    /// Every TCP segment. `twoSided` says a gateway matcher will rule on resets; `isCopy` marks a
    /// forwarded copy of a segment already seen on the other side (not a retransmission).
    public func tcp(_ header: TCPHeader, decoded: DecodedPacket, frame: UInt64, time: Int64, twoSided: Bool, isCopy: Bool) {
        advance(to: time)
        guard let src = decoded.sourceAddress, let dst = decoded.destinationAddress else { return }
        let ttl = decoded.ipv4?.ttl ?? decoded.ipv6?.hopLimit ?? 0
        let source = Endpoint(address: src, port: header.sourcePort)
        let destination = Endpoint(address: dst, port: header.destinationPort)
        if header.isSYN && !header.isACK {
            let key = AttemptKey(client: source, peer: destination)
            if var attempt = attempts[key] {
                if attempt.isn == header.sequenceNumber && !isCopy {
                    attempt.retransmissions += 1
                    attempt.frames.append(frame)
                    attempts[key] = attempt
                }
                return
            }
            guard !isCopy, destination.port > 1023, let entry = advertised.lookup(destination),
                  !Self.isForeignLANAttempt(entry, from: src), attempts.count < maximumAttempts else { return }
            attempts[key] = Attempt(firstTime: time, frames: [frame], isn: header.sequenceNumber, advertised: entry)
            return
        }
        let key = AttemptKey(client: destination, peer: source)
        guard var attempt = attempts[key] else {
            if !header.isRST { lastTTL[src] = ttl }
            return
        }
        if header.isSYN && header.isACK {
            attempts.removeValue(forKey: key)  // open: the peer answered
            lastTTL[src] = ttl
            return
        }
        guard header.isRST, attempt.pendingReset == nil else { return }
        attempt.frames.append(frame)
        if isCopy {
            // This reset is the forwarded copy of one seen on the other side: it crossed the
            // gateway, so the peer's own host sent it.
            attempts.removeValue(forKey: key)
            report(key, attempt, detail: "rst_from_peer", time: time,
                   proof: "the peer's own host answered with a reset (seen on both sides of the gateway): nothing listens on that port")
            return
        }
        if twoSided {
            attempt.pendingReset = (frame, time, ttl)
            attempts[key] = attempt
            return
        }
        attempts.removeValue(forKey: key)
        // One vantage only: the TTL tells whether the reset came as far as the peer's packets do.
        if let usual = lastTTL[src], abs(Int(usual) - Int(ttl)) > 1 {
            report(key, attempt, detail: "rst_from_middlebox", time: time,
                   proof: "a reset came back with TTL \(ttl), where the peer's own packets arrive with TTL \(usual): something on the way forged it in the peer's name")
        } else {
            report(key, attempt, detail: "rst_from_peer", time: time,
                   proof: "the peer's own host answered with a reset: nothing listens on that port")
        }
    }

    /// A peer's private LAN ("real") address tried from another network is expected to fail:
    /// clients deliberately try it first. Only the same /24 can reach it.
    static func isForeignLANAttempt(_ entry: AdvertisedEndpoints.Entry, from source: IPAddress) -> Bool {
        guard entry.isLANAddress, entry.endpoint.address.isPrivate else { return false }
        let a = entry.endpoint.address, b = source
        return a.isIPv6 != b.isIPv6 || (a.isIPv6 ? a.high != b.high : a.ipv4Value >> 8 != b.ipv4Value >> 8)
    }

    /// The UIN logged in from each client address, so a finding names the user whose attempt
    /// failed; nil where several UINs share the address (then the attempt's user is unknown).
    private var uinByAddress: [IPAddress: UInt32?] = [:]

    public func noteLogin(uin: UInt32, from address: IPAddress) {
        if let known = uinByAddress[address], known != uin { uinByAddress[address] = .some(nil) }
        else { uinByAddress[address] = uin }
    }

    /// The gateway matcher's verdict on a packet: forwarded (it has a copy) or not.
    public func gatewayVerdict(frame: UInt64, forwarded: Bool, time: Int64) {
        for (key, var attempt) in attempts {
            if let reset = attempt.pendingReset, reset.frame == frame {
                attempts.removeValue(forKey: key)
                if forwarded {
                    report(key, attempt, detail: "rst_from_peer", time: reset.time,
                           proof: "the peer's own host answered with a reset (seen on both sides of the gateway): nothing listens on that port")
                } else {
                    report(key, attempt, detail: "rst_from_middlebox", time: reset.time,
                           proof: "a reset came back on one side of the gateway only: the gateway forged it in the peer's name")
                }
                return
            }
            if !forwarded && attempt.frames.first == frame {
                attempt.notForwarded = true
                attempts[key] = attempt
            }
        }
    }

    /// An ICMP destination unreachable quoting a TCP segment.
    public func icmp(_ message: ICMPMessage, frame: UInt64, time: Int64, reporter: IPAddress) {
        guard message.type == 3, let q = message.quoted, q.protocolNumber == IPProtocol.tcp,
              let sport = q.sourcePort, let dport = q.destinationPort else { return }
        let key = AttemptKey(client: Endpoint(address: q.source, port: sport), peer: Endpoint(address: q.destination, port: dport))
        guard var attempt = attempts.removeValue(forKey: key) else { return }
        attempt.frames.append(frame)
        switch message.code {
        case 9, 10, 13:
            report(key, attempt, detail: "icmp_admin_prohibited", time: time,
                   proof: "\(reporter) answered with ICMP destination unreachable code \(message.code) (communication administratively prohibited): a filter refused it")
        case 3:
            report(key, attempt, detail: "icmp_port_unreachable", time: time,
                   proof: "\(reporter) answered the SYN with ICMP port unreachable; a TCP stack answers a closed port with a reset, so this is a firewall's reject rule")
        default:
            // Network or host unreachable (and the rest): a routing problem, not a block.
            break
        }
    }

    /// Unanswered attempts become provisional, then final, on capture time.
    public func advance(to time: Int64) {
        guard !attempts.isEmpty else { return }
        // Oldest attempt first (then by its first frame): several can come due at one packet, and
        // a dictionary's order changes from run to run.
        let due = attempts.filter { $0.value.pendingReset == nil }
            .sorted { ($0.value.firstTime, $0.value.frames[0]) < ($1.value.firstTime, $1.value.frames[0]) }
        for (key, var attempt) in due {
            let waited = time - attempt.firstTime
            if waited > thresholds.synFinal {
                attempts.removeValue(forKey: key)
                report(key, attempt, detail: "no_answer", time: time, final: true,
                       proof: "nothing answered the SYN (sent \(attempt.retransmissions + 1) time\(attempt.retransmissions == 0 ? "" : "s")) within \(seconds(thresholds.synFinal)) s")
            } else if waited > thresholds.synProvisional && attempt.retransmissions >= 1 && !attempt.provisionalReported {
                attempt.provisionalReported = true
                attempts[key] = attempt
                report(key, attempt, detail: "no_answer", time: time, final: false,
                       proof: "nothing answered the SYN within \(seconds(thresholds.synProvisional)) s, though it was retransmitted")
            }
        }
    }

    /// End of capture: unanswered attempts not yet final stay as they are (provisional, if reported).
    public func finish() {
        attempts.removeAll()
    }

    private func report(_ key: AttemptKey, _ attempt: Attempt, detail: String, time: Int64, final: Bool = true, proof: String) {
        let isPeerItself = detail == "rst_from_peer"
        let severity: Finding.Severity = isPeerItself || !final ? .warning : .error
        var explanation = "A connection from \(key.client) to the peer's port \(key.peer.port) at \(key.peer.address)"
        if let uin = attempt.advertised.uin { explanation += " (UIN \(uin), " } else { explanation += " (" }
        explanation += "advertised in \(attempt.advertised.source.rawValue.split(separator: "_").joined(separator: " ")) at frame \(attempt.advertised.frame)) failed: \(proof)."
        if attempt.notForwarded { explanation += " The SYN reached the gateway and never left it." }
        var advice: String
        if isPeerItself {
            advice = "The firewall let the attempt through; the peer is not listening on that port. Check the peer's ICQ settings, or let it listen on one of the ports the firewall allows."
        } else {
            let way = detail + (final ? "" : "_provisional")
            var targets = blockedTargets[way, default: []]
            targets.insert(key.peer)
            blockedTargets[way] = targets
            advice = "Allow TCP connections between ICQ peers on ports above 1023 (ICQ needs at least 3 open), in both directions, and outgoing TCP."
            if targets.count >= 3 {
                explanation += " This is the \(targets.count)th peer port blocked the same way: the policy blocks peer connections in general, not one port."
                advice += " Or restrict the clients to a small listening port range and open exactly that range."
            }
        }
        emit(Finding(kind: .blockedPeerPort, severity: severity, level: final ? "final" : "provisional", detail: detail,
                     firstTime: attempt.firstTime, lastTime: time, frames: attempt.frames, client: key.client,
                     peer: key.peer, uin: uinByAddress[key.client.address] ?? nil, requirement: .peerTCPPorts,
                     explanation: explanation, advice: advice))
    }
}
