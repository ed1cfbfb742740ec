import Bytes
import Wire

/// What a packet sent in a peer's name (a reset, an ICMP error) shows against the peer's other
/// packets at the same vantage point: its TTL and IP id, the TTL the peer's packets arrive with,
/// and the counter that numbers them where one does. The peer-port rule judges the fit.
public struct SenderFit: Sendable, Equatable {
    /// The packet's own TTL (hop limit) and IP id (nil on IPv6, which has none).
    public var ttl: UInt8
    public var ipID: UInt16?
    /// The TTL of the peer's latest other packet here; nil when none was seen.
    public var usualTTL: UInt8?
    /// The peer's IP ids, where one counter is shown to number its packets to every destination.
    public var counter: IPIDCounter?

    public init(ttl: UInt8, usualTTL: UInt8?, ipID: UInt16? = nil, counter: IPIDCounter? = nil) {
        self.ttl = ttl
        self.usualTTL = usualTTL
        self.ipID = ipID
        self.counter = counter
    }
}

/// One counter numbers a host's packets to every destination (as Windows numbers them; Linux
/// numbers per destination or per connection, or sends zero with DF): its latest id, and how
/// long before the packet it is held against.
public struct IPIDCounter: Sendable, Equatable {
    public var latest: UInt16
    public var age: Int64

    public init(latest: UInt16, age: Int64) {
        self.latest = latest
        self.age = age
    }
}

/// What is kept per address: the TTL and IP id of its latest packet, and how many times in a
/// row its packets to two different destinations carried consecutive ids.
public struct SenderMarks: Sendable {
    /// Packets to different destinations, one after another, whose ids follow within this step
    /// count as one counter's. A host's packets to others not captured here fill the gaps.
    static let maximumStep: UInt16 = 256
    /// Steps in a row that prove a counter shared by every destination. Per-destination or
    /// per-connection counters (Linux) start at random: two such ids fall within 256 of each
    /// other once in 256 pairs, three times running about once in 17 million.
    static let provenSteps: UInt8 = 3

    var ttl: UInt8
    var id: UInt16
    var hasID: Bool
    var steps: UInt8
    /// The latest packet's destination (IPv4), and its time.
    var destination: UInt32
    var time: Int64

    /// The marks of an address's first packet.
    public init(ttl: UInt8, id: UInt16?, destination: UInt32, time: Int64) {
        self.ttl = ttl
        self.id = id ?? 0
        hasID = id != nil
        steps = 0
        self.destination = destination
        self.time = time
    }

    /// The address's next packet.
    public mutating func note(ttl: UInt8, id: UInt16?, destination: UInt32, time: Int64) {
        if let id, hasID {
            let step = id &- self.id
            if step >= 1 && step <= Self.maximumStep {
                if destination != self.destination && steps < .max { steps += 1 }
            } else {
                steps = 0
            }
        } else {
            steps = 0
        }
        self.ttl = ttl
        self.id = id ?? 0
        hasID = id != nil
        self.destination = destination
        self.time = time
    }

    /// A packet in the address's name (TTL, IP id) at `time`, held against these marks (nil: none kept).
    public static func fit(_ marks: SenderMarks?, ttl: UInt8, ipID: UInt16?, time: Int64) -> SenderFit {
        var counter: IPIDCounter? = nil
        if let marks, marks.hasID, marks.steps >= provenSteps {
            counter = IPIDCounter(latest: marks.id, age: max(0, time &- marks.time))
        }
        return SenderFit(ttl: ttl, usualTTL: marks?.ttl, ipID: ipID, counter: counter)
    }
}

extension ConnectionAttemptState {
    /// A packet the address sent itself (not a reset or an ICMP error, which may be forged in its
    /// name): the TTL and IP id it arrived with here. O(1); no move to the front when known.
    mutating func noteSender(_ decoded: DecodedPacket, source: IPAddress, time: Int64) {
        let ttl = decoded.ipv4?.ttl ?? decoded.ipv6?.hopLimit ?? 0
        let id = decoded.ipv4?.identification
        let destination = decoded.ipv4?.destination.ipv4Value ?? 0
        onSenderNoted?(source, ttl, id, destination, time)
        let known = senders.update(source) { $0.note(ttl: ttl, id: id, destination: destination, time: time) }
        if !known {
            senders.set(SenderMarks(ttl: ttl, id: id, destination: destination, time: time), for: source)
        }
    }

    /// A packet in `source`'s name held against its other packets here.
    func fit(_ decoded: DecodedPacket, source: IPAddress, time: Int64) -> SenderFit {
        SenderMarks.fit(senders[source], ttl: decoded.ipv4?.ttl ?? decoded.ipv6?.hopLimit ?? 0,
                        ipID: decoded.ipv4?.identification, time: time)
    }
}
