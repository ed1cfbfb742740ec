import Bytes
import Capture
import Diagnosis
import Report
import Tracking
import Wire

/// The pipeline for one run: every packet source, file or live, goes through `run`, so offline
/// and live analysis are the same code.
public final class Analyzer {
    let options: AnalysisConfiguration
    var summary = Summary()
    /// Standard output, stderr and the events file; what decides the exit status.
    let output: RunOutput
    private var filter: PacketFilter?
    private var filterBroken = false
    let defragmenter: IPDefragmenter
    /// Classic ICQ over UDP; owns the scratch buffer v5 client packets are decrypted into.
    let icq: ICQDecoder
    /// What the ICQ classifier said about the current frame; its bytes stay valid until the
    /// next frame (the frame, the defragmenter's datagram, or the decoder's scratch).
    var icqResult: ICQClassification = .notICQ
    /// Findings established so far, tallied for the report card and --fail-on.
    var findingTally = FindingTally()
    /// The findings and session lines the text report prints at the end.
    var textLists: TextReportLists
    /// What the capture shows of the guide's requirements holding, for the report card.
    let evidence = RequirementEvidence()
    /// Every packet's flow; ended flows are written with `--flows`.
    var flowTable: FlowTable
    /// Classic ICQ sessions and the rules over them.
    let icqAnalysis: ICQAnalysis
    /// SOCKS handshakes and UDP associations (rule R6).
    let socks: SOCKSDiagnosis
    /// SOCKS4 use beside blocked direct UDP (the guide's proxy requirement).
    let socks4UDP: SOCKS4UDPRule
    /// The SOCKS5 UDP header of the current frame, when it was relayed through an association.
    var socksUDP: (SOCKSUDPHeader, UnsafeRawBufferPointer)? = nil
    /// The classic ICQ the current frame's ICMP error quotes (`icmp.quoted.icq`).
    var quotedICQ: QuotedICQ = .none
    /// The SOCKS5 UDP header an ICMP error quotes in front of that ICQ (relayed datagrams).
    var quotedSOCKS: (SOCKSUDPHeader, UnsafeRawBufferPointer)? = nil
    /// Connection attempts to the TCP ports peers advertised, and what became of them.
    let attempts: ConnectionAttempts
    /// Rule R4, judging the attempts; and the ledger of every advertised port.
    let peerPorts: PeerPortDiagnosis
    /// Pairs packets with their forwarded copies on captures of both sides of a gateway.
    let gateway: GatewayMatcher
    /// Whether the current source shows more than one side (interfaces, or cooked v2 ifindexes).
    var twoSided = false
    /// The capture sides that held IP packets, and the side of the first client packet to an
    /// ICQ server: the vantage point the summary states.
    var sidesSeen = SidesSeen()
    var firstClientSide: Int? = nil
    /// Link types already reported as undecodable, so each is reported once per source.
    var reportedLinkTypes: Set<LinkType> = []

    /// TCP reassembly with the combined decoder on every connection: OSCAR, SOCKS and ICQ
    /// peer-to-peer, found by content on any port, and OSCAR or peer inside a SOCKS tunnel.
    let streams: StreamTable<ICQStreamConsumer<StreamFrame>>
    /// The stream PDUs completed while the current frame is analysed: their evidence, and their record.
    var streamFrame: StreamFrame
    /// Classic ICQ forwarded by a UDP mapping (the guide's other proxy), for the report card.
    var udpMappings = UDPMappingDetector()
    /// The UDP associations SOCKS5 proxies granted, from the stream decoder's evidence.
    let socksAssociations = SOCKSAssociations()

    /// Set when this analyzer is one shard of `read --threads` (`becomeShard`).
    var shard: ShardContext? = nil
    /// `read --threads`: the shards' flow counts, for the summary.
    var mergedFlowStatistics: FlowTableStatistics? = nil

    /// Frames analysed so far, over every source.
    public var packetsAnalysed: UInt64 { summary.packets }

