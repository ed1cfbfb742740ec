import Bytes
import Capture
import Diagnosis
import Report
import Tracking
import Wire

/// The pipeline for one run: every packet source, file or live, goes through `run`, so offline
/// and live analysis are the same code.
final class Analyzer {
    let options: AnalysisOptions
    private(set) var summary = Summary()
    private var json = JSONWriter()
    private let out = OutputSink(fd: 1)
    private let diagnostics = OutputSink(fd: 2, threshold: 0)
    private var inputDamaged = false
    private var filter: PacketFilter?
    private var filterBroken = false
    private let defragmenter = IPDefragmenter()
    /// Classic ICQ over UDP; owns the scratch buffer v5 client packets are decrypted into.
    private let icq: ICQDecoder
    /// What the ICQ classifier said about the current frame; its bytes stay valid until the
    /// next frame (the frame, the defragmenter's datagram, or the decoder's scratch).
    private var icqResult: ICQClassification = .notICQ
    /// Findings established so far, in the order they were established.
    private(set) var findings: [Finding] = []
    /// Every packet's flow; ended flows are written with `--flows`.
    private var flowTable = FlowTable()
    /// Classic ICQ sessions and the rules over them.
    private var icqAnalysis: ICQAnalysis!
    /// Connection attempts to the TCP ports peers advertised (rule R4).
    private var peerPorts: PeerPortDiagnosis!
    /// Pairs packets with their forwarded copies on captures of both sides of a gateway.
    private let gateway = GatewayMatcher()
    /// Whether the current source shows more than one side (interfaces, or cooked v2 ifindexes).
    private var twoSided = false
    /// Session lines for the text report, in the order the sessions ended.
    private var sessionLines: [String] = []
    /// Link types already reported as undecodable, so each is reported once per source.
    private var reportedLinkTypes: Set<LinkType> = []

    /// Read once: an option's property wrapper costs a generic metadata lookup per access.
    private let showPackets: Bool
    private let showFlows: Bool

    init(options: AnalysisOptions) {
        self.options = options
        icq = ICQDecoder(serverPorts: options.icqServerPorts)
        showPackets = options.packets
        showFlows = options.flows
        if let expression = options.filter { filter = PacketFilter(expression: expression) }
        icqAnalysis = ICQAnalysis(
            thresholds: options.diagnosis.thresholds, serverPorts: options.icqServerPorts,
            findings: { [unowned self] finding in self.report(finding) },
            sessionEnded: { [unowned self] session in self.sessionEnded(session) })
        peerPorts = PeerPortDiagnosis(thresholds: options.diagnosis.thresholds,
                                      emit: { [unowned self] finding in self.report(finding) })
    }

    /// Checks the filter's syntax before any input is read (compiled for Ethernet), so a typo is
    /// a usage error rather than damaged input.
    func validateFilter() throws(CaptureError) {
        _ = try filter?.compile(for: .ethernet)
    }

