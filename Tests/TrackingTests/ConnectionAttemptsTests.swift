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
        func segment(from: Endpoint, to: Endpoint, _ flags: FrameBuilder.TCPFlags, at seconds: Int64, ttl: UInt8 = 64) -> UInt64 {
            frame += 1
            let bytes = FrameBuilder.tcpFrame(from: from.address.ipv4Value, from.port, to: to.address.ipv4Value, to.port,
                                              sequence: 7, acknowledgement: 0, flags: flags, ttl: ttl)
            bytes.withUnsafeBytes { raw in
                let decoded = PacketDecoder.decode(raw, linkType: .ethernet)
                guard case .tcp(let tcp)? = decoded.transport else { return }
                attempts.tcp(tcp, decoded: decoded, frame: frame, time: seconds * ConnectionAttemptsTests.second,
                             twoSided: false, isCopy: false)
            }
            return frame
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
        #expect(origin == .ttl(64, usual: 57))
        #expect(attempt.frames == [syn, rst])
        #expect(attempt.advertised.uin == 1002)
        #expect(f.attempts.openAttempts == 0)
    }

    @Test func unansweredProvisionalAfterARetransmissionThenFinal() {
        let f = Feed()
        f.segment(from: Self.client, to: Self.peer, [.syn], at: 10)
        f.segment(from: Self.client, to: Self.peer, [.syn], at: 11)  // the same ISN again
        f.attempts.advance(to: 14 * Self.second)
        f.attempts.advance(to: 32 * Self.second)
        let kinds = f.events.map { event -> String in
            if case .unanswered(let a, _, let final) = event { return "\(final ? "final" : "provisional") \(a.retransmissions)" }
            return "other"
        }
        #expect(kinds == ["provisional 1", "final 1"])
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
