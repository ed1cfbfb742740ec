import Bytes
import Capture
import Wire

/// Pass one of `read --threads N`: which shard analyses each frame, chosen from the packets
/// alone so that every run splits a file the same way (docs/architecture.md, "every core").
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
    /// The shard of frame n, at index n - 1 (`Self.shardBits`), and whether its source address
    /// appears in other shards' frames too (`Self.sharedSource`).
    var shardOfFrame: [UInt8] = []
    static let shardBits: UInt8 = 0x3F
    static let sharedSource: UInt8 = 0x80
    /// The addresses that appear in the frames of more than one shard, each with a number
    /// (0, 1, ...) that the merge's arrays are indexed by.
    var sharedAddresses: [IPAddress: Int32] = [:]
    /// Every address of the file by id (read-only once made, so the shards' threads may look
    /// up in it), and the shared number of each id (-1: not shared): a shard asks for a host's
    /// number at every packet of a busy server, which wants no SipHash.
    private var addressIDs = AddressComponents()
    private var sharedNumberOfID: [Int32] = []
    func shard(ofFrame frame: UInt64) -> Int { Int(shardOfFrame[Int(frame) - 1] & Self.shardBits) }
    func sourceIsShared(frame: UInt64) -> Bool { shardOfFrame[Int(frame) - 1] & Self.sharedSource != 0 }

    /// Frames per shard, for the report of how the work was split.
    var framesPerShard: [Int] = []
    /// Errors the reader reported, each with the number the next packet got: one thread writes
    /// them at that point of the run, before that packet's records.
    var errors: [(beforeFrame: UInt64, error: CaptureError)] = []
    /// The reader stopped at a fatal error.
    var stoppedEarly = false
    /// The file holds IP fragments.
    var hasFragments = false
    /// Distinct addresses in the file: at most this many hosts fill the per-address tables.
    var addresses = 0
    /// The file shows more than one side (interfaces, or cooked v2): the gateway matcher pairs
    /// packets across hosts, so such a file is analysed on one thread.
    var twoSided = false

    /// Reads `path` once. Nil when it does not open (the serial run reports that) or shows two sides.
    static func make(path: String, shards: Int, inside: [IPNetwork]) -> ShardPartition? {
        guard var reader = try? CaptureFileReader(path: path) else { return nil }
        var partition = ShardPartition()
        var components = AddressComponents(inside: inside)
        var frames: [FrameHosts] = []
        while true {
            let packet: CapturedPacket?
            do {
                packet = try reader.nextPacket()
            } catch {
                partition.errors.append((UInt64(frames.count) + 1, error))
                if error.isFatal {
                    partition.stoppedEarly = true
                    break
                }
                continue
            }
            guard let packet else { break }
            if reader.interfaces.count >= 2 || packet.linkType == .linuxSLL2 { return nil }
            guard let (source, destination, isFragment) = PacketDecoder.addresses(packet.bytes, linkType: packet.linkType) else {
                frames.append(FrameHosts(key: -1, source: -1, destination: -1))
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
            frames.append(FrameHosts(key: key, source: s, destination: d))
        }
        partition.assign(frames, components: components, shards: shards)
        return partition
    }

    /// A frame's hosts by address id: the one whose component it belongs to, and both ends
    /// (-1: a frame without IP addresses).
    struct FrameHosts {
        var key: Int32
        var source: Int32
        var destination: Int32
    }

    static func isInside(_ address: IPAddress, _ inside: [IPNetwork]) -> Bool {
        inside.isEmpty ? address.isPrivate : inside.contains { $0.contains(address) }
    }

    /// Components, largest first, each to the shard with the fewest frames so far.
    private mutating func assign(_ frames: [FrameHosts], components: AddressComponents, shards: Int) {
        // Arrays indexed by address id throughout: a million frames want no hashing here.
        let rootOf = (0..<Int32(components.addresses.count)).map { components.root($0) }
        var framesOfRoot = [Int](repeating: 0, count: rootOf.count)
        for frame in frames where frame.key >= 0 { framesOfRoot[Int(rootOf[Int(frame.key)])] += 1 }
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
        shardOfFrame = frames.map { $0.key < 0 ? 0 : shardOfAddress[Int($0.key)] }
        framesPerShard[0] += frames.lazy.filter { $0.key < 0 }.count
        var masks = [UInt64](repeating: 0, count: components.addresses.count)
        for (i, frame) in frames.enumerated() where frame.key >= 0 {
            let bit: UInt64 = 1 << UInt64(shardOfFrame[i])
            masks[Int(frame.source)] |= bit
            masks[Int(frame.destination)] |= bit
        }
        sharedNumberOfID = [Int32](repeating: -1, count: components.addresses.count)
        for (i, address) in components.addresses.enumerated() where masks[i] & (masks[i] &- 1) != 0 {
            sharedNumberOfID[i] = Int32(sharedAddresses.count)
            sharedAddresses[address] = Int32(sharedAddresses.count)
        }
        addressIDs = components
        for (i, frame) in frames.enumerated() where frame.key >= 0 {
            let mask = masks[Int(frame.source)]
            if mask & (mask &- 1) != 0 { shardOfFrame[i] |= Self.sharedSource }
        }
        addresses = components.addresses.count
    }

    /// Whether the address appears in the frames of more than one shard.
    func isShared(_ address: IPAddress) -> Bool { sharedAddresses[address] != nil }

    /// The number of an address several shards see.
    func sharedNumber(_ address: IPAddress) -> Int32? {
        guard let id = addressIDs.existingID(of: address) else { return nil }
        let number = sharedNumberOfID[Int(id)]
        return number >= 0 ? number : nil
    }

    /// The shards that got frames.
    var busyShards: Int { framesPerShard.filter { $0 > 0 }.count }
}

