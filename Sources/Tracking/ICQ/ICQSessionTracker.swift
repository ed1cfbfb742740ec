import Bytes
import Wire

/// Follows classic ICQ sessions: pairs each client request with the server's ack and each server
/// push with the client's ack, recognises retransmissions by the decrypted header (each copy is
/// encrypted anew, so the bytes differ), measures round trips, idle gaps, keep-alive intervals,
/// NAT rebinding and server sequence gaps. Resolved exchanges and ended sessions are handed to
/// the caller as events in an outbox it drains; the rules that judge them live in Diagnosis.
///
/// Capture time is the only clock: `advance(to:)` resolves what has waited past its deadline.
///
/// Every step costs the same however many sessions are open (see `ICQSessionTable`).
public final class ICQSessionTracker {
    public enum Event {
        /// A client request resolved: acked (perhaps after retransmissions), or given up.
        case request(ICQSessionFacts, ICQExchange, acked: Bool)
        /// A server packet resolved: acked by the client, or given up.
        case push(ICQSessionFacts, ICQExchange, acked: Bool)
        /// The client appeared from a new source address/port on the same capture side.
        case rebinding(ICQSessionFacts, frame: UInt64, time: Int64, from: Endpoint, to: Endpoint)
        /// The server's sequence jumped after an idle gap: packets were sent and never arrived.
        case serverSequenceGap(ICQSessionFacts, frame: UInt64, time: Int64, expected: UInt16, got: UInt16)
        /// An exchange still waiting when its session ended (logout) or the capture ended; its
        /// deadline had not passed, so nothing is concluded from it. `waited` is how long it had
        /// waited since its last copy.
        case unresolved(ICQSessionFacts, ICQExchange, fromClient: Bool, atEndOfCapture: Bool, waited: Int64)
        /// The session ended (logout, idle timeout, end of capture).
        case sessionEnded(ICQSession)
    }

    public struct Configuration: Sendable {
        /// The timing followed (the same value as the rules' `Thresholds.icq`); the properties
        /// below read and write it.
        public var timing = ICQTiming()
        /// How long after a copy an ack may still come.
        public var ackWait: Int64 {
            get { timing.ackWait }
            set { timing.ackWait = newValue }
        }
        /// The retransmission interval; an exchange is given up after 2× this with no new copy.
        public var retransmitInterval: Int64 {
            get { timing.retransmitInterval }
            set { timing.retransmitInterval = newValue }
        }
        /// A session with no packet for this long has ended.
        public var idleTimeout: Int64 {
            get { timing.udpIdleTimeout }
            set { timing.udpIdleTimeout = newValue }
        }
        /// The firewall's UDP timeout: a server sequence jump after a longer idle gap is reported.
        public var firewallTimeout: Int64 {
            get { timing.firewallTimeout }
            set { timing.firewallTimeout = newValue }
        }
        /// The most times a client sends one packet.
        public var maximumTransmissions: Int {
            get { timing.maximumTransmissions }
            set { timing.maximumTransmissions = newValue }
        }
        public var maximumSessions = 4096
        public var maximumPendingPerSession = 64
        public init() {}
    }

    public var configuration: Configuration {
        get { table.configuration }
        set { table.configuration = newValue }
    }

    private var table: ICQSessionTable

    /// What one session holds, for a memory budget: its slot, its index entries (by key and by
    /// client endpoint, about twice the key and value as dictionaries keep them), its deadline,
    /// and a few open exchanges with their index entries.
    public static var approximateBytesPerSession: Int { ICQSessionTable.approximateBytesPerSession }

    public init(configuration: Configuration = Configuration()) {
        table = ICQSessionTable(configuration: configuration)
    }

    /// Feeds one classic ICQ packet. `side` is the capture side it was seen on.
    public func observe(_ packet: ICQPacket, source: Endpoint, destination: Endpoint, frame: UInt64,
                        time: Int64, side: Int) {
        table.observe(packet, source: source, destination: destination, frame: frame, time: time, side: side)
    }

    /// Resolves every exchange whose deadline has passed and ends idle sessions. What resolves
    /// at one instant is reported in a fixed order: exchanges by first copy (then seq1), then
    /// sessions by UIN and session id.
    public func advance(to time: Int64) {
        table.advance(to: time)
    }

    /// Up to this time `advance` resolves nothing and only moves the clock (`moveClock`): a
    /// shard of `read --threads` asks at every other shard's frame.
    public var nextDeadline: Int64 { table.nextDeadline }

    public func moveClock(to time: Int64) {
        table.moveClock(to: time)
    }

    /// End of capture: what still waits is reported as unresolved (its deadline is still open),
    /// and sessions end with `end_of_capture`.
    public func finish() {
        table.finish()
    }

    /// Ends every session (end of capture), calling `drain` after each batch of ended sessions
    /// so that their events are handled as they come rather than all held at once.
    public func finish(draining drain: () -> Void) {
        while table.finish(upTo: 1024) { drain() }
        drain()
    }

    /// Whether events wait in the outbox.
    public var hasEvents: Bool { table.hasEvents }

    /// Hands over the events since the last drain, in the order they happened: `buffer` is
    /// emptied (keeping its capacity) and swapped with the outbox, so once both have grown
    /// nothing is allocated.
    public func drainEvents(into buffer: inout [Event]) {
        table.drainEvents(into: &buffer)
    }

    public var activeSessions: Int { table.activeSessions }
    public var evictedSessions: UInt64 { table.evictedSessions }

    /// The live state of a session, for evidence that arrives outside the tracker (gateway drops).
    public func session(for key: ICQSession.Key) -> ICQSession? { table.session(for: key) }

    /// Whether a session with this key is open.
    public func isOpen(_ key: ICQSession.Key) -> Bool { table.isOpen(key) }

    /// What the rules need of a live session, without copying its lists.
    public func facts(for key: ICQSession.Key) -> ICQSessionFacts? { table.facts(for: key) }

    /// The session a client endpoint currently belongs to (for ICMP errors quoting its datagrams).
    public func sessionKey(forClient endpoint: Endpoint) -> ICQSession.Key? { table.sessionKey(forClient: endpoint) }

    /// What the tracker holds, for tests that check an ended session leaves nothing behind.
    public var occupancy: Occupancy { table.occupancy }
}

extension ICQSessionTracker {
    /// Counts of what the tracker holds.
    public struct Occupancy: Equatable, Sendable {
        public var sessions: Int
        public var pendingExchanges: Int
        public var clientEndpoints: Int
        public var queuedIdleDeadlines: Int
        public var queuedGiveUps: Int
        public var sessionSlots: Int
        public var exchangeSlots: Int
        /// Blocks of the sessions' lists (round trips, keep-alives), and IPv6 addresses named.
        public var historyBlocks: Int
        public var ipv6Addresses: Int

        public init(sessions: Int, pendingExchanges: Int, clientEndpoints: Int, queuedIdleDeadlines: Int,
                    queuedGiveUps: Int, sessionSlots: Int, exchangeSlots: Int, historyBlocks: Int = 0,
                    ipv6Addresses: Int = 0) {
            self.sessions = sessions
            self.pendingExchanges = pendingExchanges
            self.clientEndpoints = clientEndpoints
            self.queuedIdleDeadlines = queuedIdleDeadlines
            self.queuedGiveUps = queuedGiveUps
            self.sessionSlots = sessionSlots
            self.exchangeSlots = exchangeSlots
            self.historyBlocks = historyBlocks
            self.ipv6Addresses = ipv6Addresses
        }
    }
}
