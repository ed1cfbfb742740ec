import Bytes
import Capture
import Wire

/// `read --threads N` when a hash of the inside host cannot split the file (`ShardPlan`): a pass
/// before the shards that chooses which shard analyses each frame, from the packets alone so
/// that every run splits a file the same way (docs/architecture.md, "every core").
///
/// A shard holds all that one inside host does: its flows, its ICQ sessions across rebindings
/// (same inside address, new port), the ports it advertises and the connections to them. Hosts
/// are joined into one component when they talk to each other on the same side (two inside
/// hosts, or two outside hosts: a capture outside a NAT, where every client is the public
/// address); a packet between an inside and an outside host belongs to the inside host's
/// component. Components are dealt to shards largest first, each to the least loaded.
///
/// What one host's state can still learn from another component is handed over by the merge
/// (advertised peers, the marks of a peer that talks to several, the peer-port rule's counts) or
/// checked there (`ShardConflicts`): a run it cannot vouch for is read again on one thread.
struct ShardPartition {
    /// The shard of frame n, at index n - 1.
    var shardOfFrame: [UInt8] = []
    func shard(ofFrame frame: UInt64) -> Int {
        frame >= 1 && frame <= shardOfFrame.count ? Int(shardOfFrame[Int(frame) - 1]) : 0
    }

    /// Frames per shard.
    var framesPerShard: [Int] = []
    /// The file holds IP fragments.
    var hasFragments = false

    /// Reads `path` once (the shards report what its reader finds wrong). Nil when it does not
    /// open (the serial run reports that) or shows two sides.
    static func make(path: String, shards: Int, inside: [IPNetwork]) -> ShardPartition? {
        guard var reader = try? CaptureFileReader(path: path) else { return nil }
        var partition = ShardPartition()
        var components = AddressComponents(inside: inside)
        // Each frame's host by address id: the one whose component it belongs to (-1: a frame
        // without IP addresses).
        var frames: [Int32] = []
        while true {
            let packet: CapturedPacket?
            do {
                packet = try reader.nextPacket()
            } catch {
                if error.isFatal { break }
                continue
            }
            guard let packet else { break }
            if Analyzer.showsTwoSides(interfaces: reader.interfaces.count, linkType: packet.linkType) { return nil }
            guard let (source, destination, isFragment) = PacketDecoder.addresses(packet.bytes, linkType: packet.linkType) else {
                frames.append(-1)
                continue
            }
            if isFragment { partition.hasFragments = true }
            let s = components.id(of: source), d = components.id(of: destination)
            let sourceInside = components.isInside(s), destinationInside = components.isInside(d)
            let key: Int32
            if sourceInside && !destinationInside {
                key = s
            } else if destinationInside && !sourceInside {
                key = d
            } else {
                components.join(s, d)
                key = s
            }
            frames.append(key)
        }
        partition.assign(frames, components: components, shards: shards)
        return partition
    }

    /// Components, largest first, each to the shard with the fewest frames so far.
    private mutating func assign(_ frames: [Int32], components: AddressComponents, shards: Int) {
        // Arrays indexed by address id throughout: a million frames want no hashing here.
        let rootOf = (0..<Int32(components.addresses.count)).map { components.root($0) }
        var framesOfRoot = [Int](repeating: 0, count: rootOf.count)
        for key in frames where key >= 0 { framesOfRoot[Int(rootOf[Int(key)])] += 1 }
        let roots = framesOfRoot.indices.filter { framesOfRoot[$0] > 0 }
            .sorted { (framesOfRoot[$0], $1) > (framesOfRoot[$1], $0) }
        framesPerShard = [Int](repeating: 0, count: shards)
        var shardOfRoot = [UInt8](repeating: 0, count: rootOf.count)
        for root in roots {
            let shard = framesPerShard.indices.min { (framesPerShard[$0], $0) < (framesPerShard[$1], $1) }!
            shardOfRoot[root] = UInt8(shard)
            framesPerShard[shard] += framesOfRoot[root]
        }
        // The shard of each address's component, then of each frame.
        let shardOfAddress = rootOf.map { shardOfRoot[Int($0)] }
        shardOfFrame = frames.map { $0 < 0 ? 0 : shardOfAddress[Int($0)] }
        framesPerShard[0] += frames.lazy.filter { $0 < 0 }.count
    }

    /// The shards that got frames.
    var busyShards: Int { framesPerShard.filter { $0 > 0 }.count }
}

/// Union-find over the addresses of a capture.
struct AddressComponents {
    private var ids = AddressIDs()
    var addresses: [IPAddress] { ids.addresses }
    /// Whether each address is inside (`ShardPlan.isInside`), found once per address.
    private var inside: [Bool] = []
    private let insideNetworks: [IPNetwork]
    private var parent: [Int32] = []

    init(inside: [IPNetwork] = []) {
        insideNetworks = inside
    }

    func isInside(_ id: Int32) -> Bool { inside[Int(id)] }

    mutating func id(of address: IPAddress) -> Int32 {
        let id = ids.id(of: address)
        if Int(id) == parent.count {
            inside.append(ShardPlan.isInside(address, insideNetworks))
            parent.append(id)
        }
        return id
    }

    func root(_ x: Int32) -> Int32 {
        var x = x
        while parent[Int(x)] != x { x = parent[Int(x)] }
        return x
    }

    mutating func join(_ a: Int32, _ b: Int32) {
        var a = a, b = b
        while parent[Int(a)] != a { parent[Int(a)] = parent[Int(parent[Int(a)])]; a = parent[Int(a)] }
        while parent[Int(b)] != b { parent[Int(b)] = parent[Int(parent[Int(b)])]; b = parent[Int(b)] }
        if a != b { parent[Int(max(a, b))] = min(a, b) }
    }
}
