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
    var json = JSONWriter()
    let out: OutputSink
    let diagnostics = OutputSink(fd: 2, threshold: 0)
    var inputDamaged = false
    /// An output could not be written completely (exit status 74).
    var outputFailed = false
    private var filter: PacketFilter?
    private var filterBroken = false
    let defragmenter: IPDefragmenter
    /// Classic ICQ over UDP; owns the scratch buffer v5 client packets are decrypted into.
    private let icq: ICQDecoder
    /// What the ICQ classifier said about the current frame; its bytes stay valid until the
    /// next frame (the frame, the defragmenter's datagram, or the decoder's scratch).
    private var icqResult: ICQClassification = .notICQ
    /// Findings established so far, tallied for the report card and --fail-on.
    private(set) var findingTally = FindingTally()
    /// The text report's findings, in the order they were established: as many as
    /// `MemoryBudget.findingListBytes` holds (a scan of a peer's closed port makes a finding a
    /// SYN); the rest are counted and said to be left out. NDJSON writes each as it comes.
    private(set) var findings: [Finding] = []
    private var findingBytes = 0
    private var findingsLeftOut = 0
    /// What the capture shows of the guide's requirements holding, for the report card.
    let evidence = RequirementEvidence()
    /// Every packet's flow; ended flows are written with `--flows`.
    var flowTable: FlowTable
    /// Classic ICQ sessions and the rules over them.
    var icqAnalysis: ICQAnalysis!
    /// SOCKS handshakes and UDP associations (rule R6).
    var socks: SOCKSDiagnosis!
    /// SOCKS4 use beside blocked direct UDP (the guide's proxy requirement).
    var socks4UDP: SOCKS4UDPRule!
    /// The SOCKS5 UDP header of the current frame, when it was relayed through an association.
    private var socksUDP: (SOCKSUDPHeader, UnsafeRawBufferPointer)? = nil
    /// Connection attempts to the TCP ports peers advertised (rule R4).
    var peerPorts: PeerPortDiagnosis!
    /// Pairs packets with their forwarded copies on captures of both sides of a gateway.
    private let gateway: GatewayMatcher
    /// Whether the current source shows more than one side (interfaces, or cooked v2 ifindexes).
    var twoSided = false
    /// Session lines for the text report, in the order the sessions ended: as many as
    /// `MemoryBudget.sessionListBytes` holds (a flood of logins must not grow the report without
    /// bound); the sessions beyond are counted and said to be left out.
    private var sessionLines: [String] = []
    private var sessionLineBytes = 0
    private var sessionLinesLeftOut = 0
    /// Link types already reported as undecodable, so each is reported once per source.
    var reportedLinkTypes: Set<LinkType> = []

    /// TCP reassembly with the combined decoder on every connection: OSCAR, SOCKS and ICQ
    /// peer-to-peer, found by content on any port, and OSCAR or peer inside a SOCKS tunnel.
    let streams: StreamTable<ICQStreamConsumer<StreamFrameRecord>>
    /// The stream PDUs completed while the current frame is analysed.
    var streamFrame: StreamFrameRecord

    /// Frames analysed so far, over every source.
    public var packetsAnalysed: UInt64 { summary.packets }

    /// Read once: an option's property wrapper costs a generic metadata lookup per access.
    private let showPackets: Bool
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
    public var progress: ProgressLine?
    /// Bytes of the inputs already read to their end, for the progress line over several files.
    private var bytesOfFinishedSources: Int64 = 0

    /// `--events`: every NDJSON record but packets and flows, whatever `--format` says.
    public var events: EventLog?
    /// `--syslog`: each finding as it is established.
    public var syslog: SyslogSender?
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
        out = OutputSink(fd: options.outputDescriptor)
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
        streamFrame = StreamFrameRecord(
            format: !options.packets ? .countOnly : (options.format == .ndjson ? .ndjson : .text),
            revealSecrets: options.revealSecrets)
        if let expression = options.filter { filter = PacketFilter(expression: expression) }
        icqAnalysis = ICQAnalysis(
            thresholds: options.thresholds, serverPorts: options.icqServerPorts,
            maximumSessions: options.memoryBudget.maximumICQSessions, evidence: evidence,
            findings: { [unowned self] finding in self.report(finding) },
            sessionEnded: { [unowned self] session in self.sessionEnded(session) })
        peerPorts = PeerPortDiagnosis(thresholds: options.thresholds,
                                      emit: { [unowned self] finding in self.report(finding) },
                                      addressCapacity: options.memoryBudget.addressCapacity,
                                      advertisedCapacity: options.memoryBudget.advertisedEndpointCapacity)
        socks = SOCKSDiagnosis(thresholds: options.thresholds,
                               emit: { [unowned self] finding in self.report(finding) })
        socks4UDP = SOCKS4UDPRule(emit: { [unowned self] finding in self.report(finding) })
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
        begin(interfaces: source.interfaces, sourceName: source.sourceName)
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
            guard analyse(packet, sourceName: source.sourceName, interfaces: source.interfaces, filtered: true) else {
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

    /// Live capture's clock moved on without a packet (a quiet line): deadlines up to `now`
    /// expire exactly as the next packet's time would make them expire offline.
    public func advanceClock(to now: Int64) {
        flowTable.advance(to: now)
        icqAnalysis.advance(to: now)
        peerPorts.advance(to: now)
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
        // A pcapng file declares its interfaces as it goes: the second side may appear late.
        if !twoSided && (interfaces.count >= 2 || packet.linkType == .linuxSLL2) { twoSided = true }
        let decoded = PacketDecoder.decode(packet)
        summary.count(captured, decoded)
        interfaceTally.count(interface: packet.interfaceIndex, wireBytes: packet.originalLength)
        icqResult = .notICQ
        socksUDP = nil
        streamFrame.reset()
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
        icqAnalysis.advance(to: packet.timestampNanos)
        peerPorts.advance(to: packet.timestampNanos)
        if twoSided {
            while let u = gateway.nextUnforwarded(now: packet.timestampNanos) { unforwarded(u) }
        }
        writeEndedFlows()
        guard showPackets else { return }
        let interface = packet.interfaceIndex < interfaces.count ? interfaces[packet.interfaceIndex] : nil
        switch options.format {
        case .ndjson:
            PacketRecord.begin(&json, packet: captured, decoded: decoded, interface: interface)
            if let (header, datagram) = socksUDP {
                JSONFieldVisitor.write(into: &json) { header.visitFields(datagram, into: &$0) }
            }
            ICQRecord.write(&json, icqResult, revealSecrets: options.revealSecrets)
            streamFrame.write(into: &json)
            if case .malformed(let m, _) = icqResult, decoded.malformation == nil {
                PacketRecord.writeMalformation(&json, m)
            }
            PacketRecord.finish(&json)
            out.take(&json)
        case .text:
            out.write(PacketLine.text(packet: captured, decoded: decoded, interface: interface,
                                      firstTime: summary.firstTime ?? captured.timestampNanos,
                                      info: Self.join(ICQRecord.text(icqResult, revealSecrets: options.revealSecrets),
                                                      streamFrame.text)))
        }
    }

    /// Everything above layer 4: the flow table, the ICQ-family decoders and the trackers. `bytes`
    /// is the frame, or the reassembled datagram when the frame completed a fragmented one.
    private func analyzeTransport(_ packet: CapturedPacket, _ decoded: DecodedPacket, bytes: UnsafeRawBufferPointer,
                                  vlan: UInt16) {
        if decoded.network == nil {
            // Still moves the capture clock, so flows expire on time.
            flowTable.advance(to: packet.timestampNanos)
            return
        }
        let observation = flowTable.process(packet, decoded, bytes: bytes, vlan: vlan)
        var partner: UInt64? = nil
        let side = decoded.link?.interfaceIndex.map { Int($0) } ?? packet.interfaceIndex
        if twoSided {
            partner = gateway.observe(frame: packet.frameNumber, time: packet.timestampNanos, side: side,
                                      decoded: decoded, bytes: bytes)
        }
        defer {
            if let partner {
                icqAnalysis.forwarded(frame: partner)
                icqAnalysis.forwarded(frame: packet.frameNumber)
                peerPorts.gatewayVerdict(frame: partner, forwarded: true, time: packet.timestampNanos)
            }
        }
        switch decoded.transport {
        case .icmp(let message) where message.type == 3:
            if let quoted = message.quoted, quoted.protocolNumber == IPProtocol.udp {
                icqAnalysis.icmpError(ICQMessageQuote(frame: packet.frameNumber, time: packet.timestampNanos,
                                                      code: message.code, quoted: quoted))
            }
            // Both copies of an error that crossed the gateway: each quotes the attempt as its side saw it.
            if let reporter = decoded.sourceAddress {
                peerPorts.icmp(message, frame: packet.frameNumber, time: packet.timestampNanos, reporter: reporter)
            }
        case .tcp(let tcp):
            peerPorts.tcp(tcp, decoded: decoded, frame: packet.frameNumber, time: packet.timestampNanos,
                          twoSided: twoSided, isCopy: partner != nil)
            if partner == nil {
                // A gateway's forwarded copy would feed the same stream twice: only the first is read.
                // A stream opens at the connection's first bytes, with the handshake the flow saw,
                // and is let go (the flow remembers) once nothing in it can be decoded.
                let flow = observation?.handle
                if tcp.isSYN && !tcp.isACK, let flow { flowTable.clearStreamDone(flow) }
                if flow.map({ !flowTable.isStreamDone($0) }) ?? true {
                    let handshake = decoded.payloadLength > 0 ? flow.flatMap { flowTable.handshake(of: $0) } : nil
                    if streams.ingest(decoded, frame: packet.frameNumber, bytes: bytes, handshake: handshake,
                                      sink: &streamFrame), let flow {
                        flowTable.markStreamDone(flow)
                    }
                }
                noteStreamFrame(frame: packet.frameNumber, flow: observation?.handle)
            }
            if partner == nil, let src = decoded.sourceAddress, let dst = decoded.destinationAddress {
                socks.segment(tcp, payload: decoded.payload(of: bytes), source: Endpoint(address: src, port: tcp.sourcePort),
                              destination: Endpoint(address: dst, port: tcp.destinationPort),
                              frame: packet.frameNumber, time: packet.timestampNanos)
            }
        default:
            break
        }
        if case .udp(let udp) = decoded.transport {
            let payload = decoded.payload(of: bytes)
            socksUDP = nil
            if let relayed = socksRelayed(decoded, udp, payload: payload) {
                // ICQ through a SOCKS5 UDP association: the header names the real server; the
                // datagram inside is classic ICQ between the client and that server.
                socksUDP = (relayed.header, payload)
                let inner = UnsafeRawBufferPointer(rebasing: payload[relayed.header.inner])
                icqResult = icq.decode(inner, direction: relayed.toRelay ? .clientToServer : .serverToClient)
                socks.datagram(relay: relayed.relay, client: relayed.client, toRelay: relayed.toRelay, frame: packet.frameNumber,
                               time: packet.timestampNanos, uin: icqResult.packet?.header.uin)
                noteICQResult(packet, relayed.inner, side: side, flow: observation?.handle)
            } else {
                icqResult = icq.classify(payload, sourcePort: udp.sourcePort, destinationPort: udp.destinationPort)
                noteICQResult(packet, decoded, side: side, flow: observation?.handle)
            }
        }
        if briefs != nil { noteBrief(packet, decoded, side: side, partner: partner) }
    }

    /// `--html` and `--write-evidence` only: the frame's brief, and the page's timelines. Out of
    /// line, so that the path every packet takes stays as it was without them.
    @inline(never)
    private func noteBrief(_ packet: CapturedPacket, _ decoded: DecodedPacket, side: Int, partner: UInt64?) {
        guard let briefs, let brief = briefs.packet(packet, decoded, side: side, icq: icqResult) else { return }
        html?.packet(brief, twoSided: twoSided, partner: partner, advertised: peerPorts.advertised)
    }

    /// What the ICQ classifier said about a datagram (`decoded`: as sent, or as if sent directly
    /// when it was relayed through a SOCKS5 association): counts, the session tracker, advertised
    /// endpoints and the flow's protocols.
    private func noteICQResult(_ packet: CapturedPacket, _ decoded: DecodedPacket, side: Int, flow: FlowHandle?) {
        switch icqResult {
        case .icq(let p):
            summary.count(.icq)
            summary.icq.count(p)
            icqAnalysis.observe(p, decoded: decoded, frame: packet.frameNumber, time: packet.timestampNanos,
                                side: side, twoSided: twoSided)
            noteAdvertisedEndpoints(p, decoded: decoded, frame: packet.frameNumber)
            if let flow {
                flowTable.addProtocol(.icq, to: flow)
                if let uin = p.header.uin, uin != 0 { flowTable.addUIN(uin, to: flow) }
            }
        case .malformed(var m, let header):
            // Offsets in the record are from the start of the frame (or reassembled datagram).
            m.offset += decoded.payloadOffset
            icqResult = .malformed(m, header: header)
            summary.countMalformed(m)
        case .notICQ:
            break
        }
    }

    private func sessionEnded(_ session: ICQSession) {
        html?.sessionEnded(session)
        switch options.format {
        case .ndjson:
            SessionRecord.writeNDJSON(&json, session)
            events?.write(json.buffer)
            out.take(&json)
        case .text:
            if let events {
                SessionRecord.writeNDJSON(&json, session)
                events.write(json.buffer)
                json.removeAll()
            }
            let line = SessionRecord.text(session)
            let cost = MemoryBudget.bytesPerListedLine + line.utf8.count
            if sessionLineBytes + cost <= options.memoryBudget.sessionListBytes {
                sessionLineBytes += cost
                sessionLines.append(line)
            } else {
                sessionLinesLeftOut += 1
            }
        }
    }

    /// A finding is printed as soon as it is established (NDJSON), and kept for the text report.
    func report(_ finding: Finding) {
        findingTally.add(finding)
        findingCounts[Self.findingCountIndex(finding.kind, finding.severity)] &+= 1
        if options.format == .text {
            let cost = MemoryBudget.bytesPerListedFinding + finding.explanation.utf8.count + finding.advice.utf8.count
                + finding.frames.count * MemoryLayout<UInt64>.stride
            if findingBytes + cost <= options.memoryBudget.findingListBytes {
                findingBytes += cost
                findings.append(finding)
            } else {
                findingsLeftOut += 1
            }
        }
        briefs?.finding(finding)
        html?.finding(finding)
        if options.format == .ndjson || events != nil {
            FindingRecord.writeNDJSON(&json, finding)
            events?.write(json.buffer)
            if options.format == .ndjson {
                out.take(&json)
                out.flush()
            } else {
                json.removeAll()
            }
        }
        socks4UDP.observe(finding)
        syslog?.send(finding)
    }

    static func findingCountIndex(_ kind: Finding.Kind, _ severity: Finding.Severity) -> Int {
        Finding.Kind.allCases.firstIndex(of: kind)! * Finding.Severity.allCases.count
            + Finding.Severity.allCases.firstIndex(of: severity)!
    }

    /// Writes the flows that ended (with `--flows`) and empties the table's queue.
    private func writeEndedFlows() {
        guard flowTable.hasEndedFlows else { return }
        flowTable.drainEndedFlows { write($0) }
    }

    private func write(_ flow: FlowRecord) {
        html?.flowEnded(flow)
        guard options.flows else { return }
        switch options.format {
        case .ndjson:
            FlowRecordOutput.writeNDJSON(&json, flow)
            out.take(&json)
        case .text:
            out.write(FlowRecordOutput.text(flow))
        }
    }

    /// Damaged or unusable input: a line on stderr, and an `error` record in NDJSON.
    public func report(_ error: CaptureError) {
        inputDamaged = true
        summary.inputErrors += 1
        progress?.clear()
        out.flush()
        diagnostics.write(ErrorRecord.line(error))
        diagnostics.flush()
        writeErrorRecord(error)
    }

    /// The `error` record: on stdout in NDJSON, and in the events file.
    private func writeErrorRecord(_ error: CaptureError) {
        guard options.format == .ndjson || events != nil else { return }
        ErrorRecord.write(&json, error)
        events?.write(json.buffer)
        if options.format == .ndjson { out.take(&json) } else { json.removeAll() }
    }

    /// An output that could not be written (a full disk, a vanished file): one line on stderr
    /// naming the file, an `error` record in NDJSON, and exit status 74 at the end. The analysis
    /// goes on.
    public func reportOutputFailure(_ error: CaptureError) {
        outputFailed = true
        progress?.clear()
        out.flush()
        diagnostics.write(ErrorRecord.line(error))
        diagnostics.flush()
        writeErrorRecord(error)
    }

    public func noteUnreadable(_ path: String) {
        summary.sources.append(Summary.SourceSummary(name: path, format: "unreadable", packets: 0, interfaces: [], completed: false))
    }

    static func join(_ a: String?, _ b: String?) -> String? {
        guard let a else { return b }
        guard let b else { return a }
        return a + " | " + b
    }

    /// Prints the summary and returns the exit status of the output contract.
    public func finish() -> Int32 {
        streamFrame.reset()
        streams.finishAll(frame: summary.packets, sink: &streamFrame)
        while let u = gateway.nextUnforwarded(now: .max) { unforwarded(u) }
        peerPorts.finish()
        icqAnalysis.finish()
        summary.openDeadlines = icqAnalysis.diagnosis.openAtEnd.map { ($0.uin, $0.what, $0.frames) }
        flowTable.finish { write($0) }
        summary.flows = flowTable.statistics
        summary.sessionsEvicted = icqAnalysis.tracker.evictedSessions
        summary.streamsEvicted = UInt64(streams.streamsEvicted)
        summary.datagramsEvicted = defragmenter.counters.evictedForCap
        let card = RequirementCard.judge(findings: findingTally, evidence: evidence, icq: icqAnalysis.diagnosis,
                                         peerPorts: peerPorts.ledger, sideName: sideName)
        finalCard = card
        writeHTML(card: card)
        writeEvidence()
        if let events {
            for requirement in card { RequirementRecord.writeNDJSON(&json, requirement) }
            SummaryRecord.writeNDJSON(&json, summary)
            // One record a write, as during the run.
            var start = 0
            let records = json.buffer
            for (i, byte) in records.enumerated() where byte == UInt8(ascii: "\n") {
                events.write(Array(records[start...i]))
                start = i + 1
            }
            json.removeAll()
            reportEventFailures()
        }
        switch options.format {
        case .ndjson:
            for requirement in card { RequirementRecord.writeNDJSON(&json, requirement) }
            SummaryRecord.writeNDJSON(&json, summary)
            out.take(&json)
        case .text:
            if options.packets || options.flows { out.write("\n") }
            let style = TextStyle(enabled: options.colour)
            out.write(RequirementRecord.text(card, style: style))
            out.write(SummaryRecord.text(summary))
            out.write(FindingRecord.text(findings, leftOut: findingsLeftOut, keptBytes: options.memoryBudget.findingListBytes,
                                         style: style))
            if !sessionLines.isEmpty || sessionLinesLeftOut > 0 {
                out.write("\n" + style.heading("ICQ SESSIONS (\(sessionLines.count + sessionLinesLeftOut))") + "\n")
                for line in sessionLines { out.write("  " + line) }
                if sessionLinesLeftOut > 0 {
                    out.write("  … and \(sessionLinesLeftOut) more sessions, not listed: the text report keeps "
                              + "\(options.memoryBudget.sessionListBytes >> 10) KiB of them (a 32nd of --memcap); "
                              + "--format ndjson writes every session as it ends\n")
                }
            }
        }
        out.flush()
        if let failure = out.failureReason {
            // Nothing more can go to standard output: the reason goes to stderr only.
            diagnostics.write("icqscope: standard output: writing the results failed: \(failure)\n")
            diagnostics.flush()
            outputFailed = true
        }
        if outputFailed { return ExitStatus.outputFailed }
        if inputDamaged { return ExitStatus.damagedInput }
        if let failOn = options.failOn, let worst = findingTally.worst, worst >= failOn {
            return ExitStatus.findings
        }
        return ExitStatus.ok
    }
}
