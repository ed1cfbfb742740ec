import Bytes
import Capture
import Diagnosis
import Report
import Tracking
#if canImport(Glibc)
import Glibc
#endif

/// `read --threads N` on one capture file (docs/architecture.md, "every core"): N shards
/// analysing at once, each taking the frames of the inside hosts that hash to it (or, where that
/// would split hosts that talk to each other, those a partition pass gives it), and the merge
/// that writes their results through this analyzer as one thread would have. Whatever the merge
/// cannot vouch for is read on one thread.
extension Analyzer {
    /// Whether this run's options leave the output to findings, sessions and the summary, which
    /// the merge puts back in order (packets, flows, the page, the evidence file, events and
    /// syslog are written as one thread goes).
    public var canShard: Bool {
        !options.packets && !options.flows && options.filter == nil && options.htmlPath == nil
            && options.evidencePath == nil && events == nil && syslog == nil
    }

    /// Reads `path` with `threads` shards; false when it is to be read on one thread instead
    /// (nothing has been written then).
    public func readSharded(_ path: String, threads: Int) -> Bool {
        // Each shard's tables are its share of the budget. Below 64 MiB a share's tables keep
        // their least sizes (1,024 flows, streams, sessions): together larger than one thread's,
        // they could hold what one thread lets go.
        guard threads >= 2, canShard, options.memoryBudget.bytes / threads >= Self.leastShareBytes,
              Self.isRegularFile(path), (try? CaptureFileReader(path: path)) != nil else {
            return false
        }
        let inside = options.thresholds.inside
        switch readShards(path, threads: threads, plan: ShardPlan(hashingInsideHostsInto: threads, inside: inside)) {
        case .written:
            return true
        case .oneThread(let reason):
            return sayOneThread(reason)
        case .wantsPartition(let reason):
            if showsShards { output.remark("icqscope: --threads: \(reason): partitioned first\n") }
        }
        guard let partition = ShardPartition.make(path: path, shards: threads, inside: inside) else { return false }
        // The partition's byte per frame, and the shards' tables, come out of the same budget.
        guard partition.shardOfFrame.count <= options.memoryBudget.bytes / 16 else {
            return sayOneThread("a byte per frame for \(partition.shardOfFrame.count) frames is more than the budget allows")
        }
        // IP reassembly holds as many datagrams in each shard as in one thread: what one thread
        // would give up, the shards could keep.
        guard !partition.hasFragments else { return sayOneThread("IP fragments (reassembly's table is not shared out)") }
        guard partition.busyShards >= 2 else {
            return sayOneThread("one shard would get every frame (\(partition.shardOfFrame.count))")
        }
        switch readShards(path, threads: threads, plan: ShardPlan(partition, shards: threads)) {
        case .written: return true
        case .oneThread(let reason), .wantsPartition(let reason): return sayOneThread(reason)
        }
    }

    enum ShardedOutcome {
        case written
        case oneThread(String)
        case wantsPartition(String)
    }