    /// Read once: an option's property wrapper costs a generic metadata lookup per access.
    let showPackets: Bool
    /// What the HTML page draws, gathered only with `--html`.
    let html: HTMLCollector?
    /// What is known of the findings' frames, only with `--html` or `--write-evidence`.
    let briefs: EvidenceBriefs?
    /// `--write-evidence`: created when the run starts, written at its end.
    var evidenceFile: EvidenceFile?
    /// The file each input is read again from for `--write-evidence` (the inputs' names; a live
    /// capture's is its `--write` recording, set by the command).
    public var evidenceInputs: [String] = []
    /// The progress line on a terminal (the command decides whether there is one).
    public var progress: ProgressLine? {
        get { output.progress }
        set { output.progress = newValue }
    }
    /// Bytes of the inputs already read to their end, for the progress line over several files.
    private var bytesOfFinishedSources: Int64 = 0

    /// `--events`: every NDJSON record but packets and flows, whatever `--format` says.
    public var events: EventLog? {
        get { output.events }
        set { output.events = newValue }
    }
    /// `--syslog`: each finding as it is established.
    public var syslog: SyslogSender? {
        get { output.syslog }
        set { output.syslog = newValue }
    }
    /// Packets and bytes per interface of the current source, for the metrics.
    let interfaceTally = InterfaceTally()
    /// Per-interface counts of the sources already read (`read` with several files).
    var finishedInterfaces: [MetricsSnapshot.Interface] = []
    /// Findings established so far by kind and severity (`Finding.Kind` × `Finding.Severity`).
    var findingCounts = [UInt64](repeating: 0, count: Finding.Kind.allCases.count * Finding.Severity.allCases.count)
    /// The report card `finish()` printed, for the final metrics.
    var finalCard: [RequirementResult]? = nil
    /// Where live capture leaves its metrics snapshots (`--metrics-listen`, `--metrics-file`).
    public var metrics: MetricsMailbox?
    /// The live capture's last lag and clock, kept for the final snapshot.
    var finalLagNanos: Int64? = nil
    var finalCaptureTimeNanos: Int64? = nil

    public init(configuration options: AnalysisConfiguration) {
        self.options = options
        output = RunOutput(format: options.format, descriptor: options.outputDescriptor,
                           diagnosticsDescriptor: options.diagnosticsDescriptor)
        textLists = TextReportLists(budget: options.memoryBudget)
        flowTable = FlowTable(configuration: options.memoryBudget.flowConfiguration)
        defragmenter = IPDefragmenter(maximumPending: options.memoryBudget.reassemblyDatagrams,
                                      maximumBytes: options.memoryBudget.reassemblyBytes)
        gateway = GatewayMatcher(capacity: options.memoryBudget.gatewayCapacity)
        icq = ICQDecoder(serverPorts: options.icqServerPorts)
        showPackets = options.packets
        briefs = options.htmlPath == nil && options.evidencePath == nil ? nil : EvidenceBriefs()
        html = options.htmlPath == nil ? nil : HTMLCollector(briefs: briefs!)
        flowTable.keepsEndedFlowRecords = options.flows || html != nil
        streams = StreamTable(limits: options.memoryBudget.streamLimits, opensAtFirstBytes: true) { ICQStreamConsumer(originator: $0, responder: $1) }
        streamFrame = StreamFrame(
            record: StreamFrameRecord(format: options.format == .ndjson ? .ndjson : .text, revealSecrets: options.revealSecrets),
            rendersRecord: options.packets)
        if let expression = options.filter { filter = PacketFilter(expression: expression) }
        // The rules report through the relay, which reaches this analyzer once it exists.
        let relay = ResultRelay()
        icqAnalysis = ICQAnalysis(
            thresholds: options.thresholds, serverPorts: options.icqServerPorts,
            maximumSessions: options.memoryBudget.maximumICQSessions, evidence: evidence,
            findings: relay.report,
            sessionEnded: relay.sessionEnded)
        var attemptConfiguration = ConnectionAttempts.Configuration(synProvisional: options.thresholds.synProvisional,
                                                                     synFinal: options.thresholds.synFinal)
        attemptConfiguration.addressCapacity = options.memoryBudget.addressCapacity
        attemptConfiguration.advertisedCapacity = options.memoryBudget.advertisedEndpointCapacity
        attemptConfiguration.endedCapacity = options.memoryBudget.addressCapacity
        attempts = ConnectionAttempts(configuration: attemptConfiguration)
        peerPorts = PeerPortDiagnosis(thresholds: options.thresholds, attempts: attempts, emit: relay.report)
        socks = SOCKSDiagnosis(thresholds: options.thresholds,
                               emit: relay.report)
        socks4UDP = SOCKS4UDPRule(emit: relay.report)
        if let path = options.evidencePath {
            do {
                evidenceFile = try EvidenceFile(path: path)
            } catch {
                // Said at once; the analysis runs all the same (exit status 74 at the end).
                var failure = error
                failure.isFatal = false
                failure.message += "; the analysis goes on"
                reportOutputFailure(failure)
            }
        }
        relay.analyzer = self
    }