/// Union-find over the addresses of a capture.
struct AddressComponents {
    private(set) var addresses: [IPAddress] = []
    /// Whether each address is inside (`ShardPartition.isInside`), found once per address.
    private var inside: [Bool] = []
    private let insideNetworks: [IPNetwork]
    /// IPv4 addresses in an open-addressing table (a million lookups a second want no SipHash),
    /// IPv6 in a dictionary.
    private var ipv4Keys = [UInt32](repeating: 0, count: 1 << 12)
    private var ipv4IDs = [Int32](repeating: -1, count: 1 << 12)
    private var ipv6IDs: [IPAddress: Int32] = [:]
    private var parent: [Int32] = []
    /// The last address looked up, and its id: a conversation's packets come in runs.
    private var last: (address: IPAddress, id: Int32)? = nil

    init(inside: [IPNetwork] = []) {
        insideNetworks = inside
    }

    func isInside(_ id: Int32) -> Bool { inside[Int(id)] }

    mutating func id(of address: IPAddress) -> Int32 {
        if let last, last.address == address { return last.id }
        let id: Int32
        if address.isIPv6 {
            if let known = ipv6IDs[address] {
                id = known
            } else {
                id = add(address)
                ipv6IDs[address] = id
            }
        } else {
            id = ipv4ID(address)
        }
        last = (address, id)
        return id
    }

    /// The id of an address already seen, without changing anything (`id(of:)` notes the last).
    func existingID(of address: IPAddress) -> Int32? {
        address.isIPv6 ? ipv6IDs[address] : probe(address.ipv4Value).id
    }

    /// Where an IPv4 address is in the table (its id), or the free slot it would take. Inlined:
    /// it runs twice a frame in the partition.
    @inline(__always)
    private func probe(_ key: UInt32) -> (slot: Int, id: Int32?) {
        let mask = ipv4Keys.count - 1
        var i = Self.slot(key, mask)
        while ipv4IDs[i] >= 0 {
            if ipv4Keys[i] == key { return (i, ipv4IDs[i]) }
            i = (i + 1) & mask
        }
        return (i, nil)
    }

    private static func slot(_ key: UInt32, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(key) &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
    }

    private mutating func add(_ address: IPAddress) -> Int32 {
        let id = Int32(addresses.count)
        addresses.append(address)
        inside.append(ShardPartition.isInside(address, insideNetworks))
        parent.append(id)
        return id
    }

    private mutating func ipv4ID(_ address: IPAddress) -> Int32 {
        let key = address.ipv4Value
        let (i, known) = probe(key)
        if let known { return known }
        let id = add(address)
        ipv4Keys[i] = key
        ipv4IDs[i] = id
        if addresses.count * 2 > ipv4Keys.count {
            // Half full: twice the size, every IPv4 address placed again.
            let keys = ipv4Keys, ids = ipv4IDs
            ipv4Keys = [UInt32](repeating: 0, count: keys.count * 2)
            ipv4IDs = [Int32](repeating: -1, count: keys.count * 2)
            let mask = ipv4Keys.count - 1
            for j in keys.indices where ids[j] >= 0 {
                var k = Self.slot(keys[j], mask)
                while ipv4IDs[k] >= 0 { k = (k + 1) & mask }
                ipv4Keys[k] = keys[j]
                ipv4IDs[k] = ids[j]
            }
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
