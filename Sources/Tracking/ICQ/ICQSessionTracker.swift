import Bytes
import Wire

/// Follows classic ICQ sessions: pairs each client request with the server's ack and each server
/// push with the client's ack, recognises retransmissions by the decrypted header (each copy is
/// encrypted anew, so the bytes differ), measures round trips, idle gaps, keep-alive intervals,
/// NAT rebinding and server sequence gaps. Resolved exchanges and ended sessions are handed to
/// the caller as events; the rules that judge them live in Diagnosis.
///
/// Capture time is the only clock: `advance(to:)` resolves what has waited past its deadline.
public final class ICQSessionTracker {
    public enum Event {
        /// A client request resolved: acked (perhaps after retransmissions), or given up.
        case request(ICQSession, ICQExchange, acked: Bool)
        /// A server packet resolved: acked by the client, or given up.
        case push(ICQSession, ICQExchange, acked: Bool)
        /// The client appeared from a new source address/port on the same capture side.
        case rebinding(ICQSession, frame: UInt64, time: Int64, from: Endpoint, to: Endpoint)
        /// The server's sequence jumped after an idle gap: packets were sent and never arrived.
        case serverSequenceGap(ICQSession, frame: UInt64, time: Int64, expected: UInt16, got: UInt16)
        /// An exchange still waiting when its session ended (logout) or the capture ended; its
        /// deadline had not passed, so nothing is concluded from it. `waited` is how long it had
        /// waited since its last copy.
        case unresolved(ICQSession, ICQExchange, fromClient: Bool, atEndOfCapture: Bool, waited: Int64)
        /// The session ended (logout, idle timeout, end of capture).
        case sessionEnded(ICQSession)
    }

    public struct Configuration: Sendable {
        /// How long after a copy an ack may still come.
        public var ackWait: Int64 = 12_000_000_000
        /// The retransmission interval; an exchange is given up after 2× this with no new copy.
        public var retransmitInterval: Int64 = 10_000_000_000
        /// A session with no packet for this long has ended.
        public var idleTimeout: Int64 = 600_000_000_000
        /// The firewall's UDP timeout: a server sequence jump after a longer idle gap is reported.
        public var firewallTimeout: Int64 = 120_000_000_000
        /// The Mirabilis client sends a packet at most 6 times (Licq 7, mICQ 8).
        public var maximumTransmissions = 6
        public var maximumSessions = 4096
        public var maximumPendingPerSession = 64
        public init() {}
    }

    struct ExchangeKey: Hashable {
        var session: ICQSession.Key
        var fromClient: Bool
        var seq1: UInt16
        var seq2: UInt16
    }

    public var configuration: Configuration
    private var sessions: [ICQSession.Key: ICQSession] = [:]
    private var pending: [ExchangeKey: ICQExchange] = [:]
    /// The session a client endpoint belongs to, for server packets that carry only a session id.
    private var sessionByClient: [Endpoint: ICQSession.Key] = [:]
    private let emit: (Event) -> Void
    public private(set) var evictedSessions: UInt64 = 0
    /// The latest capture time seen.
    private var clock: Int64 = .min

    public init(configuration: Configuration = Configuration(), emit: @escaping (Event) -> Void) {
        self.configuration = configuration
        self.emit = emit
    }

