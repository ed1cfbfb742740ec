import Diagnosis
import Testing

/// The firewall's UDP timeout as the capture bounds it: the longest gap a server packet crossed,
/// the shortest it was lost after; gaps under a second say nothing about an idle timeout.
struct UDPTimeoutBracketTests {
    static let second: Int64 = 1_000_000_000

    @Test func deliveredRaisesTheLowerBoundOnly() {
        var b = UDPTimeoutBracket()
        b.delivered(afterIdle: 12 * Self.second, frames: [40, 41])
        b.delivered(afterIdle: 8 * Self.second, frames: [50, 51])
        b.delivered(afterIdle: 20 * Self.second, frames: [60, 61, 61])
        #expect(b.moreThan?.gap == 20 * Self.second)
        #expect(b.moreThan?.frames == [60, 61], "each frame once")
        #expect(b.atMost == nil)
    }

    @Test func lossesLowerTheUpperBoundOnly() {
        var b = UDPTimeoutBracket()
        b.lost(afterIdle: 48 * Self.second, frames: [171])
        b.lost(afterIdle: 90 * Self.second, frames: [200])
        b.lost(afterIdle: 31 * Self.second, frames: [150, 152])
        #expect(b.atMost?.gap == 31 * Self.second)
        #expect(b.atMost?.frames == [150, 152])
        #expect(b.moreThan == nil)
    }

    @Test func gapsUnderASecondDoNotBound() {
        var b = UDPTimeoutBracket()
        b.lost(afterIdle: Self.second - 1, frames: [3])
        b.delivered(afterIdle: Self.second / 2, frames: [4])
        #expect(b == UDPTimeoutBracket())
        b.lost(afterIdle: Self.second, frames: [5])
        #expect(b.atMost?.gap == Self.second)
    }
}
