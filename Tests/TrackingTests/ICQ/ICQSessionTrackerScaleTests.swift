import Bytes
import Testing
import Tracking

/// The session tracker with many sessions open at once: what expires at one instant comes out in
/// the documented order, eviction picks the session that has been quiet longest, and an ended
/// session leaves nothing behind in any of the tracker's indexes.
struct ICQSessionTrackerScaleTests {
    static let t0 = seconds(1_000)
    static let empty = ICQSessionTracker.Occupancy(
        sessions: 0, pendingExchanges: 0, clientEndpoints: 0, queuedIdleDeadlines: 0, queuedGiveUps: 0,
        sessionSlots: 0, exchangeSlots: 0)

    /// 50,000 sessions, each with a request and a push still waiting: given up together, they come
    /// out by first copy then seq1 (requests of sessions started at one instant share a time);
    /// then the sessions end idle together, by UIN.
    @Test func fiftyThousandSessionsExpireInReportOrder() {
        let n = 50_000
        var configuration = ICQSessionTracker.Configuration()
        configuration.maximumSessions = n
        let feed = ICQTrackerFeed(configuration)
        // Session k: UIN falls as k rises; sessions 2j and 2j+1 speak at the same instant, the
        // odd one with the lower seq1.
        func uin(_ k: Int) -> UInt32 { UInt32(1_000_000 - k) }
        func seq(_ k: Int) -> UInt16 { k % 2 == 0 ? 2 : 1 }
        func time(_ k: Int) -> Int64 { Self.t0 + Int64(k / 2) * 200_000 }
        for k in 0..<n { feed.client(uin(k), seq1: seq(k), at: time(k)) }
        for k in 0..<n { feed.server(uin(k), seq1: seq(k) + 10, at: seconds(5) + time(k)) }
        #expect(feed.take().isEmpty)
        #expect(feed.tracker.occupancy.pendingExchanges == 2 * n)
        #expect(feed.tracker.occupancy.queuedGiveUps == 2 * n)

        // Both kinds wait 20 s after their only copy: at 30 s every one has passed it.
        feed.advance(to: Self.t0 + seconds(30))
        var expected: [ICQTrackerFeed.Seen] = []
        for pair in stride(from: 0, to: n, by: 2) {
            expected.append(.request(uin: uin(pair + 1), seq1: 1, copies: 1, acked: false))
            expected.append(.request(uin: uin(pair), seq1: 2, copies: 1, acked: false))
        }
        for pair in stride(from: 0, to: n, by: 2) {
            expected.append(.push(uin: uin(pair + 1), seq1: 11, copies: 1, acked: false))
            expected.append(.push(uin: uin(pair), seq1: 12, copies: 1, acked: false))
        }
        let gaveUp = feed.take()
        #expect(gaveUp.count == expected.count)
        #expect(gaveUp == expected)
        #expect(feed.tracker.occupancy.pendingExchanges == 0)
        #expect(feed.tracker.occupancy.sessions == n)

        // Idle for more than 600 s: every session ends at the same instant, by UIN.
        feed.advance(to: Self.t0 + seconds(10 + 600) + 1)
        let ended = feed.take()
        #expect(ended == (0..<n).reversed().map { .ended(uin: uin($0), .idleTimeout) })
        #expect(feed.tracker.occupancy == Self.empty)
    }

    /// A request is given up 20 s after its last copy, or 12 s once the sender has reached the
    /// real client's 6 transmissions; never by a packet of another session.
    @Test func giveUpCountsFromTheLastCopy() {
        let feed = ICQTrackerFeed()
        for copy in 0..<6 { feed.client(100, seq1: 7, at: Self.t0 + seconds(Int64(copy))) }
        for copy in 0..<2 { feed.client(200, seq1: 9, at: Self.t0 + seconds(Int64(copy))) }
        for other in 0..<40 { feed.client(300 + UInt32(other), command: 0x000A, seq1: 1, at: Self.t0 + milliseconds(Int64(other))) }
        // UIN 100's last copy at 5 s: waits until 17 s; UIN 200's at 1 s: until 21 s.
        feed.advance(to: Self.t0 + seconds(17))
        #expect(feed.take().isEmpty)
        feed.advance(to: Self.t0 + seconds(17) + 1)
        #expect(feed.take() == [.request(uin: 100, seq1: 7, copies: 6, acked: false)])
        feed.advance(to: Self.t0 + seconds(21))
        #expect(feed.take().isEmpty)
        feed.advance(to: Self.t0 + seconds(21) + 1)
        #expect(feed.take() == [.request(uin: 200, seq1: 9, copies: 2, acked: false)])
        #expect(feed.tracker.occupancy.queuedGiveUps == 0)
    }

