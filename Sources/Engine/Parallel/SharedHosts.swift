import Bytes

/// The outside addresses of one shard's frames, by id, and of the outside hosts its packets
/// name (an ICMP error quotes one): a shard notes the marks (TTL, IP id) of a sender by its id,
/// before anyone knows which hosts other shards see too (`SharedHosts`, after the run). Inside
/// hosts are left out: every frame of an inside host goes to one shard, whichever plan split the
/// file, so no other shard sees one.
struct ShardHosts {
    private(set) var table = AddressIDs()
    private let inside: [IPNetwork]
    /// Whether each id's address is in one of the shard's frames (not only named by a packet).
    private var inFrames: [Bool] = []
    /// The sender noted last and its id (-1: inside): a connection's packets come in runs.
    private var lastNoted: IPAddress? = nil
    private var lastNotedID: Int32 = -1

    init(inside: [IPNetwork]) {
        self.inside = inside
    }

    /// A frame of the shard opened a flow, or joined none: its outside addresses are marked.
    /// Every later frame of a flow carries the same two addresses (they are in its key), so
    /// marking at the flow's first frame marks every frame's (a frame's lookups were a twelfth
    /// of the shard's own overhead).
    mutating func markFrame(source: IPAddress?, destination: IPAddress?) {
        guard let source, let destination else { return }
        if !isInside(source) { markInFrames(source) }
        if !isInside(destination) { markInFrames(destination) }
    }

    /// Asked of every sender noted: the private ranges (no `--inside`) are tested inline.
    @inline(__always)
    func isInside(_ address: IPAddress) -> Bool {
        inside.isEmpty ? address.isPrivate : ShardPlan.isInside(address, inside)
    }

    @inline(__always)
    private mutating func markInFrames(_ address: IPAddress) {
        let id = Int(table.id(of: address))
        if id >= inFrames.count { inFrames += [Bool](repeating: false, count: id + 1 - inFrames.count) }
        // Read first: most frames mark an address marked before, and a read leaves the array as it is.
        if !inFrames[id] { inFrames[id] = true }
    }

    func isInFrames(_ id: Int) -> Bool { id < inFrames.count && inFrames[id] }

    /// The id a note of an IPv6 `source`'s marks carries; nil for an inside host.
    mutating func noted(_ source: IPAddress) -> Int32? {
        if source != lastNoted {
            lastNoted = source
            lastNotedID = isInside(source) ? -1 : table.id(of: source)
        }
        return lastNotedID >= 0 ? lastNotedID : nil
    }
}

/// The hosts several shards see (in the frames of more than one), numbered 0, 1, ...: found
/// after the run from the shards' tables. The merge follows their marks as one thread keeps them
/// (`SharedSenderMarks`), and a SOCKS relay among them sends the file to one thread.
struct SharedHosts {
    /// Every address of every shard's frames, by id, and the shared number of each (-1: not shared).
    private var all = AddressIDs()
    private var numberOfID: [Int32] = []
    private(set) var count = 0
    /// For each shard, the shared number of each of its IPv6 ids where the merge follows that
    /// host's marks (-1: not shared, or no event is judged on it, or an IPv4 address: a shard
    /// notes an IPv4 sender by its address, `followedIPv4`).
    private(set) var numbersByShard: [[Int32]] = []
    /// The shared number of each IPv4 host whose marks the merge follows (a shard notes an IPv4
    /// sender by its address).
    private(set) var followedIPv4 = IPv4Numbers()

    /// `judged`: the hosts whose marks the shards' attempt events are judged on.
    init(_ shards: [ShardHosts], judged: [IPAddress]) {
        var firstShard: [Int32] = []
        var shared: [Bool] = []
        for (s, hosts) in shards.enumerated() {
            for (i, address) in hosts.table.addresses.enumerated() where hosts.isInFrames(i) {
                let id = Int(all.id(of: address))
                if id == firstShard.count {
                    firstShard.append(Int32(s))
                    shared.append(false)
                } else if firstShard[id] != Int32(s) {
                    shared[id] = true
                }
            }
        }
        numberOfID = [Int32](repeating: -1, count: shared.count)
        for id in shared.indices where shared[id] {
            numberOfID[id] = Int32(count)
            count += 1
        }
        var followed = [Bool](repeating: false, count: count)
        for host in judged {
            guard let number = number(host) else { continue }
            followed[Int(number)] = true
            if !host.isIPv6 { followedIPv4.insert(host.ipv4Value, number: number) }
        }
        let hosts = self
        numbersByShard = shards.map { shard in
            shard.table.addresses.map { address in
                guard address.isIPv6 else { return -1 }
                return hosts.number(address).flatMap { followed[Int($0)] ? $0 : nil } ?? -1
            }
        }
    }

    /// The number of an address several shards see.
    func number(_ address: IPAddress) -> Int32? {
        guard let id = all.existingID(of: address) else { return nil }
        let number = numberOfID[Int(id)]
        return number >= 0 ? number : nil
    }

    func isShared(_ address: IPAddress) -> Bool { number(address) != nil }
}

/// IPv4 addresses and their shared numbers (the hosts whose notes the merge follows: a few,
/// asked of every note a shard kept), sorted for a binary search.
struct IPv4Numbers {
    private var addresses: [UInt32] = []
    private var numbers: [Int32] = []
    /// A bit per hash of the addresses here: most addresses asked about (every noted packet's,
    /// half a million on the million-packet mix) are not, and are told so without a search.
    private var present = [UInt64](repeating: 0, count: 64)

    var isEmpty: Bool { addresses.isEmpty }

    mutating func insert(_ address: UInt32, number: Int32) {
        let i = place(address)
        guard i == addresses.count || addresses[i] != address else { return }
        addresses.insert(address, at: i)
        numbers.insert(number, at: i)
        let bit = Self.bit(address)
        present[bit >> 6] |= 1 << UInt64(bit & 63)
    }

    /// The address's number; -1 when it is not here.
    func number(_ address: UInt32) -> Int32 {
        let bit = Self.bit(address)
        guard present[bit >> 6] & (1 << UInt64(bit & 63)) != 0 else { return -1 }
        let i = place(address)
        return i < addresses.count && addresses[i] == address ? numbers[i] : -1
    }

    /// One of 4,096 bits, from the address's top bits after a multiplication.
    @inline(__always)
    private static func bit(_ address: UInt32) -> Int {
        Int(truncatingIfNeeded: (UInt64(address) &* 0x9E37_79B9_7F4A_7C15) >> 52)
    }

    /// The first place whose address is not below `address`.
    private func place(_ address: UInt32) -> Int {
        addresses.firstPlace { $0 >= address }
    }
}
