import Bytes

/// One classic ICQ session: a UIN logged in with a session id, followed across NAT rebinding.
/// Holds what the session records and the rules need; bounded (few fixed-size lists).
public struct ICQSession: Sendable {
    public struct Key: Hashable, Sendable {
        public var uin: UInt32
        public var sessionID: UInt32
        public init(uin: UInt32, sessionID: UInt32) {
            self.uin = uin
            self.sessionID = sessionID
        }
    }

    public enum EndReason: String, Sendable {
        case logout, idleTimeout = "idle_timeout", endOfCapture = "end_of_capture"
    }

    public var key: Key
    public var version: UInt8
    /// The client's address as last seen on each capture side (an interface, or a cooked-v2 ifindex).
    public var client: Endpoint
    public var clientBySide: [Int: Endpoint] = [:]
    public var server: Endpoint
    public var firstTime: Int64
    public var lastTime: Int64
    public var firstFrame: UInt64
    public var lastClientTime: Int64? = nil
    public var lastServerTime: Int64? = nil
    /// Frames of the client's and server's packets, counted.
    public var clientPackets: UInt64 = 0
    public var serverPackets: UInt64 = 0
    /// The keep-alive interval the server's login reply dictated, if seen.
    public var keepaliveHint: Int64? = nil
    /// Keep-alive send times, the last few, to learn the interval.
    public var keepaliveTimes: [Int64] = []
    /// Round-trip times of acked requests (first copy to ack), the first few.
    public var roundTrips: [Int64] = []
    public var clientRetransmissions: UInt64 = 0
    public var serverRetransmissions: UInt64 = 0
    /// The highest server seq1 seen, for sequence gaps.
    public var lastServerSeq: UInt16? = nil
    public var lastServerSeqFrame: UInt64? = nil
    var longestIdleSinceServerPacket: Int64 = 0
    /// The login reply that dictated the keep-alive interval, and the keep-alives sent (the
    /// first few frames), the evidence for the keep-alive interval.
    public var loginReplyFrame: UInt64? = nil
    public var keepaliveFrames: [UInt64] = []
    /// The client endpoints it was seen from, in order, when a NAT rebound it.
    public var rebindings: [(frame: UInt64, from: Endpoint, to: Endpoint)] = []
    public var endReason: EndReason? = nil
    public var loggedOut = false

    static let keptTimes = 16

    /// The keep-alive interval: from the login reply, else the median of observed intervals.
    public var keepaliveInterval: (value: Int64, learnedFrom: String)? {
        if let keepaliveHint { return (keepaliveHint, "login_reply") }
        guard keepaliveTimes.count >= 3 else { return nil }
        var gaps: [Int64] = []
        for i in 1..<keepaliveTimes.count { gaps.append(keepaliveTimes[i] - keepaliveTimes[i - 1]) }
        gaps.sort()
        return (gaps[gaps.count / 2], "observed")
    }

    mutating func noteRoundTrip(_ value: Int64) {
        if roundTrips.count < ICQSession.keptTimes { roundTrips.append(value) }
    }

    mutating func noteKeepalive(_ time: Int64, frame: UInt64) {
        if keepaliveFrames.count < ICQSession.keptTimes { keepaliveFrames.append(frame) }
        keepaliveTimes.append(time)
        if keepaliveTimes.count > ICQSession.keptTimes { keepaliveTimes.removeFirst() }
    }
}

/// One transmission of a packet that expects an ack, with every copy of it.
public struct ICQExchange: Sendable {
    public var command: UInt16
    public var seq1: UInt16
    public var seq2: UInt16
    public var copies: [(frame: UInt64, time: Int64, side: Int)]
    public var ack: (frame: UInt64, time: Int64)? = nil
    /// Packets from the other party that arrived while this one waited (any at all means the
    /// path back was open: a missing ack is then the peer's doing, not the firewall's).
    public var otherPartyPacketsWhileWaiting: Int = 0
    /// The idle gap on the session before the first copy (server pushes only).
    public var gapBefore: Int64 = 0
    var otherPartyCountAtStart: UInt64 = 0

    /// Fills in what happened on the other side while this exchange waited.
    mutating func settle(in session: ICQSession, fromClient: Bool) {
        let now = fromClient ? session.serverPackets : session.clientPackets
        let others = Int(now - otherPartyCountAtStart) - (ack == nil ? 0 : 1)
        otherPartyPacketsWhileWaiting = max(0, others)
    }

    public var firstTime: Int64 { copies[0].time }
    public var lastTime: Int64 { copies[copies.count - 1].time }
    public var frames: [UInt64] { copies.map(\.frame) + (ack.map { [$0.frame] } ?? []) }
}
