import Capture
import Diagnosis
import Report

extension Analyzer {
    /// The metrics as they stand, copied out of the analysis's own counters (`MetricsSnapshot`).
    /// `interfaces`: the current source's (live: with `pcap_stats` read just before), whose
    /// packets are still being counted; `lagNanos` and `captureTimeNanos` come from the live
    /// capture. Called about once a second live, once at the end offline: it may allocate.
    public func metricsSnapshot(interfaces current: [CaptureInterface]? = nil, lagNanos: Int64? = nil,
                                captureTimeNanos: Int64? = nil) -> MetricsSnapshot {
        var s = MetricsSnapshot()
        s.interfaces = finishedInterfaces + (current.map(interfaceMetrics) ?? [])
        s.flowsActive = flowTable.activeFlowCount
        s.tcpStreamsActive = streams.streamCount
        s.icqSessionsActive = icqAnalysis.tracker.activeSessions
        let flows = flowTable.statistics
        s.flowsCreated = flows.flowsCreated
        s.evictions = [
            ("flows", flows.flowsEvicted),
            ("icq_sessions", icqAnalysis.tracker.evictedSessions),
            ("tcp_streams", UInt64(streams.streamsEvicted)),
            ("ip_datagrams", defragmenter.counters.evictedForCap),
        ]
        s.malformed = summary.malformed.map { (reason: $0.key, count: $0.count) }
        for kind in Finding.Kind.allCases {
            for severity in Finding.Severity.allCases {
                s.findings.append(MetricsSnapshot.FindingCount(
                    kind: kind.rawValue, severity: severity.rawValue,
                    count: findingCounts[Self.findingCountIndex(kind, severity)]))
            }
        }
        let card = finalCard ?? RequirementCard.judge(findings: findingTally, evidence: evidence, icq: icqAnalysis.diagnosis,
                                                     peerPorts: peerPorts.ledger)
        s.requirements = card.map { MetricsSnapshot.RequirementState(id: $0.requirement.rawValue, status: $0.status.rawValue) }
        let bracket = icqAnalysis.diagnosis.udpTimeout
        s.udpTimeoutMoreThanSeconds = bracket.moreThan.map { Double($0.gap) / 1e9 }
        s.udpTimeoutAtMostSeconds = bracket.atMost.map { Double($0.gap) / 1e9 }
        s.processingLagSeconds = lagNanos.map { Double($0) / 1e9 }
        s.captureTimeSeconds = (captureTimeNanos ?? summary.lastTime).map { Double($0) / 1e9 }
        return s
    }

    /// The current source's per-interface counts under the interfaces' names.
    func interfaceMetrics(_ interfaces: [CaptureInterface]) -> [MetricsSnapshot.Interface] {
        let count = max(interfaces.count, interfaceTally.count)
        return (0..<count).map { i in
            let interface = i < interfaces.count ? interfaces[i] : nil
            return MetricsSnapshot.Interface(
                name: interface?.name ?? "if\(i)",
                packets: interfaceTally.packets(i), bytes: interfaceTally.bytes(i),
                kernelDrops: interface?.statistics?.osDropped, interfaceDrops: interface?.statistics?.interfaceDropped)
        }
    }
}
