import Bytes
import Capture

/// The guide's second proxy: a UDP mapping, a host (often the firewall itself) that forwards what
/// arrives on one of its ports to the ICQ server. A mapping forwards the client's datagram
/// unchanged, so the same classic ICQ client datagram is seen twice: first to the mapping, then
/// to the server, to another destination and from another source (the mapping's own address) or
/// on the other side of a two-sided capture (a firewall's DNAT, where the source may stay).
/// A retransmission keeps its destination; a NAT's copy keeps its destination too: neither is
/// taken for a mapping.
///
/// Only logins and keep-alives are compared (the caller picks them): a mapping carries every
/// session's, and they are few, so this costs nothing on the path of other packets. Bounded: the
/// last `capacity` datagrams are remembered, and each mapping is said once.
public struct UDPMappingDetector: Sendable {
    /// A client's datagram that went to `mapping` and was forwarded from there to `server`.
    public struct Mapping: Sendable, Equatable {
        public var client: Endpoint
        public var mapping: Endpoint
        public var server: Endpoint
        /// The datagram as it reached the mapping, then as it left for the server.
        public var frames: [UInt64]
    }

    struct Seen: Sendable {
        var hash: UInt64
        var length: Int
        var source: Endpoint
        var destination: Endpoint
        var side: Int
        var frame: UInt64
        var time: Int64
    }

    /// How far apart the two copies may be: a relay forwards at once.
    public static let window: Int64 = 2_000_000_000
    let capacity: Int
    var recent: [Seen] = []
    var next = 0
    var said: Set<Endpoint> = []

    public init(capacity: Int = 64) {
        self.capacity = capacity
    }

    /// A classic ICQ login or keep-alive from a client (`payload`: the UDP payload as sent);
    /// returns the mapping the first time its forwarded copy shows one.
    public mutating func clientDatagram(_ payload: UnsafeRawBufferPointer, source: Endpoint, destination: Endpoint,
                                        side: Int, frame: UInt64, time: Int64) -> Mapping? {
        let hash = GatewayMatcher.payloadHash(payload, seed: 0x5544_504D_6170)
        var found: Mapping? = nil
        for earlier in recent where earlier.hash == hash && earlier.length == payload.count
            && earlier.destination != destination && (earlier.source != source || earlier.side != side)
            && CaptureTime.elapsed(from: earlier.time, to: time).magnitude <= UInt64(Self.window) {
            found = Mapping(client: earlier.source, mapping: earlier.destination, server: destination,
                            frames: [earlier.frame, frame])
            break
        }
        let seen = Seen(hash: hash, length: payload.count, source: source, destination: destination, side: side,
                        frame: frame, time: time)
        if recent.count < capacity { recent.append(seen) } else { recent[next] = seen }
        next = (next + 1) % capacity
        guard let mapping = found, said.count < capacity, !said.contains(mapping.mapping) else { return nil }
        said.insert(mapping.mapping)
        return mapping
    }
}

