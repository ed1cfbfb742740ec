import Capture
import Report

extension Analyzer {
    /// Runs a live capture through the same `analyse` as files. Besides packets it handles the
    /// live clock's ticks (at least once a second): output and the recording are flushed, and the
    /// periodic drop statistics go to stderr (and stdout in NDJSON). When the capture ends (count,
    /// duration, SIGINT/SIGTERM, or an interface going down) the final counters go into the
    /// summary as received = analysed + dropped, and the recording gets its statistics blocks.
    /// A rotating recording (`--write-size`) finishes each file with the drop counters as they
    /// stand at the rotation.
    public func runLive(_ capture: inout LiveCapture, recording writer: PcapngRing?, statsIntervalNanos: Int64?) {
        let packetsBefore = summary.packets
        let startNanos = capture.nowNanos
        var recording = writer
        var completed = true
        var stopReason: String
        var nextStats = statsIntervalNanos
        var findingsPublished = findingTally.count
        begin(interfaces: capture.interfaces, sourceName: capture.sourceName)
        if metrics != nil { publishMetrics(&capture) }
        loop: while true {
            let event: LiveEvent
            do {
                event = try capture.nextEvent()
            } catch {
                report(error)
                completed = false
                stopReason = error.reason.rawValue
                break
            }
            switch event {
            case .packet(let packet):
                if let writer = recording {
                    do {
                        if writer.needsRotation(before: packet) {
                            capture.statistics()
                            try writer.rotate(statistics: capture.interfaces.map(\.statistics), timestampNanos: capture.nowNanos)
                        }
                        try writer.write(packet)
                    } catch {
                        // A full disk must not stop the analysis; the recording ends here.
                        recordingFailed(error)
                        recording = nil
                    }
                }
                _ = analyse(packet, sourceName: capture.sourceName, interfaces: capture.interfaces, filtered: false)
                if let progress, packet.frameNumber & 255 == 0, progress.due() { showProgress(progress, &capture) }
                // A new finding reaches the metrics at once, not at the next tick.
                if findingTally.count != findingsPublished, metrics != nil {
                    findingsPublished = findingTally.count
                    publishMetrics(&capture)
                }
            case .tick(let now):
                // A quiet line: deadlines expire on the live clock.
                advanceClock(to: now)
                if let progress, progress.due() { showProgress(progress, &capture) }
                if let writer = recording {
                    do { try writer.flush() } catch {
                        recordingFailed(error)
                        recording = nil
                    }
                }
                if let interval = statsIntervalNanos, let due = nextStats, capture.elapsedNanos >= due {
                    reportStatistics(&capture)
                    nextStats = due + interval
                }
                events?.reopenIfSignalled()
                output.reportEventFailures()
                if metrics != nil {
                    findingsPublished = findingTally.count
                    publishMetrics(&capture)
                }
                output.out.flush()
            case .end(let reason):
                stopReason = reason.name
                break loop
            }
        }
        capture.statistics()
        var accounting = LiveAccounting(
            interfaces: capture.interfaces, analysed: capture.deliveredPerInterfaceIndex,
            timeNanos: capture.nowNanos, elapsedNanos: capture.elapsedNanos)
        accounting.stopReason = stopReason
        summary.live = accounting
        summary.sources.append(Summary.SourceSummary(
            name: capture.sourceName, format: "live", packets: summary.packets - packetsBefore,
            interfaces: capture.interfaces, completed: completed))
        finishedInterfaces += interfaceMetrics(capture.interfaces)
        interfaceTally.removeAll()
        finalLagNanos = capture.lastPacketLagNanos
        finalCaptureTimeNanos = capture.nowNanos
        if let writer = recording {
            do {
                try writer.finish(statistics: capture.interfaces.map(\.statistics),
                                  timestampNanos: capture.nowNanos, startNanos: startNanos)
            } catch {
                recordingFailed(error, atEnd: true)
            }
        }
    }

    /// The one error of a recording that failed: which file, why, and that only the recording
    /// stopped (exit status 74 at the end).
    private func recordingFailed(_ error: CaptureError, atEnd: Bool = false) {
        var failure = error
        failure.isFatal = false
        if !atEnd { failure.message += "; recording stopped, the analysis goes on" }
        reportOutputFailure(failure)
    }

    /// Packets, kernel drops (read from the capture now) and findings so far.
    private func showProgress(_ progress: ProgressLine, _ capture: inout LiveCapture) {
        capture.statistics()
        let dropped = capture.interfaces.reduce(UInt64(0)) { $0 &+ ($1.statistics?.osDropped ?? 0) }
        progress.live(packets: summary.packets, dropped: dropped, findings: findingTally.count)
    }

    /// The periodic statistics: a line on stderr, and a `stats` record in NDJSON.
    private func reportStatistics(_ capture: inout LiveCapture) {
        capture.statistics()
        let accounting = LiveAccounting(
            interfaces: capture.interfaces, analysed: capture.deliveredPerInterfaceIndex,
            timeNanos: capture.nowNanos, elapsedNanos: capture.elapsedNanos)
        output.remark(accounting.statsLine)
        output.record { accounting.writeStatsRecord(&$0) }
    }

    /// Hands the metrics side a new snapshot, with the kernel's drop counters read now.
    private func publishMetrics(_ capture: inout LiveCapture) {
        guard let metrics else { return }
        capture.statistics()
        metrics.publish(metricsSnapshot(interfaces: capture.interfaces, lagNanos: capture.lastPacketLagNanos,
                                        captureTimeNanos: capture.nowNanos))
    }

    /// After `finish()`: the last snapshot, with the report card as printed.
    public func publishFinalMetrics() {
        metrics?.publish(metricsSnapshot(lagNanos: finalLagNanos, captureTimeNanos: finalCaptureTimeNanos))
    }

    /// A remark that is not an error (e.g. promiscuous mode unsupported): stderr only.
    public func warn(_ message: String) {
        output.remark("icqscope: warning: \(message)\n")
    }

    /// A line for people on stderr (stdout carries only results).
    public func note(_ message: String) {
        output.remark("icqscope: \(message)\n")
    }
}
