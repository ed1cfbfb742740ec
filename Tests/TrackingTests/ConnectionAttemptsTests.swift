import Bytes
import SampleKit
import Testing
import Tracking
import Wire

/// Tracking's connection attempts from packets: only SYNs to advertised endpoints open one, and
/// what ended each is said with the facts the rule needs (frames, the reset's TTL against the
/// peer's usual one, deadlines on capture time).
struct ConnectionAttemptsTests {
    static let client = Endpoint(address: IPAddress(ipv4: 0xC0A8_0102), port: 40_000)
    static let peer = Endpoint(address: IPAddress(ipv4: 0xCB00_7105), port: 5005)
    static let second: Int64 = 1_000_000_000

    final class Feed {
        let attempts = ConnectionAttempts(configuration: .init(synProvisional: 3 * second, synFinal: 21 * second))
        var events: [ConnectionAttemptEvent] = []
        var frame: UInt64 = 0

        init() {
            attempts.onEvent = { [unowned self] in self.events.append($0) }
            attempts.advertise(ConnectionAttemptsTests.peer, uin: 1002, source: .userOnline, frame: 1)
        }

        @discardableResult
        func segment(from: Endpoint, to: Endpoint, _ flags: FrameBuilder.TCPFlags, at seconds: Int64, ttl: UInt8 = 64,
                     id: UInt16 = 0, sequence: UInt32 = 7, twoSided: Bool = false, isCopy: Bool = false) -> UInt64 {
            frame += 1
            let bytes = FrameBuilder.tcpFrame(from: from.address.ipv4Value, from.port, to: to.address.ipv4Value, to.port,
                                              sequence: sequence, acknowledgement: 0, flags: flags, ttl: ttl,
                                              identification: id)
            bytes.withUnsafeBytes { raw in
                let decoded = PacketDecoder.decode(raw, linkType: .ethernet)
                guard case .tcp(let tcp)? = decoded.transport else { return }
                attempts.tcp(tcp, decoded: decoded, frame: frame, time: seconds * ConnectionAttemptsTests.second,
                             twoSided: twoSided, isCopy: isCopy)
            }
            return frame
        }

        /// A UDP datagram from `from` (its ICQ to a server), as the analysis notes it.
        func udp(from: Endpoint, to: Endpoint, at seconds: Int64, ttl: UInt8 = 64, id: UInt16) {
            frame += 1
            let bytes = FrameBuilder.udpFrame(from: from.address.ipv4Value, from.port, to: to.address.ipv4Value, to.port,
                                              payload: [5, 0], ttl: ttl, identification: id)
            bytes.withUnsafeBytes { raw in
                attempts.noteSender(PacketDecoder.decode(raw, linkType: .ethernet), time: seconds * ConnectionAttemptsTests.second)
            }
        }

        /// What the events were, in words: "provisional 1", "final 4", "dropped 3", "reset".
        var kinds: [String] {
            events.map { event -> String in
                switch event {
                case .unanswered(let a, _, let final): return "\(final ? "final" : "provisional") \(a.retransmissions)"
                case .droppedAtGateway(let a, _): return "dropped \(a.retransmissions)"
                case .answered: return "answered"
                case .reset: return "reset"
                case .icmpUnreachable: return "icmp"
                }
            }
        }
    }

    @Test func aResetIsGivenWithItsTTLAndThePeersUsualOne() {
        let f = Feed()
        // The peer's packets elsewhere arrive with TTL 57.
        f.segment(from: Self.peer, to: Endpoint(address: IPAddress(ipv4: 0xC0A8_0109), port: 1234), [.ack], at: 1, ttl: 57)
        let syn = f.segment(from: Self.client, to: Self.peer, [.syn], at: 2)
        let rst = f.segment(from: Self.peer, to: Self.client, [.rst, .ack], at: 2, ttl: 64)
        #expect(f.events.count == 1)
        guard case .reset(let attempt, _, let origin)? = f.events.first else { Issue.record("\(f.events)"); return }
        #expect(origin == .oneVantage(SenderFit(ttl: 64, usualTTL: 57, ipID: 0)))
        #expect(attempt.frames == [syn, rst])
        #expect(attempt.advertised.uin == 1002)
        #expect(f.attempts.openAttempts == 0)
    }

    static let server = Endpoint(address: IPAddress(ipv4: 0xCB00_7102), port: 4000)
    static let other = Endpoint(address: IPAddress(ipv4: 0xC0A8_0109), port: 1234)

    /// The reset a peer's packets are held against: the peer's UDP to the server and its TCP to
    /// another host, interleaved, with the IP ids `ids` (in that order), TTL 57.
    func resetAfterPeerPackets(ids: [UInt16], resetID: UInt16) -> ResetOrigin? {
        let f = Feed()
        for (i, id) in ids.enumerated() {
            if i % 2 == 0 { f.udp(from: Endpoint(address: Self.peer.address, port: 6000), to: Self.server, at: 1, ttl: 57, id: id) }
            else { f.segment(from: Self.peer, to: Self.other, [.ack], at: 1, ttl: 57, id: id) }
        }
        f.segment(from: Self.client, to: Self.peer, [.syn], at: 3)
        f.segment(from: Self.peer, to: Self.client, [.rst, .ack], at: 3, ttl: 57, id: resetID)
        guard case .reset(_, _, let origin)? = f.events.first else { return nil }
        return origin
    }

