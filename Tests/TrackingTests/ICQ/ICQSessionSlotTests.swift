import Bytes
import Testing
@testable import Tracking
import Wire

/// A live ICQ session is kept in a compact slot (issue 10: at most 256 bytes a session with its
/// index entries): endpoints in eight bytes (IPv6 addresses counted in a pool), round trips and
/// keep-alives in shared blocks. What the session record shows must be exactly what came in, and
/// an ended session must give everything back.
struct ICQSessionSlotTests {
    static let server = Endpoint(address: v6(0x01), port: 4000)

    static func v6(_ last: UInt8) -> IPAddress {
        let bytes: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [last]
        return bytes.withUnsafeBytes { IPAddress.ipv6($0, at: 0) }
    }

    /// Feeds real v5 datagrams (encrypted by the client's cipher, decoded by the pipeline's
    /// decoder) and keeps the ended sessions.
    final class Feed {
        let tracker: ICQSessionTracker
        let decoder = ICQDecoder()
        var frame: UInt64 = 0
        var events: [ICQSessionTracker.Event] = []
        var ended: [ICQSession] = []
        var rebindings: [(from: Endpoint, to: Endpoint)] = []

        init(_ configuration: ICQSessionTracker.Configuration = .init()) {
            tracker = ICQSessionTracker(configuration: configuration)
        }

        func client(_ uin: UInt32, from endpoint: Endpoint, command: UInt16, seq1: UInt16, seq2: UInt16 = 0, at time: Int64,
                    side: Int = 0) {
            let parameters = ICQParameters.status(uin)
            let bytes = ICQEncoder.v5Client(uin: uin, session: uin, command: command, seq1: seq1, seq2: seq2,
                                            parameters: parameters,
                                            r1: ICQEncoder.clientR1(random: uin, length: 24 + parameters.count), r2: 7)
            feed(bytes, .clientToServer, from: endpoint, to: ICQSessionSlotTests.server, at: time, side: side)
        }

        func server(_ uin: UInt32, to endpoint: Endpoint, command: UInt16, seq1: UInt16, seq2: UInt16 = 0, at time: Int64) {
            let bytes = ICQEncoder.v5Server(session: uin, command: command, seq1: seq1, seq2: seq2, uin: uin,
                                            parameters: [0, 0, 0, 0], r1: 3, r2: 0x21)
            feed(bytes, .serverToClient, from: ICQSessionSlotTests.server, to: endpoint, at: time, side: 0)
        }

        private func feed(_ bytes: [UInt8], _ direction: ICQDirection, from source: Endpoint, to destination: Endpoint,
                          at time: Int64, side: Int) {
            frame += 1
            bytes.withUnsafeBytes { payload in
                guard case .icq(let packet) = decoder.decode(payload, direction: direction) else {
                    Issue.record("the encoder's datagram did not decode")
                    return
                }
                tracker.observe(packet, source: source, destination: destination, frame: frame, time: time, side: side)
            }
            drain()
        }

        func finish() {
            tracker.finish()
            drain()
        }

        private func drain() {
            tracker.drainEvents(into: &events)
            for event in events {
                if case .sessionEnded(let session) = event { ended.append(session) }
                if case .rebinding(_, _, _, let from, let to) = event { rebindings.append((from, to)) }
            }
        }
    }

    static let second: Int64 = 1_000_000_000
    static let keepAlive: UInt16 = 0x042E
    static let ack: UInt16 = 0x000A

    @Test func slotStaysSmall() {
        #expect(MemoryLayout<ICQSessionTable.SessionSlot>.stride <= 144)
        #expect(ICQSessionTable.blocksPerSessionAtMost == 8)
    }