    /// Feeds one classic ICQ packet. `side` is the capture side it was seen on.
    public func observe(_ packet: ICQPacket, source: Endpoint, destination: Endpoint, frame: UInt64,
                        time: Int64, side: Int) {
        advance(to: time)
        let header = packet.header
        guard header.version >= 5, let sessionID = header.sessionID, let uin = header.uin else { return }
        let fromClient = header.direction == .clientToServer
        let key = ICQSession.Key(uin: uin, sessionID: sessionID)
        let client = fromClient ? source : destination
        let server = fromClient ? destination : source
        var session = sessions[key] ?? startSession(key, version: header.version, client: client, server: server,
                                                    frame: frame, time: time)
        // Idle gap before this packet, measured from the last packet either way (conntrack
        // refreshes on both directions).
        let gap = time - session.lastTime
        if fromClient {
            session.longestIdleSinceServerPacket = max(session.longestIdleSinceServerPacket, gap)
            // A client acks a push at once: one that speaks again later without acking a push
            // never got it. Judge those pushes before anything this packet shows (a rebinding).
            resolvePushesIgnored(by: header, session: session, time: time)
            if let previous = session.clientBySide[side], previous != client {
                session.rebindings.append((frame, previous, client))
                emit(.rebinding(session, frame: frame, time: time, from: previous, to: client))
            }
            session.clientBySide[side] = client
            session.client = client
            sessionByClient[client] = key
            session.clientPackets += 1
            session.lastClientTime = time
        } else {
            session.serverPackets += 1
            session.lastServerTime = time
        }
        session.lastTime = time
        let command = header.command
        let seq1 = header.seq1
        let seq2 = header.seq2 ?? 0
        if command == 0x000A {
            // An ack (CMD_ACK from the client, SRV_ACK from the server) answers the other side.
            resolveAck(for: ExchangeKey(session: key, fromClient: !fromClient, seq1: seq1, seq2: seq2),
                       frame: frame, time: time, session: &session)
        } else {
            if !fromClient {
                // The longest idle gap since the server's last packet: lost packets in a jump
                // of its sequence were sent into that gap.
                let idle = max(session.longestIdleSinceServerPacket, gap)
                session.longestIdleSinceServerPacket = 0
                if let last = session.lastServerSeq, idle > configuration.firewallTimeout,
                   seq1 &- last > 1, seq1 &- last < 0x8000 {
                    emit(.serverSequenceGap(session, frame: frame, time: time, expected: last &+ 1, got: seq1))
                }
                if session.lastServerSeq.map({ seq1 &- $0 < 0x8000 }) ?? true {
                    session.lastServerSeq = seq1
                    session.lastServerSeqFrame = frame
                }
            }
            record(ExchangeKey(session: key, fromClient: fromClient, seq1: seq1, seq2: seq2), command: command,
                   frame: frame, time: time, side: side, gap: gap, session: &session)
            if fromClient && (command == 0x042E || command == 0x051E) { session.noteKeepalive(time, frame: frame) }
        }
        if case .loginReply(let reply) = packet.body, let hint = reply.keepAliveHint, hint > 0 {
            session.keepaliveHint = Int64(hint) * 1_000_000_000
            session.loginReplyFrame = frame
        }
        if fromClient && command == 0x0438 { session.loggedOut = true }
        sessions[key] = session
        if session.loggedOut && fromClient && command == 0x0438 {
            endSession(key, reason: .logout)
        }
    }

    /// Resolves every exchange whose deadline has passed and ends idle sessions.
    public func advance(to time: Int64) {
        clock = max(clock, time)
        var expired: [ExchangeKey] = []
        for (key, exchange) in pending where time - exchange.lastTime > giveUp(exchange) {
            expired.append(key)
        }
        for key in expired.sorted(by: { (pending[$0]?.firstTime ?? 0, $0.seq1) < (pending[$1]?.firstTime ?? 0, $1.seq1) }) {
            guard var exchange = pending.removeValue(forKey: key), let session = sessions[key.session] else { continue }
            exchange.settle(in: session, fromClient: key.fromClient)
            emit(key.fromClient ? .request(session, exchange, acked: false) : .push(session, exchange, acked: false))
        }
        var idle: [ICQSession.Key] = []
        for (key, session) in sessions where time - session.lastTime > configuration.idleTimeout { idle.append(key) }
        for key in idle.sorted(by: { ($0.uin, $0.sessionID) < ($1.uin, $1.sessionID) }) {
            endSession(key, reason: .idleTimeout)
        }
    }

    /// End of capture: what still waits is reported as unresolved (its deadline is still open),
    /// and sessions end with `end_of_capture`.
    public func finish() {
        for key in sessions.keys.sorted(by: { ($0.uin, $0.sessionID) < ($1.uin, $1.sessionID) }) {
            endSession(key, reason: .endOfCapture)
        }
    }

    public var activeSessions: Int { sessions.count }

    /// How long after its last copy an exchange is given up: the ack wait once the sender has
    /// reached the real client's maximum of transmissions, else 2× the retransmission interval
    /// (no further copy came) or the ack wait, whichever is longer.
    func giveUp(_ exchange: ICQExchange) -> Int64 {
        exchange.copies.count >= configuration.maximumTransmissions
            ? configuration.ackWait : max(2 * configuration.retransmitInterval, configuration.ackWait)
    }

