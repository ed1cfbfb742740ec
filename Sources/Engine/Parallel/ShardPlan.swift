import Bytes
import Capture
import Wire

/// How a shard of `read --threads` knows its frames (docs/architecture.md, "every core").
///
/// First the reading shard decides as it reads, by a hash of the frame's inside host, and hands
/// the frame on (`FrameHandoff`): no pass over the file before the shards start, which would
/// run on one core while the others wait. That holds as long as every host's frames stay with one inside host: a frame between
/// two hosts of one side (two inside hosts talking; every host of a capture taken outside a
/// NAT) whose hashes differ would join two shards' hosts, and the run stops at it. The file is
/// then split by `ShardPartition`, which reads it first and joins such hosts into components.
///
/// The reader asks at every frame of the file: a class, so that asking retains nothing.
final class ShardPlan {
    let shards: Int
    private let partition: ShardPartition?
    private let inside: [IPNetwork]

    /// The first shard's part of the 32-bit hash space, and the scale that spreads the rest
    /// over the other shards.
    private let firstShare: UInt64
    private let restScale: UInt64

    init(hashingInsideHostsInto shards: Int, inside: [IPNetwork]) {
        self.shards = shards
        self.inside = inside
        partition = nil
        firstShare = UInt64(Self.readersShare(shards: shards) * Double(UInt64(1) << 32))
        restScale = ((UInt64(shards) - 1) << 32) / ((UInt64(1) << 32) - firstShare)
    }

    init(_ partition: ShardPartition, shards: Int) {
        self.shards = shards
        self.partition = partition
        inside = []
        firstShare = 0
        restScale = 0
    }

    /// The first shard reads the file and hands every frame to the others besides analysing
    /// its own: it gets fewer hosts, so that all finish together. Reading, deciding and handing
    /// over cost it about `readingCost` of the whole analysis, which the others share (measured
    /// on the 10,000-user gateway mix: about 300 instructions a frame, against an analysis of
    /// 6,700 a frame at 200,000 packets and 5,600 at a million; 0.047 balances the million).
    static func readersShare(shards: Int) -> Double {
        guard shards > 1 else { return 1 }
        return max(0, (1 - readingCost * Double(shards - 1)) / Double(shards))
    }

    static let readingCost = 0.047

    var isPartition: Bool { partition != nil }
    /// Frames the partition read (nil: no partition).
    var partitionedFrames: Int? { partition?.shardOfFrame.count }

    /// Which shard analyses a frame.
    enum Owner: Equatable {
        case shard(Int)
        /// The frame joins hosts of two shards: the run wants the partition.
        case joinsShards
        /// Whatever the split, the file wants one thread.
        case fragment, secondSide
    }

    /// `interfaces`: how many the file has declared so far.
    func owner(of packet: CapturedPacket, interfaces: Int) -> Owner {
        // Nearly every frame of a busy gateway's file, decided here in about 77 instructions; with
        // every case in one function, each frame paid for all of them (about 113).
        if interfaces < 2, partition == nil, insideIsPrivate,
           case .addresses(let source, let destination, isFragment: false)
               = PacketDecoder.ethernetIPv4Addresses(packet.bytes, linkType: packet.linkType) {
            return owner(source, IPAddress.isPrivate(ipv4: source), destination, IPAddress.isPrivate(ipv4: destination))
        }
        return anyOwner(of: packet, interfaces: interfaces)
    }

    /// Every frame `owner(of:interfaces:)` does not decide itself.
    @inline(never)
    private func anyOwner(of packet: CapturedPacket, interfaces: Int) -> Owner {
        if let partition { return .shard(partition.shard(ofFrame: packet.frameNumber)) }
        if Analyzer.showsTwoSides(interfaces: interfaces, linkType: packet.linkType) { return .secondSide }
        // Other Ethernet IPv4 frames: their addresses are read in place.
        switch PacketDecoder.ethernetIPv4Addresses(packet.bytes, linkType: packet.linkType) {
        case .addresses(let source, let destination, let isFragment):
            if isFragment { return .fragment }
            if insideIsPrivate {
                return owner(source, IPAddress.isPrivate(ipv4: source), destination, IPAddress.isPrivate(ipv4: destination))
            }
            let s = IPAddress(ipv4: source), d = IPAddress(ipv4: destination)
            return owner(source, isInside(s), destination, isInside(d))
        case .refused:
            return .shard(0)
        case .otherFrame:
            guard let (source, destination, isFragment) = PacketDecoder.addresses(packet.bytes, linkType: packet.linkType) else {
                return .shard(0)
            }
            if isFragment { return .fragment }
            return owner(mix(source), isInside(source), mix(destination), isInside(destination))
        }
    }

    /// A frame between an inside and an outside host is the inside host's; one between two hosts
    /// of one side is theirs if both hash to one shard.
    @inline(__always)
    private func owner<Key: FixedWidthInteger>(_ source: Key, _ sourceInside: Bool, _ destination: Key, _ destinationInside: Bool) -> Owner {
        if sourceInside != destinationInside { return .shard(shard(of: sourceInside ? source : destination)) }
        let s = shard(of: source)
        return s == shard(of: destination) ? .shard(s) : .joinsShards
    }

    /// The shard of an inside host's frames (tests choose their hosts by it).
    func shard(ofInsideHost address: IPAddress) -> Int { shard(of: mix(address)) }

    private var insideIsPrivate: Bool { inside.isEmpty }

    private func isInside(_ address: IPAddress) -> Bool { Self.isInside(address, inside) }

    /// Inside: in one of the `--inside` networks, else in the private ranges.
    @inline(__always)
    static func isInside(_ address: IPAddress, _ inside: [IPNetwork]) -> Bool {
        inside.isEmpty ? address.isPrivate : inside.contains { $0.contains(address) }
    }

    /// An IPv6 address folded to 64 bits (an IPv4 address is its own key).
    private func mix(_ address: IPAddress) -> UInt64 {
        address.isIPv6 ? address.high &* 0xC2B2_AE3D_27D4_EB4F ^ address.low : address.low
    }

    /// A fixed mix of the key (the same in every run and every shard), then the shard: the top
    /// 32 bits of the mix, the first shard's below `firstShare`, the rest scaled to the others
    /// (a multiplication: a division would be a quarter of the cost of asking, at every frame).
    @inline(__always)
    private func shard<Key: FixedWidthInteger>(of key: Key) -> Int {
        let mixed = (UInt64(truncatingIfNeeded: key) &* 0x9E37_79B9_7F4A_7C15) >> 32
        guard mixed >= firstShare else { return 0 }
        return 1 + Int(truncatingIfNeeded: ((mixed - firstShare) &* restScale) >> 32)
    }
}
