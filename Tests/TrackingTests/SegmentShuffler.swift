import Bytes
import Capture
import Wire

/// A small deterministic generator (SplitMix64), so a failing shuffle can be replayed by its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Rewrites a real capture's TCP segments the way a network (or a lossy capture) would:
/// each segment is cut into pieces whose ranges may overlap, the pieces are reordered among
/// themselves, some are sent twice, and optionally some are dropped.
struct SegmentShuffler {
    var maxPieces = 4
    var overlapChance = 0.3
    var duplicateChance = 0.2
    var dropChance = 0.0

    /// The frames to replay, renumbered in the new order. Also returns how many pieces were dropped.
    func rewrite(_ frames: [StoredFrame], seed: UInt64) -> (frames: [StoredFrame], dropped: Int) {
        var rng = SeededGenerator(seed: seed)
        var out: [StoredFrame] = []
        var dropped = 0
        for frame in frames {
            let decoded = frame.bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: frame.linkType) }
            guard case .tcp(let tcp)? = decoded.transport, let ip = decoded.ipv4, decoded.payloadLength > 1 else {
                out.append(frame)
                continue
            }
            let tcpOffset = decoded.payloadOffset - tcp.headerLength
            let ipOffset = tcpOffset - ip.headerLength
            let payload = Array(frame.bytes[decoded.payloadOffset..<(decoded.payloadOffset + decoded.payloadLength)])
            // Cut points, then pieces [cut[i] - overlap, cut[i + 1]).
            let count = Int.random(in: 1...maxPieces, using: &rng)
            var cuts = Set<Int>([0, payload.count])
            while cuts.count < min(count + 1, payload.count + 1) { cuts.insert(Int.random(in: 1..<payload.count, using: &rng)) }
            let sorted = cuts.sorted()
            var pieces: [(Int, Int)] = []
            for i in 0..<(sorted.count - 1) {
                var start = sorted[i]
                if start > 0 && Double.random(in: 0..<1, using: &rng) < overlapChance {
                    start = max(0, start - Int.random(in: 1...8, using: &rng))
                }
                pieces.append((start, sorted[i + 1]))
                if Double.random(in: 0..<1, using: &rng) < duplicateChance { pieces.append((start, sorted[i + 1])) }
            }
            pieces.shuffle(using: &rng)
            for (start, end) in pieces {
                if dropChance > 0 && Double.random(in: 0..<1, using: &rng) < dropChance {
                    dropped += 1
                    continue
                }
                var bytes = Array(frame.bytes[..<decoded.payloadOffset])
                bytes.append(contentsOf: payload[start..<end])
                let total = ip.headerLength + tcp.headerLength + (end - start)
                bytes[ipOffset + 2] = UInt8(total >> 8)
                bytes[ipOffset + 3] = UInt8(total & 0xFF)
                let sequence = tcp.sequenceNumber &+ UInt32(start)
                for k in 0..<4 { bytes[tcpOffset + 4 + k] = UInt8(truncatingIfNeeded: sequence >> (24 - 8 * k)) }
                // Only the last piece keeps FIN: a FIN before the data is done would end the stream.
                if end != payload.count { bytes[tcpOffset + 13] &= ~0x01 }
                out.append(StoredFrame(number: 0, linkType: frame.linkType, bytes: bytes))
            }
        }
        for i in out.indices { out[i].number = UInt64(i + 1) }
        return (out, dropped)
    }
}