    /// Checks the filter's syntax before any input is read (compiled for Ethernet), so a typo is
    /// a usage error rather than damaged input.
    public func validateFilter() throws(CaptureError) {
        _ = try filter?.compile(for: .ethernet)
    }

    /// Reads a source to its end, reporting damaged records and carrying on where it can.
    public func run<Source: PacketSource & ~Copyable>(_ source: inout Source, format: String) {
        let packetsBefore = summary.packets
        var completed = true
        // Read once: asking the source at every packet retained and released it.
        let sourceName = source.sourceName
        begin(interfaces: source.interfaces, sourceName: sourceName)
        while true {
            let packet: CapturedPacket?
            do {
                packet = try source.nextPacket()
            } catch {
                report(error)
                if error.isFatal {
                    completed = false
                    break
                }
                continue
            }
            guard let packet else { break }
            guard analyse(packet, sourceName: sourceName, interfaces: source.interfaces, filtered: true) else {
                completed = false
                break
            }
            // A clock read every 1,024 packets, and only with a progress line.
            if packet.frameNumber & 1023 == 0, let progress {
                progress.file(bytes: bytesOfFinishedSources + (source.bytesConsumed ?? 0), packets: summary.packets)
            }
        }
        bytesOfFinishedSources += source.bytesConsumed ?? 0
        progress?.clear()
        summary.sources.append(Summary.SourceSummary(
            name: source.sourceName, format: format, packets: summary.packets - packetsBefore,
            interfaces: source.interfaces, completed: completed))
        finishedInterfaces += interfaceMetrics(source.interfaces)
        interfaceTally.removeAll()
    }

    /// `read --merge`: as `run`, and the source is complete only when every file was.
    public func runMerged(_ source: inout MergedCaptureReader) {
        run(&source, format: source.formatName)
        if !source.completed, !summary.sources.isEmpty { summary.sources[summary.sources.count - 1].completed = false }
    }

    /// Per-source state, set before the first packet of a file or a live capture.
    func begin(interfaces: [CaptureInterface], sourceName: String) {
        reportedLinkTypes.removeAll()
        interfaceTally.removeAll()
        twoSided = interfaces.count >= 2 || interfaces.contains { $0.linkType == .linuxSLL2 }
        briefs?.begin()
        if briefs != nil { evidenceInputs.append(sourceName) }
        html?.begin(source: sourceName, interfaces: interfaces)
    }

    /// Whether a packet shows a capture of two sides: several interfaces so far, or cooked v2
    /// (whose frames name their interface). The gateway matcher then pairs packets across the
    /// sides, which `read --threads` cannot split.
    static func showsTwoSides(interfaces: Int, linkType: LinkType) -> Bool {
        interfaces >= 2 || linkType == .linuxSLL2
    }

    /// Live capture's clock moved on without a packet (a quiet line): deadlines up to `now`
    /// expire exactly as the next packet's time would make them expire offline.
    /// A shard of `read --threads` moves its clocks the same way at other shards' frames.
    public func advanceClock(to now: Int64) {
        flowTable.advance(to: now)
        shard?.records.move(step: .icqDeadlines)
        icqAnalysis.advance(to: now)
        shard?.records.move(step: .attemptDeadlines)
        attempts.advance(to: now)
        if twoSided {
            while let u = gateway.nextUnforwarded(now: now) { unforwarded(u) }
        }
        writeEndedFlows()
    }