    /// Reads a source to its end, reporting damaged records and carrying on where it can.
    func run<Source: PacketSource & ~Copyable>(_ source: inout Source, format: String) {
        let packetsBefore = summary.packets
        var completed = true
        reportedLinkTypes.removeAll()
        twoSided = source.interfaces.count >= 2 || source.interfaces.contains { $0.linkType == .linuxSLL2 }
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
            if let filter, !filterBroken {
                do {
                    guard try filter.accepts(packet) else {
                        summary.filteredOut += 1
                        continue
                    }
                } catch {
                    report(error)
                    filterBroken = true
                    completed = false
                    break
                }
            }
            if !packet.linkType.isSupported && !reportedLinkTypes.contains(packet.linkType) {
                reportedLinkTypes.insert(packet.linkType)
                report(CaptureError(
                    file: source.sourceName, frame: packet.frameNumber, reason: .unknownLinkType,
                    message: "link type \(packet.linkType.rawValue) (\(packet.linkType.name)) cannot be decoded; its packets are counted but not analysed",
                    isFatal: false))
            }
            handle(packet, interfaces: source.interfaces)
        }
        summary.sources.append(Summary.SourceSummary(
            name: source.sourceName, format: format, packets: summary.packets - packetsBefore,
            interfaces: source.interfaces, completed: completed))
    }

    private func handle(_ packet: CapturedPacket, interfaces: [CaptureInterface]) {
        let decoded = PacketDecoder.decode(packet)
        summary.count(packet, decoded)
        icqResult = .notICQ
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
            for u in gateway.expire(now: packet.timestampNanos) { unforwarded(u) }
        }
        writeEndedFlows()
        guard showPackets else { return }
        let interface = packet.interfaceIndex < interfaces.count ? interfaces[packet.interfaceIndex] : nil
        switch options.format {
        case .ndjson:
            PacketRecord.begin(&json, packet: packet, decoded: decoded, interface: interface)
            ICQRecord.write(&json, icqResult, revealSecrets: options.revealSecrets)
            if case .malformed(let m, _) = icqResult, decoded.malformation == nil {
                PacketRecord.writeMalformation(&json, m)
            }
            PacketRecord.finish(&json)
            out.take(&json)
        case .text:
            out.write(PacketLine.text(packet: packet, decoded: decoded, interface: interface,
                                      firstTime: summary.firstTime ?? packet.timestampNanos,
                                      info: ICQRecord.text(icqResult, revealSecrets: options.revealSecrets)))
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
            if partner == nil, let reporter = decoded.sourceAddress {
                peerPorts.icmp(message, frame: packet.frameNumber, time: packet.timestampNanos, reporter: reporter)
            }
        case .tcp(let tcp):
            peerPorts.tcp(tcp, decoded: decoded, frame: packet.frameNumber, time: packet.timestampNanos,
                          twoSided: twoSided, isCopy: partner != nil)
        default:
            break
        }
        if case .udp(let udp) = decoded.transport {
            let payload = decoded.payload(of: bytes)
            icqResult = icq.classify(payload, sourcePort: udp.sourcePort, destinationPort: udp.destinationPort)
            switch icqResult {
            case .icq(let p):
                summary.count(.icq)
                summary.icq.count(p)
                icqAnalysis.observe(p, decoded: decoded, frame: packet.frameNumber, time: packet.timestampNanos,
                                    side: side, twoSided: twoSided)
                noteAdvertisedEndpoints(p, decoded: decoded, frame: packet.frameNumber)
                if let handle = observation?.handle {
                    flowTable.addProtocol(.icq, to: handle)
                    if let uin = p.header.uin, uin != 0 { flowTable.addUIN(uin, to: handle) }
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
    }

    private func unforwarded(_ u: GatewayMatcher.Unforwarded) {
        icqAnalysis.unforwarded(u)
        peerPorts.gatewayVerdict(frame: u.frame, forwarded: false, time: u.time)
    }

    /// The TCP listening ports classic ICQ packets advertise, for rule R4.
    private func noteAdvertisedEndpoints(_ p: ICQPacket, decoded: DecodedPacket, frame: UInt64) {
        switch p.body {
        case .login(let login):
            guard let port = UInt16(exactly: login.tcpPort), let seen = decoded.sourceAddress else { return }
            peerPorts.advertised.add(Endpoint(address: seen, port: port), uin: p.header.uin, source: .login, frame: frame)
            peerPorts.advertised.add(Endpoint(address: login.lanIP, port: port), uin: p.header.uin, source: .login,
                                     isLANAddress: true, frame: frame)
        case .userOnline(let online):
            guard let port = UInt16(exactly: online.tcpPort) else { return }
            peerPorts.advertised.add(Endpoint(address: online.externalIP, port: port), uin: online.uin, source: .userOnline, frame: frame)
            peerPorts.advertised.add(Endpoint(address: online.lanIP, port: port), uin: online.uin, source: .userOnline,
                                     isLANAddress: true, frame: frame)
        case .tcpRequest(let request):
            guard let port = UInt16(exactly: request.port) else { return }
            peerPorts.advertised.add(Endpoint(address: request.ip, port: port), uin: request.uin, source: .tcpRequest, frame: frame)
        default:
            break
        }
    }

    private func sessionEnded(_ session: ICQSession) {
        switch options.format {
        case .ndjson:
            SessionRecord.writeNDJSON(&json, session)
            out.take(&json)
        case .text:
            sessionLines.append(SessionRecord.text(session))
        }
    }

    /// A finding is printed as soon as it is established (NDJSON), and kept for the text report.
    func report(_ finding: Finding) {
        findings.append(finding)
        if options.format == .ndjson {
            FindingRecord.writeNDJSON(&json, finding)
            out.take(&json)
            out.flush()
        }
    }

    /// Writes the flows that ended (with `--flows`) and empties the table's queue.
    private func writeEndedFlows() {
        guard flowTable.hasEndedFlows else { return }
        let show = showFlows
        let format = options.format
        flowTable.drainEndedFlows { flow in
            guard show else { return }
            switch format {
            case .ndjson:
                FlowRecordOutput.writeNDJSON(&json, flow)
                out.take(&json)
            case .text:
                out.write(FlowRecordOutput.text(flow))
            }
        }
    }

    /// Damaged or unusable input: a line on stderr, and an `error` record in NDJSON.
    func report(_ error: CaptureError) {
        inputDamaged = true
        summary.inputErrors += 1
        out.flush()
        diagnostics.write(ErrorRecord.line(error))
        diagnostics.flush()
        if options.format == .ndjson {
            ErrorRecord.write(&json, error)
            out.take(&json)
        }
    }

    func noteUnreadable(_ path: String) {
        summary.sources.append(Summary.SourceSummary(name: path, format: "unreadable", packets: 0, interfaces: [], completed: false))
    }

    /// Prints the summary and returns the exit status of the output contract.
    func finish() -> Int32 {
        for u in gateway.expire(now: .max) { unforwarded(u) }
        peerPorts.finish()
        icqAnalysis.finish()
        summary.openDeadlines = icqAnalysis.diagnosis.openAtEnd.map { ($0.uin, $0.what, $0.frames) }
        flowTable.finish()
        writeEndedFlows()
        summary.flows = flowTable.statistics
        switch options.format {
        case .ndjson:
            SummaryRecord.writeNDJSON(&json, summary)
            out.take(&json)
        case .text:
            if options.packets || options.flows { out.write("\n") }
            out.write(SummaryRecord.text(summary))
            out.write(FindingRecord.text(findings))
            if !sessionLines.isEmpty {
                out.write("\nICQ SESSIONS (\(sessionLines.count))\n")
                for line in sessionLines { out.write("  " + line) }
            }
        }
        out.flush()
        if inputDamaged { return ExitStatus.damagedInput }
        if let failOn = options.diagnosis.failOn?.severity, findings.contains(where: { $0.severity >= failOn }) {
            return ExitStatus.findings
        }
        return ExitStatus.ok
    }
}
