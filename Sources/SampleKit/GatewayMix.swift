/// A busy gateway's traffic as its inside interface sees it, for benchmarks: `users` concurrent
/// users (each its own address in 10.0.0.0/8) and, per 100 packets, 40 classic ICQ v5 on UDP 4000,
/// 15 OSCAR on TCP 5190, 10 ICQ peer-to-peer, 5 SOCKS5 and 30 short web-like TCP connections,
/// at 20,000 packets per second of capture time. The mix and the rate are the same at every
/// number of users; only how many users share them changes, so the cost per packet of an
/// analyzer can be compared across user counts.
///
/// Steady state from the first packet: the capture starts on a running gateway, so users are
/// already logged in (ICQ sessions and OSCAR connections are picked up mid-way, with sequence
/// numbers in progress) and log off and in again at a constant rate. Packets come out one at a
/// time (`next()`), in time order, from an endless deterministic stream: a file of 2P packets is
/// the file of P packets followed by P more of the same mix, and memory does not grow with the
/// number of packets (only with the users, and with the packets scheduled but not yet due).
///
/// How: each protocol starts "episodes" (an ICQ exchange, a web connection, a peer connection
/// attempt...) at its own cadence, the next user of a round-robin each time; an episode puts its
/// packets, with their real timing, into a time-ordered queue, and the cadence advances by as
/// many packets as the episode made, so each protocol keeps its share of the rate exactly. Round
/// robin keeps every user active across the whole file with gaps that scale with the number of
/// users (at 100,000 users an ICQ user speaks every ~25 s, well inside the 120 s firewall timeout).
public final class GatewayMix {
    /// What a packet belongs to, in the mix's proportions.
    public enum Category: Int, CaseIterable, Sendable {
        case icq, oscar, peer, socks, web

        /// Packets per 100.
        public var share: Int {
            switch self {
            case .icq: 40
            case .oscar: 15
            case .peer: 10
            case .socks: 5
            case .web: 30
            }
        }
    }

    /// The protocol whose PDU a frame carries, as `icqscope read` counts frames in its summary
    /// (`protocols.icq`, `oscar`, `socks`, `icq_peer`); `none` for handshakes, pure ACKs, FINs,
    /// refused SYNs and web or tunnelled bytes.
    public enum Carried: Int, CaseIterable, Sendable { case none, icq, oscar, socks, peer }

    public struct Counts: Sendable, Equatable {
        public var packets = 0
        /// Packets per `Category`.
        public var byCategory = [Int](repeating: 0, count: Category.allCases.count)
        /// Frames per `Carried`.
        public var byCarried = [Int](repeating: 0, count: Carried.allCases.count)
        /// Of those, the frames of UDP and of TCP connections whose SYN is in the capture: an
        /// analyzer sees these conversations from their start. (Those under way when the capture
        /// starts may not all be decodable: peer-to-peer framing cannot be picked up mid-stream.)
        public var byCarriedFromStart = [Int](repeating: 0, count: Carried.allCases.count)
        /// TCP connections opened (first SYN of each), of the background web traffic.
        public var webConnections = 0
        /// ICQ v5 client packets (each encrypted, with a valid checkcode).
        public var encryptedICQ = 0

        public subscript(_ category: Category) -> Int { byCategory[category.rawValue] }
        public subscript(_ carried: Carried) -> Int { byCarried[carried.rawValue] }
        public func fromStart(_ carried: Carried) -> Int { byCarriedFromStart[carried.rawValue] }
    }

    public static let packetsPerSecond: Int64 = 20_000
    /// The mix runs this long before the capture starts, and what it sends then is not captured:
    /// longer than any episode lasts (an unanswered SYN's last retransmission comes after 9 s, a
    /// lost ack's retransmission after 10 s), so every protocol has its full share from the first
    /// packet on, and conversations in progress at the start are seen from their middle, as a
    /// capture started on a busy gateway sees them.
    static let warmUp: Int64 = 12 * ICQSessionScript.second
    /// 2024-11-24 14:00:00 UTC, like the other generated captures.
    public static let defaultStart: Int64 = 1_732_456_800 * ICQSessionScript.second

    public let userCount: Int
    public let start: Int64
    public private(set) var counts = Counts()

    var random: SeededRandom
    /// Derives what is computed rather than stored (the users' contacts).
    let hashSeed: UInt64
    var users: [MixUser] = []
    var queue = MixPacketQueue()
    /// Per category: when its next episode starts (picoseconds after `start`) and whose it is.
    var nextEpisode: [Int64]
    var nextUser: [Int]
    /// Whether the frame being built is captured: during the warm-up, builders only advance the
    /// conversations' state and skip the bytes.
    var capturing = false
    /// Whether the frame just built belongs to a conversation whose start is in the capture.
    var builtFromStart = true
    /// Packets the episode being built has queued.
    var episodePackets = 0
    /// Random bytes that stand for encrypted or compressed payloads (TLS records, web bodies).
    let opaque: [UInt8]

