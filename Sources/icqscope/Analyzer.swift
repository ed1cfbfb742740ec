import Capture
import Report
import Wire

/// The pipeline for one run: every packet source, file or live, goes through `run`, so offline
/// and live analysis are the same code.
final class Analyzer {
    let options: AnalysisOptions
    var summary = Summary()
    var json = JSONWriter()
    let out = OutputSink(fd: 1)
    let diagnostics = OutputSink(fd: 2, threshold: 0)
    var inputDamaged = false
    private var filter: PacketFilter?
    private var filterBroken = false
    /// Link types already reported as undecodable, so each is reported once per source.
    var reportedLinkTypes: Set<LinkType> = []

    init(options: AnalysisOptions) {
        self.options = options
        if let expression = options.filter { filter = PacketFilter(expression: expression) }
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
        }
        summary.sources.append(Summary.SourceSummary(
            name: source.sourceName, format: format, packets: summary.packets - packetsBefore,
            interfaces: source.interfaces, completed: completed))
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

    private func handle(_ packet: CapturedPacket, interfaces: [CaptureInterface]) {
        let decoded = PacketDecoder.decode(packet)
        summary.count(packet, decoded)
        guard options.packets else { return }
        let interface = packet.interfaceIndex < interfaces.count ? interfaces[packet.interfaceIndex] : nil
        switch options.format {
        case .ndjson:
            PacketRecord.begin(&json, packet: packet, decoded: decoded, interface: interface)
            PacketRecord.finish(&json)
            out.take(&json)
        case .text:
            out.write(PacketLine.text(packet: packet, decoded: decoded, interface: interface,
                                      firstTime: summary.firstTime ?? packet.timestampNanos, info: nil))
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
        switch options.format {
        case .ndjson:
            SummaryRecord.writeNDJSON(&json, summary)
            out.take(&json)
        case .text:
            if options.packets { out.write("\n") }
            out.write(SummaryRecord.text(summary))
        }
        out.flush()
        return inputDamaged ? ExitStatus.damagedInput : ExitStatus.ok
    }
}
