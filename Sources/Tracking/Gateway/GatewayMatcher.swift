import Bytes
import Capture
import Wire

/// On a capture that holds both sides of a gateway (an interface per side, or `-i any` with
/// Linux cooked v2), pairs each packet with its forwarded copy on the other side and reports the
/// packets that never got one: "arrived on one side, never left on the other" is the proof of a
/// drop at the gateway (or, for a packet the gateway itself made, of its origin there).
///
/// Copies are recognised by what NAT does not change: the IP protocol, the IP identification,
/// the transport payload (its length and a hash of its bytes) and, for TCP, the flags. Addresses
/// and ports may differ (NAT), and the TTL drops by one. A copy may be recorded before or after
/// the original (two capture handles are read in turn), so matching waits `window` either way.
/// Bounded: at most `capacity` packets wait; the oldest is given up (counted) when full.
public final class GatewayMatcher {
    public struct Fingerprint: Hashable, Sendable {
        var protocolNumber: UInt8
        var identification: UInt32
        var payloadLength: Int
        var payloadHash: UInt64
        var tcpFlags: UInt16
    }

    /// A packet seen on one side whose copy never appeared on the other.
    public struct Unforwarded: Sendable, Equatable {
        public var frame: UInt64
        public var time: Int64
        public var side: Int
        public var source: Endpoint
        public var destination: Endpoint
        public var protocolNumber: UInt8
    }

    public struct Counters: Sendable, Equatable {
        public var matched: UInt64 = 0
        public var unforwarded: UInt64 = 0
        public var givenUp: UInt64 = 0
    }

    struct Waiting {
        var packet: Unforwarded
        var fingerprint: Fingerprint
    }

    public let window: Int64
    public let capacity: Int
    public private(set) var counters = Counters()
    /// The sides seen so far; matching means something only once there are two.
    public private(set) var sides: Set<Int> = []
    private var waiting: [Fingerprint: [Waiting]] = [:]
    /// Arrival order, for expiry; entries already matched are skipped lazily.
    private var queue: [(time: Int64, fingerprint: Fingerprint, frame: UInt64)] = []
    private var queueHead = 0
    private var waitingCount = 0

    public init(windowSeconds: Double = 1.0, capacity: Int = 65_536) {
        window = Int64(windowSeconds * 1e9)
        self.capacity = capacity
    }

    /// Records a packet seen on `side` (an interface index or a Linux cooked v2 ifindex).
    /// Returns the frame number of its copy on the other side when this packet completes a pair.
    @discardableResult
    public func observe(frame: UInt64, time: Int64, side: Int, decoded: DecodedPacket,
                        bytes: UnsafeRawBufferPointer) -> UInt64? {
        sides.insert(side)
        guard let fingerprint = Self.fingerprint(decoded, bytes: bytes),
              let source = decoded.sourceAddress, let destination = decoded.destinationAddress else { return nil }
        if var candidates = waiting[fingerprint],
           let index = candidates.firstIndex(where: { $0.packet.side != side && CaptureTime.distance($0.packet.time, time) <= window }) {
            let partner = candidates.remove(at: index)
            waiting[fingerprint] = candidates.isEmpty ? nil : candidates
            waitingCount -= 1
            counters.matched += 1
            return partner.packet.frame
        }
        let ports = Self.ports(decoded)
        let entry = Waiting(packet: Unforwarded(
            frame: frame, time: time, side: side,
            source: Endpoint(address: source, port: ports.0), destination: Endpoint(address: destination, port: ports.1),
            protocolNumber: fingerprint.protocolNumber), fingerprint: fingerprint)
        waiting[fingerprint, default: []].append(entry)
        queue.append((time, fingerprint, frame))
        waitingCount += 1
        return nil
    }

    /// Packets whose window has passed without a copy, oldest first. Call with the current
    /// capture time (or with `Int64.max` at the end of the capture).
    public func expire(now: Int64) -> [Unforwarded] {
        var result: [Unforwarded] = []
        while queueHead < queue.count {
            let head = queue[queueHead]
            let overCapacity = waitingCount > capacity
            guard CaptureTime.elapsed(from: head.time, to: now) > window || overCapacity else { break }
            queueHead += 1
            guard var candidates = waiting[head.fingerprint],
                  let index = candidates.firstIndex(where: { $0.packet.frame == head.frame }) else { continue }
            let entry = candidates.remove(at: index)
            waiting[head.fingerprint] = candidates.isEmpty ? nil : candidates
            waitingCount -= 1
            if overCapacity && CaptureTime.elapsed(from: head.time, to: now) <= window {
                counters.givenUp += 1
            } else if sides.count >= 2 {
                counters.unforwarded += 1
                result.append(entry.packet)
            }
        }
        if queueHead > 4096 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return result
    }

    static func ports(_ decoded: DecodedPacket) -> (UInt16, UInt16) {
        switch decoded.transport {
        case .udp(let h): (h.sourcePort, h.destinationPort)
        case .tcp(let h): (h.sourcePort, h.destinationPort)
        default: (0, 0)
        }
    }

    static func fingerprint(_ decoded: DecodedPacket, bytes: UnsafeRawBufferPointer) -> Fingerprint? {
        let protocolNumber: UInt8
        let identification: UInt32
        switch decoded.network {
        case .ipv4(let h):
            protocolNumber = h.protocolNumber
            identification = UInt32(h.identification)
        case .ipv6(let h):
            protocolNumber = h.upperProtocol
            identification = h.flowLabel
        case nil:
            return nil
        }
        var flags: UInt16 = 0
        var tcpSequenceHash: UInt64 = 0
        if case .tcp(let h) = decoded.transport {
            flags = h.flags
            // Segments without payload differ only by their sequence numbers; NAT keeps them.
            tcpSequenceHash = UInt64(h.sequenceNumber) << 32 | UInt64(h.acknowledgementNumber)
        }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ tcpSequenceHash
        let end = min(decoded.payloadOffset + decoded.payloadLength, bytes.count)
        if decoded.payloadOffset < end {
            for i in decoded.payloadOffset..<end {
                hash = (hash ^ UInt64(bytes[i])) &* 0x0000_0100_0000_01B3
            }
        }
        if case .icmp = decoded.transport {
            // An ICMP error's quoted header is rewritten by NAT: hash only type and code.
            hash = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes[max(0, decoded.payloadOffset - 8)])
        }
        return Fingerprint(protocolNumber: protocolNumber, identification: identification,
                           payloadLength: decoded.payloadWireLength, payloadHash: hash, tcpFlags: flags)
    }
}