    /// The shards of one plan, then the merge; nothing is written unless it vouches for the result.
    private func readShards(_ path: String, threads: Int, plan: ShardPlan) -> ShardedOutcome {
        let started = Self.monotonicNanos()
        var configuration = options
        // The shards share the run's budget.
        configuration.memoryBudget = MemoryBudget(bytes: max(MemoryBudget.minimumBytes, options.memoryBudget.bytes / threads))
        // The results wait for the merge: an eighth of the budget for all of them; a file whose
        // results need more is read on one thread.
        let abort = ShardAbort()
        let resultBudget = options.shardResultBytes ?? options.memoryBudget.bytes / 8 / threads
        let inside = options.thresholds.inside
        var contexts = (0..<threads).map {
            ShardContext(index: $0, plan: plan, inside: inside, abort: abort, resultBudget: resultBudget)
        }
        // At most a frame per 64 bytes of the file (a record's header and the least Ethernet
        // frame), shared out among the shards.
        let frames = Int(Self.totalSize([path]) ?? 0) / 64 / threads
        for context in contexts { context.records.reserve(frames: frames, budget: resultBudget) }
        var shards = contexts.map { context in
            let shard = Analyzer(configuration: configuration)
            shard.becomeShard(context)
            return shard
        }
        // The first shard reads the file, on this thread; the progress line follows it.
        shards[0].progress = progress
        let handoff = FrameHandoff(shards: threads)
        let allStarted = ShardThreads.runTogether(threads, { [shards, contexts] i in
            if i == 0 {
                shards[0].runReader(path: path, handoff: handoff)
            } else {
                shards[i].runConsumer(handoff: handoff, sourceName: path)
            }
            shards[i].finishShard()
            contexts[i].finishedNanos = Self.monotonicNanos()
        }, notAll: {
            // The shards that started wait for frames: an empty last batch lets them go.
            let last = handoff.emptyBatch()
            last.isLast = true
            handoff.hand(last)
        })
        guard allStarted else { return .oneThread("a thread could not be started") }
        let analysed = Self.monotonicNanos()
        if let wanting = contexts.first(where: \.wantsPartition) { return .wantsPartition(wanting.conflict ?? "") }
        let hosts = SharedHosts(contexts.map(\.hosts), judged: contexts.flatMap(\.judgedHosts))
        // The merge follows the notes of the hosts several shards see that an event is judged
        // on; the rest go, on the shards' threads (a shard's own marks judge a host only it sees).
        ShardThreads.run(threads) { [contexts] in contexts[$0].records.keepSharedNotes(numbers: hosts.numbersByShard[$0], ipv4Numbers: hosts.followedIPv4) }
        if let conflict = ShardConflicts.check(contexts, hosts: hosts)
            ?? ShardConflicts.lookups(shards, contexts, capacity: options.memoryBudget.advertisedEndpointCapacity)
            ?? ShardConflicts.tables(shards, capacity: options.memoryBudget.addressCapacity) {
            return .oneThread(conflict)
        }
        let merge = ShardMerge.orderAndPeak(contexts, errors: contexts[0].readerErrors)
        if let conflict = merge.conflict { return .oneThread(conflict) }
        let merged = Self.monotonicNanos()
        replay(merge.parts, contexts: contexts, hosts: hosts)
        absorb(shards, contexts: contexts, path: path, peakActiveFlows: merge.peakActiveFlows)
        progress?.clear()
        if showsShards {
            let ms = { (a: Int64, b: Int64) in String((b - a) / 1_000_000) }
            let by = plan.isPartition ? "partitioned" : "by inside host"
            output.remark("icqscope: --threads \(threads): frames per shard \(contexts.map { String($0.framesAnalysed) }.joined(separator: ", ")) (\(by)); results \(contexts.map { String($0.records.count) }.joined(separator: ", ")), sender notes \(contexts.map { String($0.records.senderNotes.count) }.joined(separator: ", ")) (\(hosts.count) hosts shared), flow counts \(contexts.map { String($0.flowCounts.count) }.joined(separator: ", ")); ms shards \(ms(started, analysed)) (each \(contexts.map { ms(started, $0.finishedNanos) }.joined(separator: ", "))), merge \(ms(analysed, merged)), replay \(ms(merged, Self.monotonicNanos()))\n")
        }
        // Each shard's tables and results are let go on a thread of their own, which the run
        // does not wait for: freeing a shard's million entries is a few percent of the run, and
        // the command exits without waiting for it.
        let retired = zip(shards, contexts).map { RetiredShard(analyzer: $0, context: $1) }
        shards.removeAll()
        contexts.removeAll()
        ShardThreads.detach(threads) { retired[$0].letGo() }
        return .written
    }

    /// A file whose split turns out wrong is read again (partitioned, or on one thread): a pipe,
    /// a FIFO or a device (`<(zcat …)` gives /dev/fd/63) cannot be, nor read once more to check
    /// that it opens.
    static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
    }

    static func monotonicNanos() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// The least budget a shard gets (`--memcap` at least this many times the threads).
    static let leastShareBytes = 64 << 20

    /// ICQSCOPE_SHOW_SHARDS=1: how the run was split, on stderr (for tests and measurements).
    private var showsShards: Bool { getenv("ICQSCOPE_SHOW_SHARDS") != nil }

    private func sayOneThread(_ reason: String) -> Bool {
        if showsShards { output.remark("icqscope: --threads: read on one thread: \(reason)\n") }
        return false
    }

    /// The shards' results and calls, through this analyzer, in one thread's order.
    private func replay(_ parts: [[ShardMerge.Entry]], contexts: [ShardContext], hosts: SharedHosts) {
        let errors = contexts[0].readerErrors
        // The marks of the hosts several shards see, as one thread keeps them: what a reset or
        // an ICMP error in such a host's name is judged against.
        var marks = SharedSenderMarks(contexts.map(\.records.senderNotes), hosts: hosts)
        for (s, i) in parts.joined() {
            guard s >= 0 else {
                report(errors[i].error)
                continue
            }
            switch contexts[s].records.results[i] {
            case .finding(let finding):
                report(finding)
            case .renderedSession(let r):
                contexts[s].records.rendered(r) { bytes in output.record { $0.rawValue(bytes) } }
            case .sessionLine(let line): textLists.keep(sessionLine: line)
            case .error(let error): report(error)
            case .ledger(let c): peerPorts.replayLedger(contexts[s].records.ledgerCalls[c])
            case .bound(let call): icqAnalysis.diagnosis.replayBound(call)
            case .keepalive(let claim): icqAnalysis.diagnosis.absorb(claim)
            case .openDeadline(let open): icqAnalysis.diagnosis.absorb(open)
            case .attemptEvent(let event):
                marks.follow(upTo: contexts[s].records.keys[i].frame)
                peerPorts.judge(marks.judged(event))
            case .login(let uin, let address):
                attempts.noteLogin(uin: uin, from: address)
            case .advertised(let a):
                let entry = contexts[s].records.advertisements[a]
                peerPorts.advertised(entry.endpoint, uin: entry.uin, source: entry.source, isLANAddress: entry.isLANAddress,
                                     frame: entry.frame, connectionMode: entry.connectionMode, application: entry.application)
            case .icqClockMoved: break
            }
        }
    }

    /// The shards' counts and evidence, joined for `finish()`.
    private func absorb(_ shards: [Analyzer], contexts: [ShardContext], path: String, peakActiveFlows: Int) {
        var flows = FlowTableStatistics()
        for shard in shards {
            summary.absorb(shard.summary)
            evidence.absorb(shard.evidence)
            for side in [shard.sidesSeen.first, shard.sidesSeen.second].compactMap({ $0 }) { sidesSeen.note(side) }
            if firstClientSide == nil { firstClientSide = shard.firstClientSide }
            flows.absorb(shard.flowTable.statistics)
        }
        flows.peakActiveFlows = peakActiveFlows
        mergedFlowStatistics = flows
        summary.sources.append(Summary.SourceSummary(
            name: path, format: contexts[0].formatName, packets: summary.packets,
            interfaces: contexts[0].interfaces, completed: !contexts[0].stoppedEarly))
    }
}