    private func startSession(_ key: ICQSession.Key, version: UInt8, client: Endpoint, server: Endpoint,
                              frame: UInt64, time: Int64) -> ICQSession {
        if sessions.count >= configuration.maximumSessions,
           let oldest = sessions.min(by: { $0.value.lastTime < $1.value.lastTime })?.key {
            evictedSessions += 1
            endSession(oldest, reason: .idleTimeout)
        }
        return ICQSession(key: key, version: version, client: client, server: server, firstTime: time,
                          lastTime: time, firstFrame: frame)
    }

    private func record(_ key: ExchangeKey, command: UInt16, frame: UInt64, time: Int64, side: Int, gap: Int64,
                        session: inout ICQSession) {
        if var exchange = pending[key], exchange.command == command {
            exchange.copies.append((frame, time, side))
            if key.fromClient { session.clientRetransmissions += 1 } else { session.serverRetransmissions += 1 }
            pending[key] = exchange
            return
        }
        if var replaced = pending.removeValue(forKey: key) {
            replaced.settle(in: session, fromClient: key.fromClient)
            // The same seq reused for another command: the old exchange is over.
            emit(key.fromClient ? .request(session, replaced, acked: false) : .push(session, replaced, acked: false))
        }
        guard pending.count < configuration.maximumPendingPerSession * max(1, sessions.count) else { return }
        var exchange = ICQExchange(command: command, seq1: key.seq1, seq2: key.seq2, copies: [(frame, time, side)])
        exchange.gapBefore = gap
        exchange.otherPartyCountAtStart = key.fromClient ? session.serverPackets : session.clientPackets
        pending[key] = exchange
    }

    /// How long a client may take to ack a push before its next packet shows it never got it.
    static let clientAckGrace: Int64 = 2_000_000_000

    private func resolvePushesIgnored(by header: ICQHeader, session: ICQSession, time: Int64) {
        let acking = header.command == 0x000A ? (header.seq1, header.seq2 ?? 0) : nil
        let ignored = pending.filter { key, exchange in
            key.session == session.key && !key.fromClient && time - exchange.lastTime > Self.clientAckGrace
                && !(acking.map { $0 == (key.seq1, key.seq2) } ?? false)
        }.sorted { ($0.value.firstTime, $0.key.seq1) < ($1.value.firstTime, $1.key.seq1) }
        for (key, var exchange) in ignored {
            pending.removeValue(forKey: key)
            exchange.settle(in: session, fromClient: false)
            emit(.push(session, exchange, acked: false))
        }
    }

    private func resolveAck(for key: ExchangeKey, frame: UInt64, time: Int64, session: inout ICQSession) {
        guard var exchange = pending.removeValue(forKey: key) else { return }
        exchange.ack = (frame, time)
        exchange.settle(in: session, fromClient: key.fromClient)
        if exchange.copies.count == 1 { session.noteRoundTrip(time - exchange.firstTime) }
        emit(key.fromClient ? .request(session, exchange, acked: true) : .push(session, exchange, acked: true))
    }

    private func endSession(_ key: ICQSession.Key, reason: ICQSession.EndReason) {
        guard var session = sessions.removeValue(forKey: key) else { return }
        session.endReason = reason
        let waiting = pending.filter { $0.key.session == key }
            .sorted { ($0.value.firstTime, $0.key.seq1) < ($1.value.firstTime, $1.key.seq1) }
        for (exchangeKey, var exchange) in waiting {
            pending.removeValue(forKey: exchangeKey)
            exchange.settle(in: session, fromClient: exchangeKey.fromClient)
            let waited = clock - exchange.lastTime
            if reason == .endOfCapture && waited > giveUp(exchange) {
                emit(exchangeKey.fromClient ? .request(session, exchange, acked: false) : .push(session, exchange, acked: false))
            } else {
                emit(.unresolved(session, exchange, fromClient: exchangeKey.fromClient,
                                 atEndOfCapture: reason == .endOfCapture, waited: waited))
            }
        }
        for (endpoint, owner) in sessionByClient where owner == key { sessionByClient.removeValue(forKey: endpoint) }
        emit(.sessionEnded(session))
    }
}

extension ICQSessionTracker {
    /// The live state of a session, for evidence that arrives outside the tracker (gateway drops).
    public func session(for key: ICQSession.Key) -> ICQSession? { sessions[key] }
}

extension ICQSessionTracker {
    /// The session a client endpoint currently belongs to (for ICMP errors quoting its datagrams).
    public func sessionKey(forClient endpoint: Endpoint) -> ICQSession.Key? { sessionByClient[endpoint] }
}
