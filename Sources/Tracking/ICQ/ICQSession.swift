import Bytes
import Capture

/// One classic ICQ session: a UIN logged in with a session id, followed across NAT rebinding;
/// what the session record and the rules read when it ends. The tracker keeps a live session in
/// a compact slot (`ICQSessionTable.SessionSlot`) and makes this value from it.
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
    /// The client's endpoint as last seen, and the server's.
    public var client: Endpoint
    public var server: Endpoint
    public var firstTime: Int64
    public var lastTime: Int64
    public var lastClientTime: Int64?
    /// Frames of the client's and server's packets, counted.
    public var clientPackets: UInt64
    public var serverPackets: UInt64
    /// The keep-alive interval the server's login reply dictated, if seen.
    public var keepaliveHint: Int64?
    /// The median of the intervals between the client's last keep-alives (at least three seen).
    public var observedKeepaliveInterval: Int64?
    /// Round-trip times of acked requests (first copy to ack), the first few.
    public var roundTrips: [Int64]
    public var clientRetransmissions: UInt64
    public var serverRetransmissions: UInt64
    /// The highest server seq1's frame, for sequence gaps.
    public var lastServerSeqFrame: UInt64?
    /// The login reply that dictated the keep-alive interval, and the keep-alives sent (the
    /// first few frames), the evidence for the keep-alive interval.
    public var loginReplyFrame: UInt64?
    public var keepaliveFrames: [UInt64]
    /// The client endpoints it was seen from, in order, when a NAT rebound it.
    public var rebindings: [(frame: UInt64, from: Endpoint, to: Endpoint)]
    public var endReason: EndReason?
    public var loggedOut: Bool

    /// How many round trips and keep-alive frames a session keeps, and over how many of the
    /// last keep-alives the observed interval is taken.
    static let keptTimes = 16

    /// The keep-alive interval: the median of the intervals observed, else what the login reply
    /// dictates. What the client did is preferred: real clients keep their own timers whatever
    /// the reply says (issue 13: a reply saying 140 s to a client that sends every 120 s).
    public var keepaliveInterval: (value: Int64, learnedFrom: String)? {
        if let observedKeepaliveInterval { return (observedKeepaliveInterval, "observed") }
        return keepaliveHint.map { ($0, "login_reply") }
    }

    /// What the rules read of the session at the moment an event is emitted (a plain value: no
    /// lists, nothing counted by reference).
    public var facts: ICQSessionFacts {
        ICQSessionFacts(key: key, client: client, server: server, firstTime: firstTime, lastTime: lastTime,
                        lastClientTime: lastClientTime, serverPackets: serverPackets,
                        lastServerSeqFrame: lastServerSeqFrame, keepaliveInterval: observedKeepaliveInterval ?? keepaliveHint,
                        keepaliveObserved: observedKeepaliveInterval != nil)
    }

    /// The median of the gaps between consecutive times (the upper one of an even count), nil
    /// below three times. Sorted on the stack: at most `keptTimes - 1` gaps.
    static func medianInterval(count: Int, time: (Int) -> Int64) -> Int64? {
        guard count >= 3 else { return nil }
        let n = count - 1
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: n) { gaps in
            var previous = time(0)
            for i in 0..<n {
                let next = time(i + 1)
                let gap = CaptureTime.elapsed(from: previous, to: next)
                previous = next
                var j = i
                while j > 0 && gaps[j - 1] > gap {
                    gaps[j] = gaps[j - 1]
                    j -= 1
                }
                gaps[j] = gap
            }
            return gaps[n / 2]
        }
    }
}

/// What the rules need of a session when they judge one of its events: the state it had when
/// the event happened (later packets of the same call may change the session).
public struct ICQSessionFacts: Sendable {
    public var key: ICQSession.Key
    public var client: Endpoint
    public var server: Endpoint
    public var firstTime: Int64
    public var lastTime: Int64
    public var lastClientTime: Int64?
    public var serverPackets: UInt64
    public var lastServerSeqFrame: UInt64?
    /// `ICQSession.keepaliveInterval`'s value, and whether it was observed (else the login
    /// reply's).
    public var keepaliveInterval: Int64?
    public var keepaliveObserved: Bool = false

    /// `keepalive_source` of that value: `observed` or `login_reply`.
    public var keepaliveSource: String? {
        keepaliveInterval == nil ? nil : (keepaliveObserved ? "observed" : "login_reply")
    }
}

