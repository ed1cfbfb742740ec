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

/// `read --threads`: each shard logs its bounds (`onCall`) and the merge replays them in frame
/// order. A shard logs only the bounds that beat its own, and the replay still gives the
/// bracket one thread folds from every bound.
struct UDPTimeoutShardLogTests {
    static let second: Int64 = 1_000_000_000

    /// (frame, shard, delivered?, gap in seconds): two shards' bounds, frames interleaved, with ties
    /// across shards (the first in frame order must stay) and bounds a shard already beat.
    static let bounds: [(frame: UInt64, shard: Int, delivered: Bool, gap: Int64)] = [
        (10, 0, true, 5), (11, 1, true, 5), (12, 0, true, 3), (13, 1, false, 40),
        (14, 0, false, 60), (15, 1, true, 9), (16, 0, true, 9), (17, 0, false, 30),
        (18, 1, false, 30), (19, 1, true, 2), (20, 0, true, 12), (21, 1, false, 45),
    ]

    @Test func shardsLogWhatBeatsTheirOwnAndTheReplayMatchesOneThread() {
        var oneThread = UDPTimeoutBrackets()
        for b in Self.bounds {
            if b.delivered {
                oneThread.delivered(at: nil, afterIdle: b.gap * Self.second, frames: [b.frame])
            } else {
                oneThread.lost(at: nil, afterIdle: b.gap * Self.second, frames: [b.frame])
            }
        }
        // Each shard logs into a list shared by both, so the calls keep frame order (the merge
        // orders them by frame).
        final class Log: @unchecked Sendable { var calls: [UDPTimeoutBrackets.Call] = [] }
        let log = Log()
        var shards = [UDPTimeoutBrackets(), UDPTimeoutBrackets()]
        for s in shards.indices { shards[s].onCall = { log.calls.append($0) } }
        var framesBuilt = 0
        func frames(_ f: UInt64) -> [UInt64] {
            framesBuilt += 1
            return [f]
        }
        for b in Self.bounds {
            if b.delivered {
                shards[b.shard].delivered(at: nil, afterIdle: b.gap * Self.second, frames: frames(b.frame))
            } else {
                shards[b.shard].lost(at: nil, afterIdle: b.gap * Self.second, frames: frames(b.frame))
            }
        }
        // Logged: 10, 11, 13, 14, 15, 16, 17, 18, 20 (not 12, 19 nor 21: each beaten in its
        // own shard); the frames of the others were never built.
        #expect(log.calls.count == 9)
        #expect(framesBuilt == 9)
        var merged = UDPTimeoutBrackets()
        for call in log.calls { merged.replay(call) }
        #expect(merged.overall == oneThread.overall)
        #expect(merged.overall.moreThan?.gap == 12 * Self.second && merged.overall.moreThan?.frames == [20])
        #expect(merged.overall.atMost?.gap == 30 * Self.second && merged.overall.atMost?.frames == [17],
                "the first of equal bounds, across shards")
    }

    @Test func oneThreadBuildsTheFramesOfABoundThatChangesNothingNever() {
        var brackets = UDPTimeoutBrackets()
        var built = 0
        func frames(_ f: UInt64) -> [UInt64] {
            built += 1
            return [f]
        }
        brackets.delivered(at: nil, afterIdle: 20 * Self.second, frames: frames(1))
        brackets.delivered(at: nil, afterIdle: 10 * Self.second, frames: frames(2))
        brackets.delivered(at: nil, afterIdle: Self.second / 2, frames: frames(3))
        brackets.lost(at: nil, afterIdle: 90 * Self.second, frames: frames(4))
        brackets.lost(at: nil, afterIdle: 95 * Self.second, frames: frames(5))
        #expect(built == 2)
        #expect(brackets.overall.moreThan?.frames == [1] && brackets.overall.atMost?.frames == [4])
    }
}