    /// Everything that happens to one packet, whichever source it came from (file or live).
    /// `filtered`: apply `--filter` here (live capture has the kernel apply it instead).
    /// Returns false when the filter broke and the source must stop.
    func analyse(_ packet: CapturedPacket, sourceName: String, interfaces: [CaptureInterface], filtered: Bool) -> Bool {
        if filtered, let filter, !filterBroken {
            do {
                guard try filter.accepts(packet) else {
                    summary.filteredOut += 1
                    return true
                }
            } catch {
                report(error)
                filterBroken = true
                return false
            }
        }
        if !packet.linkType.isSupported && !reportedLinkTypes.contains(packet.linkType) {
            reportedLinkTypes.insert(packet.linkType)
            report(CaptureError(
                file: sourceName, frame: packet.frameNumber, reason: .unknownLinkType,
                message: "link type \(packet.linkType.rawValue) (\(packet.linkType.name)) cannot be decoded; its packets are counted but not analysed",
                isFatal: false))
        }
        handle(packet, interfaces: interfaces)
        return true
    }

    private func handle(_ captured: CapturedPacket, interfaces: [CaptureInterface]) {
        // Records show the time as read; every later stage sees it clamped, so that a damaged
        // timestamp cannot overflow the arithmetic of windows and timeouts.
        var packet = captured
        packet.timestampNanos = CaptureTime.trackable(captured.timestampNanos)
        briefs?.frameBegins(packet.frameNumber)
        shard?.records.move(frame: packet.frameNumber, step: .transport)
        // A pcapng file declares its interfaces as it goes: the second side may appear late.
        if !twoSided && Self.showsTwoSides(interfaces: interfaces.count, linkType: packet.linkType) { twoSided = true }
        let decoded = PacketDecoder.decode(packet)
        summary.count(captured, decoded)
        interfaceTally.count(interface: packet.interfaceIndex, wireBytes: packet.originalLength)
        // Reset only when set: storing one of these enums copies all of it (161 bytes), and most
        // frames carry no ICQ and quote none.
        if !icqResult.isNotICQ { icqResult = .notICQ }
        if !quotedICQ.isNone { quotedICQ = .none }
        quotedSOCKS = nil
        socksUDP = nil
        streamFrame.begin(frame: packet.frameNumber)
        // A reassembled datagram has lost its link layer; its flow keeps the frame's VLAN.
        let vlan = decoded.link?.innermostVLAN ?? 0
        if decoded.isFragment {
            // A fragment's transport data is analysed once the whole datagram is back together,
            // at the frame that completes it.
            defragmenter.add(decoded, frame: packet.bytes, time: packet.timestampNanos) { datagram in
                summary.count(.ipReassembled)
                analyzeTransport(packet, PacketDecoder.decode(datagram, linkType: .raw), bytes: datagram, vlan: vlan)
            }
        } else {
            analyzeTransport(packet, decoded, bytes: packet.bytes, vlan: vlan)
        }
        // The packet's time may have ended idle flows, sessions and exchanges even when it joined none.
        shard?.records.move(step: .icqDeadlines)
        icqAnalysis.advance(to: packet.timestampNanos)
        shard?.records.move(step: .attemptDeadlines)
        attempts.advance(to: packet.timestampNanos)
        if twoSided {
            while let u = gateway.nextUnforwarded(now: packet.timestampNanos) { unforwarded(u) }
        }
        writeEndedFlows()
        guard showPackets else { return }
        let interface = packet.interfaceIndex < interfaces.count ? interfaces[packet.interfaceIndex] : nil
        switch options.format {
        case .ndjson:
            PacketRecord.begin(&output.json, packet: captured, decoded: decoded, interface: interface, quotedICQ: quotedICQ,
                               quotedSOCKS: quotedSOCKS, revealSecrets: options.revealSecrets)
            if let (header, datagram) = socksUDP {
                JSONFieldVisitor.write(into: &output.json) { header.visitFields(datagram, into: &$0) }
            }
            ICQRecord.write(&output.json, icqResult, revealSecrets: options.revealSecrets)
            streamFrame.record.write(into: &output.json)
            if case .malformed(let m, _) = icqResult, decoded.malformation == nil {
                PacketRecord.writeMalformation(&output.json, m)
            }
            PacketRecord.finish(&output.json)
            output.out.take(&output.json)
        case .text:
            output.out.write(PacketLine.text(packet: captured, decoded: decoded, interface: interface,
                                      firstTime: summary.firstTime ?? captured.timestampNanos,
                                      info: Self.join(ICQRecord.text(icqResult, revealSecrets: options.revealSecrets),
                                                      streamFrame.record.text),
                                      quotedInfo: QuotedICQRecord.text(quotedICQ, socks: quotedSOCKS?.0,
                                                                       revealSecrets: options.revealSecrets)))
        }
    }
}