    /// With the table full, a new session ends the one whose last packet is the oldest, even when
    /// the capture's clock stepped back for one packet.
    @Test func evictionPicksTheLeastRecentlyActive() {
        let capacity = 1_000
        var configuration = ICQSessionTracker.Configuration()
        configuration.maximumSessions = capacity
        let feed = ICQTrackerFeed(configuration)
        // Acks only, so that no exchange waits: an evicted session reports just its end.
        for uin in 1...capacity { feed.client(UInt32(uin), command: 0x000A, seq1: 1, at: Self.t0 + milliseconds(Int64(uin))) }
        // Every session speaks again, in a shuffled order.
        let order = (0..<capacity).map { UInt32(($0 * 7_919) % capacity + 1) }
        for (k, uin) in order.enumerated() {
            feed.server(uin, command: 0x000A, seq1: 1, at: Self.t0 + seconds(10) + milliseconds(Int64(k)))
        }
        #expect(feed.take().isEmpty)

        feed.client(5_000, command: 0x000A, seq1: 1, at: Self.t0 + seconds(20))
        #expect(feed.take() == [.ended(uin: order[0], .idleTimeout)])
        feed.client(5_001, command: 0x000A, seq1: 1, at: Self.t0 + seconds(20))
        #expect(feed.take() == [.ended(uin: order[1], .idleTimeout)])
        // order[3] speaks with a time before everything else's last packet: it is now the
        // quietest, ahead of order[2].
        feed.server(order[3], command: 0x000A, seq1: 2, at: Self.t0 + seconds(5))
        feed.client(5_002, command: 0x000A, seq1: 1, at: Self.t0 + seconds(20))
        #expect(feed.take() == [.ended(uin: order[3], .idleTimeout)])
        feed.client(5_003, command: 0x000A, seq1: 1, at: Self.t0 + seconds(20))
        #expect(feed.take() == [.ended(uin: order[2], .idleTimeout)])
        #expect(feed.tracker.evictedSessions == 4)
        #expect(feed.tracker.activeSessions == capacity)
        #expect(feed.tracker.occupancy.queuedIdleDeadlines == capacity)
    }

