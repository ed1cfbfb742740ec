import Capture

/// Puts the shards' results back in the order one thread establishes them (`RecordKey`):
/// frame by frame, the frame's own results in its shard's order, with what came due at that
/// frame in every shard where the first analysis of the frame moved that clock; the end of the
/// run by key. Reader errors go before the frame that followed them.
enum ShardMerge {
    /// An entry: a shard and the index of a result there; shard -1 is the reader's error list.
    /// Frames with no results in any shard are not visited: a frame where only the owner moved
    /// a clock and nothing came due anywhere has nothing to order.
    typealias Entry = (shard: Int, index: Int)

    typealias Errors = [(beforeFrame: UInt64, error: CaptureError)]

    /// The whole order, in two parts to be taken one after the other, and one thread's peak of
    /// active flows: the frames up to `split` are ordered on this thread while another orders
    /// the rest and sums the peak (the merge is serial work after the shards: a twentieth of the
    /// run on the million-packet mix).
    static func orderAndPeak(_ shards: [ShardContext], errors: Errors) -> (parts: [[Entry]], conflict: String?, peakActiveFlows: Int) {
        // The half of the frames the shards' results reach, by frame number.
        let last = shards.compactMap { $0.records.keys.last(where: { $0.frame != .max })?.frame }.max() ?? 0
        let split = last / 2 + 1
        var first: (entries: [Entry], conflict: String?) = ([], nil)
        var second: (entries: [Entry], conflict: String?) = ([], nil)
        var peak = 0
        ShardThreads.run(2) { [shards] in
            if $0 == 0 {
                first = order(shards, errors: errors, from: 0, before: split)
            } else {
                second = order(shards, errors: errors, from: split, before: nil)
                peak = peakActiveFlows(shards)
            }
        }
        if let conflict = first.conflict ?? second.conflict { return ([], conflict, peak) }
        return ([first.entries, second.entries], nil, peak)
    }

