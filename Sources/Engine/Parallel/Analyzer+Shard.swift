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
        peerPorts.logLedger { records.appendLedger($0) }
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
        // The marks of every outside host, whose packets other shards' frames may show too: the
        // merge follows those of the hosts several shards see as one thread does, and checks each
        // judgement made on them.
        attempts.logSenders { source, ttl, id, destination, time in
            let frame = records.key.frame
            guard frame > 0, frame != .max else { return }
            if source.isIPv6 {
                guard let host = context.hosts.noted(source) else { return }
                records.noteSender(SenderNote(frame: frame, host: host, ipv4: 0, time: time, destination: destination, id: id, ttl: ttl))
            } else if !context.hosts.isInside(source) {
                records.noteSender(SenderNote(frame: frame, host: -1, ipv4: source.ipv4Value, time: time, destination: destination,
                                              id: id, ttl: ttl))
            }
        }
        // The peer-port rule's counts and warnings are run-wide: it judges the attempts' events
        // in the merge, in one thread's order.
        attempts.onEvent = { event in
            records.key.order(event)
            records.append(.attemptEvent(event))
            if let host = SharedSenderMarks.judgedHost(event) { context.judgedHosts.append(host) }
        }
    }

    /// The first shard: reads the file to its end, decides each frame's owner, analyses its own
    /// frames and hands every frame to the other shards (`FrameHandoff`). It keeps the reader's
    /// errors for the merge to write where one thread would.
    func runReader(path: String, handoff: FrameHandoff) {
        guard let shard else { return }
        var batch = handoff.emptyBatch()
        guard var source = try? CaptureFileReader(path: path) else {
            shard.noteConflict("\(path) did not open a second time")
            batch.isLast = true
            handoff.hand(batch)
            return
        }
        handoff.openingInterfaces = source.interfaces
        begin(interfaces: source.interfaces, sourceName: source.sourceName)
        let plan = shard.plan, records = shard.records, abort = shard.abort
        var frames: UInt64 = 0
        // Counted here: asking the batch retained and released it at every frame.
        var inBatch = 0
        reading: while true {
            let packet: CapturedPacket?
            do {
                packet = try source.nextPacket()
            } catch {
                shard.readerErrors.append((frames + 1, error))
                if error.isFatal {
                    shard.stoppedEarly = true
                    break
                }
                continue
            }
            guard let packet else { break }
            frames = packet.frameNumber
            switch plan.owner(of: packet, interfaces: source.interfaces.count) {
            case .shard(0):
                shard.framesAnalysed += 1
                batch.append(packet, owner: 0, copied: false)
                _ = analyse(packet, sourceName: source.sourceName, interfaces: source.interfaces, filtered: false)
                // Its deadlines may come before the bound the other frames were passed over by.
                shard.quietUntil = .min
            case .shard(let other):
                batch.append(packet, owner: other, copied: true)
                passOver(frame: packet.frameNumber, time: packet.timestampNanos, shard, records)
            case .joinsShards:
                shard.noteConflict("frame \(frames) joins hosts that a hash of the inside host gives to two shards")
                shard.wantsPartition = true
                abort.raise()
                break reading
            case .fragment:
                shard.noteConflict("IP fragments (reassembly's table is not shared out)")
                abort.raise()
                break reading
            case .secondSide:
                shard.noteConflict("the file shows two sides")
                abort.raise()
                break reading
            }
            noteFlowCount(shard, frame: packet.frameNumber)
            inBatch += 1
            if inBatch == FrameBatch.capacity {
                batch.interfaces = source.interfaces
                handoff.hand(batch)
                batch = handoff.emptyBatch()
                inBatch = 0
            }
            if packet.frameNumber & 1023 == 0 {
                progress?.file(bytes: source.bytesConsumed ?? 0, packets: packet.frameNumber)
                if !checkIn(shard) { break }
            }
        }
        if let partitioned = shard.plan.partitionedFrames, frames != UInt64(partitioned) {
            shard.noteConflict("\(source.sourceName) changed while it was read")
        }
        shard.totalFrames = frames
        shard.interfaces = source.interfaces
        shard.formatName = source.formatName
        batch.interfaces = source.interfaces
        batch.isLast = true
        batch.totalFrames = frames
        handoff.hand(batch)
    }

    /// Every other shard: the frames the reader hands over, its own analysed, the others' only
    /// moving its clocks. Once it or another shard has stopped, the rest is only taken.
    func runConsumer(handoff: FrameHandoff, sourceName: String) {
        guard let shard else { return }
        let me = shard.index, records = shard.records
        var analysing = true
        var begun = false
        while true {
            let batch = handoff.next(for: me)
            if !begun {
                // The reader set them before it handed over its first batch.
                begin(interfaces: handoff.openingInterfaces, sourceName: sourceName)
                begun = true
            }
            if analysing {
                let interfaces = batch.interfaces
                for entry in batch.entries {
                    if entry.owner == me {
                        shard.framesAnalysed += 1
                        _ = analyse(batch.packet(entry), sourceName: sourceName, interfaces: interfaces, filtered: false)
                        shard.quietUntil = .min
                    } else {
                        passOver(frame: entry.frame, time: entry.time, shard, records)
                    }
                    noteFlowCount(shard, frame: entry.frame)
                    if entry.frame & 1023 == 0, !checkIn(shard) {
                        analysing = false
                        break
                    }
                }
            }
            let last = batch.isLast
            if last { shard.totalFrames = batch.totalFrames }
            handoff.done(with: batch)
            if last { return }
        }
    }

    /// Every 1,024 frames: the shard's share of the budget, and whether another shard stopped
    /// (false: stop).
    private func checkIn(_ shard: ShardContext) -> Bool {
        if shard.records.approximateBytes + shard.flowCounts.count * 16 > shard.resultBudget {
            shard.noteConflict("the results waiting for the merge outgrew their share of the memory budget")
            shard.abort.raise()
        } else if evictions > 0 {
            shard.noteConflict("a table of its share of the memory budget was full")
            shard.abort.raise()
        }
        if shard.abort.isRaised {
            shard.noteConflict(ShardContext.anotherStopped)
            return false
        }
        return true
    }

    /// Another shard's frame: only what its time makes due here, in one thread's order. Up to
    /// the earliest deadline of the clocks nothing is due, and the clocks only move (as their
    /// `advance` would): half the frames of the file come here.
    private func passOver(frame: UInt64, time: Int64, _ shard: ShardContext, _ records: ShardRecords) {
        let now = CaptureTime.trackable(time)
        if shard.quietUntil == .min {
            shard.quietUntil = min(flowTable.idleBound, icqAnalysis.tracker.nextDeadline, attempts.nextDeadline)
        }
        if now <= shard.quietUntil {
            flowTable.advance(to: now)
            icqAnalysis.tracker.moveClock(to: now)
            attempts.moveClock(to: now)
            return
        }
        records.move(frame: frame, step: .transport)
        records.passingOver = frame
        advanceClock(to: now)
        shard.quietUntil = .min
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