    /// Twenty keep-alives, each acked after its own delay (the first after 5 s, longer than the
    /// inline pair holds, so every round trip goes to blocks): the first 16 round trips and
    /// keep-alive frames are kept exactly, and the interval is the median of the last 15 gaps.
    @Test func roundTripsAndKeepalivesAreKeptExactly() {
        for firstDelay in [5 * Self.second, 1_234_567] {
            let feed = Feed()
            let client = Endpoint(address: IPAddress(ipv4: 0x0A00_0001), port: 5000)
            var time: Int64 = 1_000 * Self.second
            var times: [Int64] = []
            var delays: [Int64] = []
            var frames: [UInt64] = []
            for k in 0..<20 {
                let delay = k == 0 ? firstDelay : Int64(1_000_000 + 37_000 * k)
                feed.client(42, from: client, command: Self.keepAlive, seq1: UInt16(k + 1), at: time)
                frames.append(feed.frame)
                times.append(time)
                feed.server(42, to: client, command: Self.ack, seq1: UInt16(k + 1), at: time + delay)
                delays.append(delay)
                time += Int64(30 + (k * 7) % 11) * Self.second
            }
            let live = feed.tracker.occupancy.historyBlocks
            #expect(live == (firstDelay > Int64(UInt32.max) ? 3 : 2) + 3 + 3)
            feed.finish()
            #expect(feed.ended.count == 1)
            let session = feed.ended[0]
            #expect(session.roundTrips == Array(delays.prefix(16)))
            #expect(session.keepaliveFrames == Array(frames.prefix(16)))
            let gaps = zip(times.suffix(16).dropFirst(), times.suffix(16)).map { $0 - $1 }.sorted()
            #expect(session.observedKeepaliveInterval == gaps[gaps.count / 2])
            #expect(session.keepaliveInterval?.learnedFrom == "observed")
            #expect(session.clientPackets == 20 && session.serverPackets == 20)
            #expect(feed.tracker.occupancy.historyBlocks == 0)
        }
    }

    /// IPv6 clients: a NAT rebinding to a new port, then to a new address; a second session on
    /// the first session's old address. Every endpoint comes back whole, the old endpoints still
    /// lead to the session that had them, and at the end the pool holds no address.
    @Test func ipv6EndpointsRebindAndAreGivenBack() {
        let feed = Feed()
        let first = Endpoint(address: Self.v6(0x10), port: 5000)
        let newPort = Endpoint(address: Self.v6(0x10), port: 6000)
        let newAddress = Endpoint(address: Self.v6(0x11), port: 6000)
        let other = Endpoint(address: Self.v6(0x10), port: 7000)
        let t = 1_000 * Self.second
        feed.server(7, to: first, command: 0x0078, seq1: 1, at: t)  // the server speaks first
        feed.client(7, from: first, command: Self.ack, seq1: 1, at: t + 1)
        feed.client(7, from: newPort, command: 0x04D8, seq1: 2, seq2: 1, at: t + Self.second)
        feed.client(7, from: newAddress, command: 0x04D8, seq1: 3, seq2: 2, at: t + 2 * Self.second)
        feed.client(8, from: other, command: 0x04D8, seq1: 1, seq2: 1, at: t + 3 * Self.second)
        #expect(feed.rebindings.map(\.from) == [first, newPort])
        #expect(feed.rebindings.map(\.to) == [newPort, newAddress])
        let seven = ICQSession.Key(uin: 7, sessionID: 7)
        for endpoint in [first, newPort, newAddress] { #expect(feed.tracker.sessionKey(forClient: endpoint) == seven) }
        #expect(feed.tracker.sessionKey(forClient: other) == ICQSession.Key(uin: 8, sessionID: 8))
        #expect(feed.tracker.facts(for: seven)?.client == newAddress)
        #expect(feed.tracker.facts(for: seven)?.server == Self.server)
        #expect(feed.tracker.occupancy.ipv6Addresses == 3)

        feed.finish()
        #expect(feed.ended.map(\.key.uin) == [7, 8])
        #expect(feed.ended[0].client == newAddress)
        #expect(feed.ended[0].rebindings.map(\.from) == [first, newPort])
        #expect(feed.ended[0].rebindings.map(\.to) == [newPort, newAddress])
        #expect(feed.ended[1].client == other)
        let occupancy = feed.tracker.occupancy
        #expect(occupancy.ipv6Addresses == 0)
        #expect(occupancy.clientEndpoints == 0)
        #expect(occupancy.historyBlocks == 0)
        #expect(occupancy.sessions == 0)
    }

    /// A client seen on ever more capture sides (crafted cooked-v2 interface indexes) holds a
    /// bounded number of them; each new side still becomes the client's endpoint.
    @Test func capturedSidesAreBounded() {
        let feed = Feed()
        for side in 0..<200 {
            let endpoint = Endpoint(address: IPAddress(ipv4: 0x0A00_0000 | UInt32(side)), port: 5000)
            feed.client(9, from: endpoint, command: 0x04D8, seq1: UInt16(side + 1), seq2: UInt16(side + 1),
                        at: Int64(side + 1) * Self.second, side: side)
            #expect(feed.tracker.facts(for: ICQSession.Key(uin: 9, sessionID: 9))?.client == endpoint)
        }
        #expect(feed.tracker.occupancy.clientEndpoints <= ICQSessionTable.keptSides)
        feed.finish()
        #expect(feed.tracker.occupancy.clientEndpoints == 0)
    }
}