    /// A peer whose packets to different destinations are numbered by one counter (as Windows
    /// numbers them): the reset is given with the counter's latest id, which its own must follow.
    @Test func aPeerNumberingEveryPacketByOneCounterIsGivenWithIt() {
        let origin = resetAfterPeerPackets(ids: [1000, 1001, 1003, 1004], resetID: 0)
        #expect(origin == .oneVantage(SenderFit(ttl: 57, usualTTL: 57, ipID: 0,
                                                counter: IPIDCounter(latest: 1004, age: 2 * Self.second))))
    }

    /// Near misses: Linux numbers per destination (or per socket), so ids to two destinations
    /// do not follow each other; and one connection's own run of ids proves no shared counter.
    @Test func noCounterWithoutConsecutiveIDsAcrossDestinations() {
        #expect(resetAfterPeerPackets(ids: [0xF6A0, 0x1234, 0xF6A1, 0x1235], resetID: 0)
                == .oneVantage(SenderFit(ttl: 57, usualTTL: 57, ipID: 0)))
        let f = Feed()
        for id: UInt16 in [1000, 1001, 1002, 1003] { f.segment(from: Self.peer, to: Self.other, [.ack], at: 1, ttl: 57, id: id) }
        f.segment(from: Self.client, to: Self.peer, [.syn], at: 3)
        f.segment(from: Self.peer, to: Self.client, [.rst, .ack], at: 3, ttl: 57, id: 0)
        guard case .reset(_, _, let origin)? = f.events.first else { Issue.record("\(f.events)"); return }
        #expect(origin == .oneVantage(SenderFit(ttl: 57, usualTTL: 57, ipID: 0)))
    }

    @Test func unansweredProvisionalAfterARetransmissionThenFinal() {
        let f = Feed()
        f.segment(from: Self.client, to: Self.peer, [.syn], at: 10)
        f.segment(from: Self.client, to: Self.peer, [.syn], at: 11)  // the same ISN again
        f.attempts.advance(to: 14 * Self.second)
        f.attempts.advance(to: 32 * Self.second)
        #expect(f.kinds == ["provisional 1", "final 1"])
    }

    /// Linux (6.5 on) sends a SYN again 1, 2, 3 and 4 s after the first, then backs off (6, 10,
    /// 18, 34 s): the SYNs after the final deadline (21 s) belong to the attempt already judged,
    /// and open no second one (which would be judged final again at 55 s).
    @Test func aSYNRetransmittedAfterTheFinalDeadlineIsTheSameAttempt() {
        let f = Feed()
        for t: Int64 in [0, 1, 2, 3, 4, 6, 10, 18] { f.segment(from: Self.client, to: Self.peer, [.syn], at: 100 + t) }
        f.attempts.advance(to: 122 * Self.second)
        // Provisional once 3.5 s had passed (given at the SYN of 104 s, before it was counted).
        #expect(f.kinds == ["provisional 3", "final 7"])
        f.segment(from: Self.client, to: Self.peer, [.syn], at: 134)
        #expect(f.attempts.openAttempts == 0)
        f.attempts.advance(to: 200 * Self.second)
        f.attempts.finish()
        #expect(f.kinds == ["provisional 3", "final 7"])
    }

    /// Two-sided: a SYN the gateway drops, retransmitted after the final deadline, is not given
    /// again as dropped at the gateway when the capture ends.
    @Test func aDroppedSYNRetransmittedAfterTheFinalDeadlineIsNotGivenAgainAtTheEnd() {
        let f = Feed()
        let first = f.segment(from: Self.client, to: Self.peer, [.syn], at: 100, twoSided: true)
        f.attempts.gatewayVerdict(frame: first, forwarded: false, time: 101 * Self.second)
        f.segment(from: Self.client, to: Self.peer, [.syn], at: 101, twoSided: true)
        f.attempts.advance(to: 122 * Self.second)
        let late = f.segment(from: Self.client, to: Self.peer, [.syn], at: 134, twoSided: true)
        f.attempts.gatewayVerdict(frame: late, forwarded: false, time: 135 * Self.second)
        f.attempts.finish()
        // (Provisional and final fall due at the same packet: only final is given.)
        #expect(f.kinds == ["final 1"])
    }

    /// Near miss: the same endpoints with another ISN are a new connection (the client's next
    /// connect() from the same port): a new attempt, judged again.
    @Test func aNewISNOnTheSameEndpointsIsANewAttempt() {
        let f = Feed()
        f.segment(from: Self.client, to: Self.peer, [.syn], at: 100)
        f.attempts.advance(to: 122 * Self.second)
        f.segment(from: Self.client, to: Self.peer, [.syn], at: 130, sequence: 9_999)
        #expect(f.attempts.openAttempts == 1)
        f.attempts.advance(to: 152 * Self.second)
        #expect(f.kinds == ["final 0", "final 0"])
    }

    /// After a reset the same SYN again (a client that did not see the reset) is no new attempt either.
    @Test func aSYNRetransmittedAfterAResetIsTheSameAttempt() {
        let f = Feed()
        f.segment(from: Self.client, to: Self.peer, [.syn], at: 1)
        f.segment(from: Self.peer, to: Self.client, [.rst, .ack], at: 1)
        f.segment(from: Self.client, to: Self.peer, [.syn], at: 2)
        f.attempts.advance(to: 60 * Self.second)
        #expect(f.kinds == ["reset"])
    }

    /// Near misses: a SYN to a port nobody advertised, and one to a port at or below 1023.
    @Test func onlyAdvertisedPortsAbove1023AreFollowed() {
        let f = Feed()
        f.attempts.advertise(Endpoint(address: Self.peer.address, port: 80), uin: 1002, source: .userOnline, frame: 1)
        f.segment(from: Self.client, to: Endpoint(address: Self.peer.address, port: 5006), [.syn], at: 1)
        f.segment(from: Self.client, to: Endpoint(address: Self.peer.address, port: 80), [.syn], at: 1)
        #expect(f.attempts.openAttempts == 0)
        f.segment(from: Self.client, to: Self.peer, [.syn], at: 1)
        #expect(f.attempts.openAttempts == 1)
    }
}