    /// Sessions with exchanges both ways, a NAT rebinding and a second capture side: those that
    /// log out leave nothing behind, the others keep exactly theirs, and at the end nothing is left.
    @Test func endedSessionsLeaveNothingBehind() {
        let n = 2_000
        let feed = ICQTrackerFeed()
        for uin in 1...UInt32(n) {
            let start = Self.t0 + milliseconds(Int64(uin))
            feed.client(uin, seq1: 1, at: start)                                   // request, waits
            feed.server(uin, seq1: 1, at: start + milliseconds(1))                 // push, waits
            feed.client(uin, command: 0x000A, seq1: 9, at: start + milliseconds(2), port: 1)  // rebound
            feed.client(uin, command: 0x000A, seq1: 9, at: start + milliseconds(3), port: 2, side: 1)
        }
        let rebindings = feed.take()
        #expect(rebindings == (1...UInt32(n)).map { .rebinding(uin: $0, to: 1025) })
        #expect(feed.tracker.occupancy == ICQSessionTracker.Occupancy(
            sessions: n, pendingExchanges: 2 * n, clientEndpoints: 3 * n, queuedIdleDeadlines: n,
            queuedGiveUps: 2 * n, sessionSlots: n, exchangeSlots: 2 * n))

        // Even UINs ack their push and log out: the request and the logout itself are still
        // waiting when the session ends, so they are reported unresolved.
        for uin in stride(from: 2, through: UInt32(n), by: 2) {
            feed.client(uin, command: 0x000A, seq1: 1, at: Self.t0 + seconds(3), port: 1)
            feed.client(uin, command: 0x0438, seq1: 2, at: Self.t0 + seconds(3), port: 1)
        }
        let loggedOut = feed.take()
        #expect(loggedOut == stride(from: 2, through: UInt32(n), by: 2).flatMap {
            [.push(uin: $0, seq1: 1, copies: 1, acked: true), .unresolved(uin: $0, seq1: 1, fromClient: true),
             .unresolved(uin: $0, seq1: 2, fromClient: true), .ended(uin: $0, .logout)] as [ICQTrackerFeed.Seen]
        })
        let half = n / 2
        #expect(feed.tracker.occupancy == ICQSessionTracker.Occupancy(
            sessions: half, pendingExchanges: 2 * half, clientEndpoints: 3 * half, queuedIdleDeadlines: half,
            queuedGiveUps: 2 * half, sessionSlots: half, exchangeSlots: 2 * half))
        for uin in 1...UInt32(n) {
            let key = uin % 2 == 0 ? nil : ICQSession.Key(uin: uin, sessionID: uin)
            for port: UInt16 in 0...2 {
                #expect(feed.tracker.sessionKey(forClient: ICQTrackerFeed.client(uin, port: port)) == key)
            }
        }

        feed.finish()
        #expect(feed.tracker.occupancy == Self.empty)
        #expect(feed.tracker.sessionKey(forClient: ICQTrackerFeed.client(1)) == nil)
    }

    /// A client endpoint another session has taken over stays with that session when the first ends.
    @Test func anEndpointTakenOverStaysWithItsNewSession() {
        let feed = ICQTrackerFeed()
        feed.client(7, session: 1, command: 0x000A, seq1: 1, at: Self.t0)
        feed.client(7, session: 2, command: 0x000A, seq1: 1, at: Self.t0 + seconds(1))
        feed.client(7, session: 1, command: 0x0438, seq1: 2, at: Self.t0 + seconds(2), port: 5)
        #expect(feed.take() == [.rebinding(uin: 7, to: 1029), .unresolved(uin: 7, seq1: 2, fromClient: true),
                                .ended(uin: 7, .logout)])
        #expect(feed.tracker.sessionKey(forClient: ICQTrackerFeed.client(7)) == ICQSession.Key(uin: 7, sessionID: 2))
        #expect(feed.tracker.sessionKey(forClient: ICQTrackerFeed.client(7, port: 5)) == nil)
        #expect(feed.tracker.occupancy.clientEndpoints == 1)
    }

    /// A client endpoint belongs to the session whose client spoke from it last, back and forth.
    @Test func anEndpointBelongsToTheSessionThatSpokeFromItLast() {
        let feed = ICQTrackerFeed()
        let a = ICQSession.Key(uin: 7, sessionID: 1)
        let b = ICQSession.Key(uin: 7, sessionID: 2)
        let endpoint = ICQTrackerFeed.client(7)
        var expected: [ICQSession.Key] = []
        var seen: [ICQSession.Key?] = []
        for (k, key) in [a, b, b, a, a, b, a].enumerated() {
            feed.client(7, session: key.sessionID, command: 0x000A, seq1: 1, at: Self.t0 + seconds(Int64(k)))
            expected.append(key)
            seen.append(feed.tracker.sessionKey(forClient: endpoint))
        }
        #expect(seen == expected)
        feed.client(7, session: 1, command: 0x0438, seq1: 2, at: Self.t0 + seconds(10))
        #expect(feed.tracker.sessionKey(forClient: endpoint) == nil)
        feed.client(7, session: 2, command: 0x000A, seq1: 1, at: Self.t0 + seconds(11))
        #expect(feed.tracker.sessionKey(forClient: endpoint) == b)
    }

    /// A client's packet judges only its own session's pushes: those older than the grace, by
    /// first copy then seq1, except the one it acks.
    @Test func aClientPacketJudgesOnlyItsOwnSessionsPushes() {
        let feed = ICQTrackerFeed()
        feed.client(1, command: 0x000A, seq1: 1, at: Self.t0)
        feed.client(2, command: 0x000A, seq1: 1, at: Self.t0)
        feed.server(1, seq1: 5, at: Self.t0 + seconds(1))
        feed.server(1, seq1: 3, at: Self.t0 + seconds(1))
        feed.server(1, seq1: 4, at: Self.t0 + seconds(1))
        feed.server(1, seq1: 2, at: Self.t0 + milliseconds(1_500))
        feed.server(1, seq1: 6, at: Self.t0 + seconds(3))
        feed.server(2, seq1: 1, at: Self.t0 + seconds(1))
        // Acks seq 4; 3 and 5 (same first copy) and 2 were ignored; 6 is within the grace.
        feed.client(1, command: 0x000A, seq1: 4, at: Self.t0 + seconds(4))
        #expect(feed.take() == [
            .push(uin: 1, seq1: 3, copies: 1, acked: false), .push(uin: 1, seq1: 5, copies: 1, acked: false),
            .push(uin: 1, seq1: 2, copies: 1, acked: false), .push(uin: 1, seq1: 4, copies: 1, acked: true),
        ])
        #expect(feed.tracker.occupancy.pendingExchanges == 2)
    }
}

struct ICQKeyQueueTests {
    @Test func keysComeOutInArrivalOrderAcrossGrowthAndWrapping() {
        var queue = ICQKeyQueue()
        var expected: [UInt32] = []
        var out: [UInt32] = []
        var next: UInt32 = 0
        // Grows while half of what goes in comes out, so the ring wraps at every size.
        for round in 0..<200 {
            for _ in 0..<(round % 7 + 2) {
                queue.append(ICQSession.Key(uin: next, sessionID: 0))
                expected.append(next)
                next += 1
            }
            for _ in 0..<(round % 5 + 1) { if let key = queue.removeFirst() { out.append(key.uin) } }
        }
        while let key = queue.removeFirst() { out.append(key.uin) }
        #expect(out == expected)
        #expect(queue.count == 0)
    }
}
