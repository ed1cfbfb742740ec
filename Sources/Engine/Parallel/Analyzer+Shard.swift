import Bytes
import Capture
import Diagnosis
import Report
import Tracking
import Wire

/// One shard of `read --threads`: the same analysis as one thread, of the frames its partition
/// gives it; every other frame only moves its clocks, so that its deadlines come due at the same
/// frames as in one thread. Its results and its calls into run-wide state go to `ShardContext`.
extension Analyzer {
    func becomeShard(_ context: ShardContext) {
        shard = context
        let records = context.records
        peerPorts.logLedger { records.append(.ledger($0)) }
        icqAnalysis.diagnosis.logBounds { records.append(.bound($0)) }
        icqAnalysis.diagnosis.onKeepalive = { records.append(.keepalive($0)) }
        icqAnalysis.diagnosis.onOpenDeadline = { records.append(.openDeadline($0)) }
        icqAnalysis.eventBegins = { records.key.order($0) }
        icqAnalysis.clockMoving = { moving in
            if moving {
                records.icqClockMoves()
                records.move(step: .icqDeadlines)
            } else {
                records.move(step: .transport)
            }
        }
        // The marks of a host that other shards' frames show too: logged, for the merge to
        // follow as one thread would and to check each judgement made on them.
        attempts.logSenders { [unowned self] source, ttl, id, destination, time in
            let frame = records.key.frame
            guard frame > 0, frame <= context.totalFrames else { return }
            if context.partition.sourceIsShared(frame: frame) || source != context.frameSource {
                guard let host = context.partition.sharedNumber(source) else { return }
                records.noteSender(SenderNote(frame: frame, host: host, time: time, destination: destination, id: id, ttl: ttl))
            }
        }
        // The peer-port rule's counts and warnings are run-wide: it judges the attempts' events
        // in the merge, in one thread's order.
        attempts.onEvent = { event in
            records.key.order(event)
            records.append(.attemptEvent(event))
        }
    }

    /// Reads the file to its end, analysing this shard's frames. Reader errors are the
    /// partition's to report (it read the same file first).
    func runShard(path: String) {
        guard let shard else { return }
        guard var source = try? CaptureFileReader(path: path) else {
            shard.noteConflict("\(path) did not open a second time")
            return
        }
        begin(interfaces: source.interfaces, sourceName: source.sourceName)
        let me = UInt8(shard.index)
        let plan = shard.partition.shardOfFrame
        while true {
            let packet: CapturedPacket?
            do {
                packet = try source.nextPacket()
            } catch {
                if error.isFatal { break }
                continue
            }
            guard let packet else { break }
            let i = Int(packet.frameNumber) - 1
            guard i < plan.count else {
                shard.noteConflict("\(path) grew while it was read")
                break
            }
            if plan[i] & ShardPartition.shardBits == me {
                _ = analyse(packet, sourceName: source.sourceName, interfaces: source.interfaces, filtered: false)
            } else {
                passOver(packet)
            }
            noteFlowCount(shard, frame: packet.frameNumber)
            if packet.frameNumber & 1023 == 0 {
                progress?.file(bytes: source.bytesConsumed ?? 0, packets: packet.frameNumber)
                if shard.records.approximateBytes + shard.flowCounts.count * 16 > shard.resultBudget {
                    shard.noteConflict("the results waiting for the merge outgrew their share of the memory budget")
                    shard.abort.raise()
                } else if evictions > 0 {
                    shard.noteConflict("a table of its share of the memory budget was full")
                    shard.abort.raise()
                }
                if shard.abort.isRaised {
                    shard.noteConflict("another shard stopped")
                    break
                }
            }
        }
        shard.interfaces = source.interfaces
        shard.formatName = source.formatName
    }

    /// Another shard's frame: only what its time makes due here, in one thread's order.
    private func passOver(_ packet: CapturedPacket) {
        shard?.records.move(frame: packet.frameNumber, step: .transport)
        advanceClock(to: CaptureTime.trackable(packet.timestampNanos))
    }

    /// One thread's peak of active flows is taken as a flow is created: the shards' counts after
    /// each frame, summed by the merge, give it back.
    private func noteFlowCount(_ shard: ShardContext, frame: UInt64) {
        let active = flowTable.activeFlowCount
        let created = flowTable.statistics.flowsCreated
        guard active != shard.lastActiveFlows || created != shard.lastFlowsCreated else { return }
        shard.flowCounts.append((frame, Int32(active), created != shard.lastFlowsCreated))
        shard.lastActiveFlows = active
        shard.lastFlowsCreated = created
    }

    /// The parts of `finish()` that come from the analysis: what is still open at the end.
    func finishShard() {
        guard let shard else { return }
        let records = shard.records
        records.move(frame: .max, step: .streamsFinished)
        streamFrame.begin(frame: shard.totalFrames)
        streams.finishAll(frame: shard.totalFrames, sink: &streamFrame)
        attempts.finish()
        records.move(frame: .max, step: .sessionsFinished)
        icqAnalysis.finishSessions()
        records.move(frame: .max, step: .pendingFinished)
        icqAnalysis.diagnosis.finish()
        flowTable.finish { _ in }
        if evictions > 0 { shard.noteConflict("a table of its share of the memory budget was full") }
    }

    /// Entries the shard's tables let go for room: one thread's larger tables might have kept them.
    private var evictions: UInt64 {
        icqAnalysis.tracker.evictedSessions + UInt64(streams.streamsEvicted) + defragmenter.counters.evictedForCap
            + flowTable.statistics.flowsEvicted + attempts.tableUse.forgotten
    }

    /// A session that ended in this shard, kept as the run writes it (its NDJSON record, or its
    /// line of the text report): written here, on the shard's thread, the merge only copies it.
    func shardSessionEnded(_ session: ICQSession, _ shard: ShardContext) {
        switch options.format {
        case .ndjson: shard.records.appendRendered { SessionRecord.writeNDJSON(&$0, session) }
        case .text: shard.records.append(.sessionLine(SessionRecord.text(session)))
        }
    }

    /// A finding of this shard: kept with its key.
    func shardReport(_ finding: Finding, _ shard: ShardContext) {
        if shard.records.key.step == .pendingFinished { shard.records.key.a = Int64(finding.uin ?? 0) }
        shard.records.append(.finding(finding))
        socks4UDP.observe(finding)
    }
}

extension Analyzer {
    /// Before a TCP segment the attempts' clock moves (`ConnectionAttempts.tcp` would move it
    /// inside): apart in a shard, so that what came due in every shard goes here. What a SYN's
    /// lookup of advertised endpoints finds is noted for the merge to check.
    func shardMovesAttemptClock(_ shard: ShardContext, _ tcp: TCPHeader, _ decoded: DecodedPacket, time: Int64) {
        let records = shard.records
        records.attemptClockMoves()
        records.move(step: .attemptDeadlines)
        attempts.advance(to: time)
        records.move(step: .transport)
        if tcp.isSYN && !tcp.isACK && tcp.destinationPort > 1023, let destination = decoded.destinationAddress {
            let target = Endpoint(address: destination, port: tcp.destinationPort)
            records.noteSYNLookup(target, found: attempts.advertised.lookup(target))
        }
    }
}