    public init(users: Int, seed: UInt64 = 1, start: Int64 = GatewayMix.defaultStart) {
        precondition(users > 0, "a gateway mix needs at least one user")
        userCount = users
        self.start = start
        hashSeed = seed
        nextEpisode = [Int64](repeating: 0, count: Category.allCases.count)
        nextUser = [Int](repeating: 0, count: Category.allCases.count)
        var random = SeededRandom(seed: seed)
        opaque = (0..<65_536).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        var all: [MixUser] = []
        all.reserveCapacity(users)
        for index in 0..<users { all.append(MixUser(index: index, random: &random)) }
        self.users = all
        self.random = random
    }

    /// Picoseconds between two packets of `category` at its share of the aggregate rate.
    static func cadence(_ category: Category) -> Int64 {
        1_000_000_000_000 * 100 / (packetsPerSecond * Int64(category.share))
    }

    /// The next packet in time order: its capture time (ns since the epoch) and Ethernet frame.
    public func next() -> (time: Int64, frame: [UInt8]) {
        while true {
            var category = 0
            for c in 1..<nextEpisode.count where nextEpisode[c] < nextEpisode[category] { category = c }
            let episodeStart = start - Self.warmUp + nextEpisode[category] / 1000
            // Episodes only queue packets at or after their start: what is due by then goes first.
            if let due = queue.first, due.time <= episodeStart {
                let packet = queue.removeFirst()
                capturing = packet.time >= start
                builtFromStart = true
                let frame = packet.build()
                guard capturing else { continue }
                count(packet)
                return (packet.time, frame)
            }
            let kind = Category(rawValue: category)!
            let user = readyUser(kind, at: episodeStart)
            episodePackets = 0
            runEpisode(kind, user: user, at: episodeStart)
            precondition(episodePackets > 0, "an episode must queue packets")
            nextEpisode[category] += Int64(episodePackets) * Self.cadence(kind)
        }
    }

    /// The next user of the category's round robin that is free for it: one still logging in
    /// to ICQ or connecting to OSCAR is passed over (its conversation is not ready for the next
    /// exchange yet). With every user busy (a handful of users), the next one anyway.
    func readyUser(_ category: Category, at time: Int64) -> Int {
        let first = nextUser[category.rawValue]
        var user = first
        repeat {
            let ready: Bool
            switch category {
            case .icq: ready = users[user].icq.readyAt <= time
            case .oscar: ready = users[user].oscar.readyAt <= time
            case .peer, .socks, .web: ready = true
            }
            if ready { break }
            user = (user + 1) % userCount
        } while user != first
        nextUser[category.rawValue] = (user + 1) % userCount
        return user
    }

    func runEpisode(_ category: Category, user: Int, at time: Int64) {
        switch category {
        case .icq: icqEpisode(user, at: time)
        case .oscar: oscarEpisode(user, at: time)
        case .peer: peerEpisode(user, at: time)
        case .socks: socksEpisode(user, at: time)
        case .web: webEpisode(user, at: time)
        }
    }

    /// Queues one frame of the episode being built; `build` makes its bytes when it is due.
    func emit(_ time: Int64, _ category: Category, carries: Carried = .none, opensWebConnection: Bool = false,
              encryptedICQ: Bool = false, build: @escaping () -> [UInt8]) {
        queue.insert(MixPacket(time: time, category: category, carried: carries, opensWebConnection: opensWebConnection,
                               encryptedICQ: encryptedICQ, build: build))
        episodePackets += 1
    }

    private func count(_ packet: MixPacket) {
        counts.packets += 1
        counts.byCategory[packet.category.rawValue] += 1
        counts.byCarried[packet.carried.rawValue] += 1
        if builtFromStart { counts.byCarriedFromStart[packet.carried.rawValue] += 1 }
        if packet.opensWebConnection { counts.webConnections += 1 }
        if packet.encryptedICQ { counts.encryptedICQ += 1 }
    }

    // MARK: Randomness (seeded)

    func randomU32() -> UInt32 { UInt32(truncatingIfNeeded: random.next()) }
    func randomU16() -> UInt16 { UInt16(truncatingIfNeeded: random.next()) }
    func randomBelow(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
    /// `count` opaque bytes from a random place of the pool.
    func opaqueBytes(_ count: Int) -> [UInt8] {
        let offset = randomBelow(opaque.count - count)
        return Array(opaque[offset..<offset + count])
    }
}
