import Capture
import Tracking
import Wire

/// `read --merge` of captures taken apart (two tcpdumps on a gateway's two sides, or on two
/// hosts): their clocks may differ by seconds, and a forwarded copy must not seem to come before
/// its original. The packets both files hold tell the difference. A packet and its forwarded
/// copy are recognised by what a NATing gateway leaves alone, as the gateway matcher recognises
/// them (IP protocol and id, payload length and a hash of its bytes, TCP flags and sequence
/// numbers; addresses and ports may be rewritten); the TTL, one lower after forwarding, says
/// which file saw each first.
///
/// With d = (time in the first file) − (time in this file) for each shared packet, the offset O
/// added to this file's times must keep every copy after its original: O > d where the first
/// file saw the packet first, O < d where this file did. O is the middle of that interval (zero
/// when the clocks already fit it); with one direction only, just past its bound; when the
/// bounds contradict each other, or TTLs say nothing (two captures of one link), the median d.
/// Pairs farther than a second from the median are taken for chance collisions and left out.
public enum MergeClockEstimator {
    public struct Estimate: Sendable, Equatable {
        /// Index of the file in the merge (the first file, 0, is the reference).
        public var file: Int
        /// Added to every timestamp of the file; nil when it shares too few packets with the first.
        public var offsetNanos: Int64?
        /// Packets seen once in each of the two files and in both.
        public var packetsInCommon: Int
        /// The pairs the offset rests on: the packet's index (from 0) in the first file and in this one.
        public var evidence: [Pair]
    }

    public struct Pair: Sendable, Equatable {
        public var reference: UInt64
        public var file: UInt64
    }

    /// Packets read from the start of each file (bounded time and memory on long captures).
    public static let packetsExamined = 200_000
    /// Fewer shared packets than this estimate nothing.
    public static let minimumPairs = 3
    /// Just past a one-sided bound: a copy is never simultaneous with its original.
    static let margin: Int64 = 1_000

    struct Sighting {
        var time: Int64
        var ttl: UInt8
        var index: UInt64
        var seen: Int
    }

    /// One estimate per file after the first. Files that cannot be read estimate nothing (the
    /// merge reports them); nor do the files of an icqscope capture ring, which are one capture
    /// cut in time, with one clock (a packet and its forwarded copy may fall on either side of
    /// a rotation).
    public static func estimate(paths: [String]) -> [Estimate] {
        guard paths.count >= 2, let reference = sightings(paths[0]), !reference.isRing else { return [] }
        return (1..<paths.count).compactMap { i in
            guard let other = sightings(paths[i]) else { return Estimate(file: i, offsetNanos: nil, packetsInCommon: 0, evidence: []) }
            return other.isRing ? nil : estimate(file: i, reference: reference.packets, other: other.packets)
        }
    }

    static func estimate(file: Int, reference: [GatewayMatcher.Fingerprint: Sighting],
                         other: [GatewayMatcher.Fingerprint: Sighting]) -> Estimate {
        // (d, reference first?, pair), in the order of the file's packets (deterministic).
        var pairs: [(d: Int64, referenceFirst: Bool?, pair: Pair)] = []
        for (fingerprint, o) in other where o.seen == 1 {
            guard let r = reference[fingerprint], r.seen == 1 else { continue }
            let order: Bool? = r.ttl == o.ttl ? nil : r.ttl > o.ttl
            pairs.append((r.time &- o.time, order, Pair(reference: r.index, file: o.index)))
        }
        pairs.sort { $0.pair.file < $1.pair.file }
        guard pairs.count >= minimumPairs else {
            return Estimate(file: file, offsetNanos: nil, packetsInCommon: pairs.count, evidence: [])
        }
        let median = pairs.map(\.d).sorted()[pairs.count / 2]
        let kept = pairs.filter { ($0.d &- median).magnitude <= 1_000_000_000 }
        guard kept.count >= minimumPairs else {
            return Estimate(file: file, offsetNanos: nil, packetsInCommon: kept.count, evidence: [])
        }
        let lower = kept.filter { $0.referenceFirst == true }.max { $0.d < $1.d }
        let upper = kept.filter { $0.referenceFirst == false }.min { $0.d < $1.d }
        let medianPair = kept.sorted { $0.d < $1.d }[kept.count / 2]
        let offset: Int64
        var evidence: [Pair]
        switch (lower, upper) {
        case (let l?, let u?) where l.d < u.d:
            offset = l.d < 0 && 0 < u.d ? 0 : l.d + (u.d - l.d) / 2
            evidence = [l.pair, u.pair]
        case (let l?, nil):
            offset = l.d < 0 ? 0 : l.d + margin
            evidence = [l.pair]
        case (nil, let u?):
            offset = u.d > 0 ? 0 : u.d - margin
            evidence = [u.pair]
        default:
            offset = medianPair.d
            evidence = [medianPair.pair]
        }
        evidence.sort { $0.file < $1.file }
        return Estimate(file: file, offsetNanos: offset, packetsInCommon: kept.count, evidence: evidence)
    }

    /// Every packet of the file's beginning by its fingerprint; one seen more than once (in the
    /// file's two interfaces, or sent twice alike) is marked and not used.
    static func sightings(_ path: String) -> (packets: [GatewayMatcher.Fingerprint: Sighting], isRing: Bool)? {
        guard var reader = try? CaptureFileReader(path: path) else { return nil }
        var seen: [GatewayMatcher.Fingerprint: Sighting] = [:]
        var index: UInt64 = 0
        while index < UInt64(packetsExamined) {
            let next: CapturedPacket?
            do { next = try reader.nextPacket() } catch { if error.isFatal { break } else { continue } }
            guard let packet = next else { break }
            defer { index += 1 }
            let decoded = PacketDecoder.decode(packet)
            guard !decoded.isFragment, let ttl = timeToLive(decoded),
                  let fingerprint = GatewayMatcher.fingerprint(decoded, bytes: packet.bytes) else { continue }
            if seen[fingerprint] != nil {
                seen[fingerprint]!.seen += 1
            } else {
                seen[fingerprint] = Sighting(time: packet.timestampNanos, ttl: ttl, index: index, seen: 1)
            }
        }
        let isRing = reader.interfaces.contains { $0.description?.hasPrefix(PcapngRing.ringMarker) == true }
        return (seen, isRing)
    }

    static func timeToLive(_ decoded: DecodedPacket) -> UInt8? {
        switch decoded.network {
        case .ipv4(let h): h.ttl
        case .ipv6(let h): h.hopLimit
        case nil: nil
        }
    }
}