    /// The order of the results at frames from `from` up to `before` (nil: to the end of the
    /// run), with the reader's errors that go among them: those before `before`.
    static func order(_ shards: [ShardContext], errors: Errors, from: UInt64 = 0, before: UInt64? = nil) -> (entries: [Entry], conflict: String?) {
        let keys = shards.map(\.records.keys)
        let results = shards.map(\.records.results)
        // Each shard's keys are in frame order: the first at `from` or later.
        var position = keys.map { $0.firstPlace { $0.frame >= from } }
        let end = before ?? .max
        var nextError = errors.firstPlace { $0.beforeFrame >= from }
        let errorsEnd = before.map { bound in errors.firstPlace { $0.beforeFrame >= bound } } ?? errors.count
        // Room for every entry at once: grown by doubling, the list was copied as it grew.
        var entries: [Entry] = []
        entries.reserveCapacity(errorsEnd - nextError + keys.indices.reduce(0) { sum, s in
            sum + (before.map { bound in keys[s].firstPlace { $0.frame >= bound } } ?? keys[s].count) - position[s]
        })
        func frame(at s: Int) -> UInt64? {
            guard position[s] < keys[s].count else { return nil }
            let f = keys[s][position[s]].frame
            return before == nil || f < end ? f : nil
        }
        func byKey(_ x: Entry, _ y: Entry) -> Bool {
            let kx = keys[x.shard][x.index], ky = keys[y.shard][y.index]
            if kx != ky { return kx < ky }
            return (x.shard, x.index) < (y.shard, y.index)
        }
        // Most frames have results in one shard only, none of them come due there: the frame's
        // own, in its shard's order (where that shard ends them, and which shard).
        func onlyOwnResults(at f: UInt64) -> (shard: Int, end: Int)? {
            var only = -1
            for s in shards.indices where frame(at: s) == f {
                guard only < 0 else { return nil }
                only = s
            }
            var end = position[only]
            while end < keys[only].count && keys[only][end].frame == f {
                let step = keys[only][end].step
                if step == .icqDeadlines || step == .attemptDeadlines { return nil }
                end += 1
            }
            return (only, end)
        }
        // Reused from frame to frame.
        var icq: [Entry] = [], attempt: [Entry] = [], own: [Entry] = []
        while true {
            var f = UInt64.max
            var any = false
            for s in shards.indices {
                if let at = frame(at: s) {
                    f = min(f, at)
                    any = true
                }
            }
            while nextError < errorsEnd, !any || errors[nextError].beforeFrame <= f {
                entries.append((-1, nextError))
                nextError += 1
            }
            if !any { break }
            if f == .max {
                var rest: [Entry] = []
                for s in shards.indices { while frame(at: s) == .max { rest.append((s, position[s])); position[s] += 1 } }
                rest.sort(by: byKey)
                if let conflict = endConflict(rest, keys: keys) { return (entries, conflict) }
                entries += rest
                break
            }
            if let fast = onlyOwnResults(at: f) {
                for i in position[fast.shard]..<fast.end where !results[fast.shard][i].isICQClockMarker {
                    entries.append((fast.shard, i))
                }
                position[fast.shard] = fast.end
                continue
            }
            // The frame's own results are its owner's.
            var owner: Int? = nil
            icq.removeAll(keepingCapacity: true)
            attempt.removeAll(keepingCapacity: true)
            own.removeAll(keepingCapacity: true)
            for s in shards.indices {
                while frame(at: s) == f {
                    let entry = (s, position[s])
                    switch keys[s][position[s]].step {
                    case .icqDeadlines: icq.append(entry)
                    case .attemptDeadlines: attempt.append(entry)
                    default:
                        guard owner ?? s == s else { return (entries, "shards \(owner!) and \(s) both established something at frame \(f)") }
                        owner = s
                        own.append(entry)
                    }
                    position[s] += 1
                }
            }
            if icq.count > 1 { icq.sort(by: byKey) }
            if attempt.count > 1 { attempt.sort(by: byKey) }
            var icqWritten = false, attemptWritten = false
            // Before a TCP segment (only its owner moves the clock there), what came due among
            // the attempts goes first.
            if shards.contains(where: { $0.records.attemptClockMoved(at: f) }) {
                entries += attempt
                attemptWritten = true
            }
            for entry in own {
                if case .icqClockMoved = results[entry.shard][entry.index] {
                    if !icqWritten { entries += icq }
                    icqWritten = true
                } else {
                    entries.append(entry)
                }
            }
            if !icqWritten { entries += icq }
            if !attemptWritten { entries += attempt }
        }
        return (entries, nil)
    }

    /// At the end of the run, streams are finished in each shard's table order, and pending
    /// timeouts are ordered by UIN only: either from two shards could be ordered otherwise.
    private static func endConflict(_ rest: [Entry], keys: [[RecordKey]]) -> String? {
        var streamShards = Set<Int>()
        var pendingOwner: [Int64: Int] = [:]
        for entry in rest {
            let key = keys[entry.shard][entry.index]
            switch key.step {
            case .streamsFinished:
                streamShards.insert(entry.shard)
            case .pendingFinished:
                if let other = pendingOwner[key.a], other != entry.shard { return "pending timeouts of UIN \(key.a) in two shards" }
                pendingOwner[key.a] = entry.shard
            default:
                break
            }
        }
        return streamShards.count > 1 ? "streams finished at the end in two shards" : nil
    }

    /// One thread's peak of active flows: the shards' counts summed after every frame at which
    /// one of them created a flow.
    static func peakActiveFlows(_ shards: [ShardContext]) -> Int {
        let counts = shards.map(\.flowCounts)
        var position = [Int](repeating: 0, count: counts.count)
        var active = [Int](repeating: 0, count: counts.count)
        var total = 0, peak = 0
        while true {
            // The next frame at which a shard's count changed (nothing allocated per step: a
            // shard notes a change at most frames).
            var f = UInt64.max, any = false
            for s in counts.indices where position[s] < counts[s].count {
                f = min(f, counts[s][position[s]].frame)
                any = true
            }
            guard any else { break }
            var created = false
            for s in counts.indices where position[s] < counts[s].count && counts[s][position[s]].frame == f {
                let count = counts[s][position[s]]
                total += Int(count.active) - active[s]
                active[s] = Int(count.active)
                created = created || count.created
                position[s] += 1
            }
            if created { peak = max(peak, total) }
        }
        return peak
    }
}
