import Bytes
import SampleKit
import Testing
import Tracking
import Wire

/// The gateway matcher's pools under load: copies pair with the oldest waiting packet of their
/// fingerprint, expiry goes in arrival order, and what waits stays bounded.
struct GatewayMatcherPoolTests {
    static func observe(_ matcher: GatewayMatcher, frame: UInt64, time: Int64, side: Int, identification: UInt16,
                        payload: [UInt8] = [1, 2, 3]) -> UInt64? {
        let bytes = FrameBuilder.udpFrame(from: side == 0 ? 0x0A00_0002 : 0xC633_6401, 4000, to: 0xC000_0201, 4000,
                                          payload: payload, identification: identification)
        return bytes.withUnsafeBytes { raw in
            matcher.observe(frame: frame, time: time, side: side, decoded: PacketDecoder.decode(raw, linkType: .ethernet),
                            bytes: raw)
        }
    }

    /// 10,000 identical packets wait on one side (one fingerprint); their copies on the other
    /// side take them oldest first.
    @Test func copiesPairWithTheOldestWaitingPacketOfTheirFingerprint() {
        let matcher = GatewayMatcher()
        for i in 0..<10_000 {
            #expect(Self.observe(matcher, frame: UInt64(i), time: Int64(i), side: 0, identification: 7) == nil)
        }
        // A packet on the same side pairs with nothing.
        #expect(Self.observe(matcher, frame: 50_000, time: 10_000, side: 0, identification: 7) == nil)
        var partners: [UInt64] = []
        for i in 0..<10_000 {
            if let partner = Self.observe(matcher, frame: UInt64(20_000 + i), time: 10_001 + Int64(i), side: 1,
                                          identification: 7) {
                partners.append(partner)
            }
        }
        #expect(partners == (0..<10_000).map { UInt64($0) })
        #expect(matcher.waitingCount == 1)
        #expect(matcher.counters.matched == 10_000)
    }

    /// 100,000 packets with distinct fingerprints, none forwarded: each is reported once its
    /// window has passed, in arrival order, and no more than the window's worth wait.
    @Test func unforwardedPacketsComeOutInArrivalOrder() {
        let matcher = GatewayMatcher(windowSeconds: 1)
        _ = Self.observe(matcher, frame: 0, time: 0, side: 1, identification: 0, payload: [9])
        var reported: [UInt64] = []
        var mostWaiting = 0
        for i in 1...100_000 {
            let time = Int64(i) * 1_000_000  // 1 ms apart: a window holds 1,000
            _ = Self.observe(matcher, frame: UInt64(i), time: time, side: 0, identification: UInt16(truncatingIfNeeded: i),
                             payload: [UInt8(truncatingIfNeeded: i >> 16), UInt8(truncatingIfNeeded: i >> 8)])
            while let u = matcher.nextUnforwarded(now: time) { reported.append(u.frame) }
            mostWaiting = max(mostWaiting, matcher.waitingCount)
        }
        while let u = matcher.nextUnforwarded(now: .max) { reported.append(u.frame) }
        #expect(reported == (0...100_000).map { UInt64($0) })
        #expect(mostWaiting <= 1_002)
        #expect(matcher.counters.unforwarded == 100_001 && matcher.counters.givenUp == 0)
    }
}