/// A shard whose results are written, held only here until its thread lets it go.
private final class RetiredShard: @unchecked Sendable {
    private var analyzer: Analyzer?
    private var context: ShardContext?

    init(analyzer: Analyzer, context: ShardContext) {
        self.analyzer = analyzer
        self.context = context
    }

    func letGo() {
        analyzer = nil
        context = nil
    }
}

extension FlowTableStatistics {
    mutating func absorb(_ s: FlowTableStatistics) {
        packetsSeen &+= s.packetsSeen
        packetsTracked &+= s.packetsTracked
        packetsWithoutIP &+= s.packetsWithoutIP
        fragmentsNotTracked &+= s.fragmentsNotTracked
        truncatedTransport &+= s.truncatedTransport
        flowsCreated &+= s.flowsCreated
        flowsEndedByIdleTimeout &+= s.flowsEndedByIdleTimeout
        flowsEvicted &+= s.flowsEvicted
        flowsEndedAtEndOfCapture &+= s.flowsEndedAtEndOfCapture
        icmpErrorsMatched &+= s.icmpErrorsMatched
        icmpErrorsUnmatched &+= s.icmpErrorsUnmatched
    }
}

/// What one shard may have learnt differently from one thread, found after the shards ran:
/// any of it sends the file to one thread.
enum ShardConflicts {
    static func check(_ shards: [ShardContext], hosts: SharedHosts) -> String? {
        // The shard that stopped first says why; the others only that it did.
        let conflicts = shards.compactMap(\.conflict)
        if let conflict = conflicts.first(where: { $0 != ShardContext.anotherStopped }) ?? conflicts.first { return conflict }
        if let stray = shards.first(where: { $0.records.strayResults > 0 }) {
            return "shard \(stray.index) established something at another shard's frame"
        }
        for i in shards.indices {
            for j in shards.indices where j != i {
                if j > i && !shards[i].mappingDigests.isDisjoint(with: shards[j].mappingDigests) {
                    return "the same ICQ datagram in two shards (a UDP mapping)"
                }
            }
            if let relay = shards[i].relays.first(where: { hosts.isShared($0.address) }) {
                return "the SOCKS relay \(relay) is seen by several shards"
            }
        }
        return nil
    }

    /// The per-address and per-connection tables of the attempts: a shard's that let something
    /// go, or all of theirs together holding more than one thread's could (which then lets go).
    static func tables(_ shards: [Analyzer], capacity: Int) -> String? {
        let uses = shards.map(\.attempts.tableUse)
        if uses.contains(where: { $0.forgotten > 0 }) || uses.map(\.senders).reduce(0, +) > capacity
            || uses.map(\.ended).reduce(0, +) > capacity {
            return "the tables of senders and ended attempts would have been full on one thread"
        }
        return nil
    }

    /// Every SYN's lookup of advertised endpoints as one thread's table would have answered it.
    /// That table holds every shard's advertisements; as long as it never had to forget one
    /// (no shard forgot any, and together they fit its capacity), it keeps the first
    /// advertisement of an endpoint, and clears its LAN mark once any says external. So a
    /// SYN's lookup finds what its shard's own table found unless another shard advertised the
    /// endpoint before the SYN and either before the shard's own advertisement or as external
    /// where the shard's said LAN (another shard's table keeps its first frame, and its LAN mark
    /// only while every advertisement there said LAN, so this errs towards one thread).
    static func lookups(_ shards: [Analyzer], _ contexts: [ShardContext], capacity: Int) -> String? {
        let tables = shards.map(\.attempts.advertised)
        if tables.contains(where: { $0.forgotten > 0 }) || tables.map(\.count).reduce(0, +) > capacity {
            return "the tables of advertised endpoints would have been full on one thread"
        }
        for s in contexts.indices {
            for lookup in contexts[s].records.synLookups {
                for t in tables.indices where t != s {
                    guard let other = tables[t].lookup(lookup.endpoint), other.frame < lookup.frame else { continue }
                    if let found = lookup.found, found.frame < other.frame, !found.isLANAddress || other.isLANAddress {
                        continue
                    }
                    return "a SYN to \(lookup.endpoint) met another advertisement than one thread's"
                }
            }
        }
        return nil
    }
}