/// One transmission of a packet that expects an ack, with every copy of it.
public struct ICQExchange: Sendable {
    public var command: UInt16
    public var seq1: UInt16
    public var seq2: UInt16
    /// How many acks the capture saw that the client never got (another copy followed each; at
    /// most 255 counted). Seen on the server's side of a drop (outside), they prove the acks were
    /// lost after the capture point. Their frames are kept among `laterFrames`, marked by
    /// `ackMark` (in the padding after the sequence numbers: no reference, nothing to copy).
    public private(set) var lostAckCount: UInt8 = 0
    /// How many copies were seen, and the first's and last's times.
    public private(set) var copyCount: Int
    public private(set) var firstTime: Int64
    public private(set) var lastTime: Int64
    /// The frames of the first copies; a real client sends at most 6 (Licq 7, mICQ 8), so a
    /// request allocates nothing. A sender that keeps going spills into `laterFrames`.
    private var firstFrames: InlineArray<8, UInt64> = .init(repeating: 0)
    private var laterFrames: [UInt64] = []
    /// The frame of the first copy: with the first time and seq1, what orders exchanges that
    /// come due at one instant, the same in one thread as in shards (`read --threads`).
    public var firstFrame: UInt64 { firstFrames[0] }
    public var ack: (frame: UInt64, time: Int64)? = nil
    /// Packets from the other party that arrived while this one waited (any at all means the
    /// path back was open: a missing ack is then the peer's doing, not the firewall's).
    public var otherPartyPacketsWhileWaiting: Int = 0
    /// The idle gap on the session before the first copy (server pushes only).
    public var gapBefore: Int64 = 0
    var otherPartyCountAtStart: UInt64 = 0

    init(command: UInt16, seq1: UInt16, seq2: UInt16, frame: UInt64, time: Int64) {
        self.command = command
        self.seq1 = seq1
        self.seq2 = seq2
        copyCount = 1
        firstTime = time
        lastTime = time
        firstFrames[0] = frame
    }

    /// Whether the client sent a copy after an ack the capture saw.
    public var resentAfterAck: Bool { lostAckCount > 0 }

    /// Marks a lost ack's frame in `laterFrames` (frame numbers stay far below 2^63).
    static let ackMark: UInt64 = 1 << 63

    /// Acks the capture saw that the client never got, in capture order.
    public var acksFollowedByCopies: [UInt64] {
        resentAfterAck ? laterFrames.filter { $0 & Self.ackMark != 0 }.map { $0 & ~Self.ackMark } : []
    }

    /// A copy came after the ack: the client did not get it, and the exchange waits again.
    mutating func reopen() {
        guard let ack else { return }
        laterFrames.append(ack.frame | Self.ackMark)
        if lostAckCount != .max { lostAckCount += 1 }
        self.ack = nil
    }

    mutating func addCopy(frame: UInt64, time: Int64) {
        if copyCount < firstFrames.count { firstFrames[copyCount] = frame } else { laterFrames.append(frame) }
        copyCount += 1
        lastTime = time
    }

    /// What a free slot of the tracker's pool holds.
    static let vacant = ICQExchange(command: 0, seq1: 0, seq2: 0, frame: 0, time: 0)

    /// Fills in what happened on the other side while this exchange waited, from the other
    /// party's packet count now.
    mutating func settle(otherPartyPackets now: UInt64) {
        let others = Int(truncatingIfNeeded: now &- otherPartyCountAtStart) - (ack == nil ? 0 : 1) - Int(lostAckCount)
        otherPartyPacketsWhileWaiting = max(0, others)
    }

    /// The frames of every copy, then the ack's; with acks followed by copies, every copy and
    /// every ack in capture order.
    public var frames: [UInt64] {
        var frames: [UInt64] = []
        frames.reserveCapacity(min(copyCount, firstFrames.count) + laterFrames.count + 1)
        for i in 0..<min(copyCount, firstFrames.count) { frames.append(firstFrames[i]) }
        if resentAfterAck {
            for frame in laterFrames { frames.append(frame & ~Self.ackMark) }
        } else {
            frames.append(contentsOf: laterFrames)
        }
        if let ack { frames.append(ack.frame) }
        if resentAfterAck { frames.sort() }
        return frames
    }
}
