import Bytes
import Capture
import Diagnosis
import Report
import Tracking
import Wire

/// `--write-evidence FILE.pcapng`: the frames every finding names, read again from the inputs at
/// the end of the run and written with a packet comment per finding that names them (the finding,
/// the frame's role in it, the original file and frame number), so that Wireshark shows why each
/// is there. With `--write-evidence-flows`, every frame of the flows those frames belong to as
/// well. Interfaces keep their names and link types (with several inputs, each name is prefixed
/// with its file's name). The file is created when the run starts, so that a path that cannot be
/// written is said at once; the analysis goes on either way.
final class EvidenceFile {
    let path: String
    private let writer: PcapngWriter

    init(path: String) throws(CaptureError) {
        self.path = path
        writer = try PcapngWriter(path: path, application: "icqscope --write-evidence")
    }

    /// A flow as `--write-evidence-flows` gathers it: the protocol and both endpoints, in either order.
    struct FlowKey: Hashable {
        var proto: UInt8
        var low: Endpoint
        var high: Endpoint

        init(proto: UInt8, _ a: Endpoint, _ b: Endpoint) {
            self.proto = proto
            let aFirst = (a.address, a.port) <= (b.address, b.port)
            low = aFirst ? a : b
            high = aFirst ? b : a
        }

        /// The flow a brief belongs to; an ICMP error belongs to the flow of the datagram it quotes.
        init?(_ b: PacketBrief) {
            switch b.kind {
            case .icq, .udp: self.init(proto: IPProtocol.udp, b.source, b.destination)
            case .tcp: self.init(proto: IPProtocol.tcp, b.source, b.destination)
            case .icmp:
                guard let s = b.quotedSource, let d = b.quotedDestination else { return nil }
                self.init(proto: b.quotedProtocol, s, d)
            case .other: return nil
            }
        }
    }

    /// Reads each input again and writes the frames the findings name (and their flows).
    /// `inputs`: the path of each input by its number; `twoSided`/`insideSide`: how the roles are told.
    func write(findings: [FindingEvidence], inputs: [String], flows: Bool, twoSided: Bool, insideSide: Int32?,
               serverPorts: [UInt16]) throws(CaptureError) {
        var evidence = findings
        for (index, input) in inputs.enumerated() {
            let ofInput = evidence.indices.filter { Int(evidence[$0].sourceIndex) == index }
            guard !ofInput.isEmpty else { continue }
            var named: [UInt64: [Int]] = [:]
            for i in ofInput {
                for frame in evidence[i].finding.frames where !(named[frame]?.contains(i) ?? false) { named[frame, default: []].append(i) }
            }
            let icq = ICQDecoder(serverPorts: serverPorts)
            var keys: [FlowKey: Int] = [:]
            if flows {
                // The flows of the named frames, from a first reading (a frame's brief may not be held).
                try readAgain(input, index: index, icq: icq) { packet, brief, _ in
                    guard let findingsOfFrame = named[packet.frameNumber], let brief, let key = FlowKey(brief) else { return }
                    if keys[key] == nil { keys[key] = findingsOfFrame[0] }
                }
            }
            var interfacesDescribed = 0
            let interfaceBase = writer.interfaceCount
            try readAgain(input, index: index, icq: icq) { (packet, brief, interfaces) throws(CaptureError) in
                var comments: [String] = []
                if let findingsOfFrame = named[packet.frameNumber] {
                    for i in findingsOfFrame {
                        if evidence[i].briefs[packet.frameNumber] == nil, let brief { evidence[i].briefs[packet.frameNumber] = brief }
                        comments.append(comment(evidence[i], number: i + 1, of: findings.count, frame: packet.frameNumber,
                                                input: input, twoSided: twoSided, insideSide: insideSide))
                    }
                } else if flows, let brief, let key = FlowKey(brief), let i = keys[key] {
                    let f = evidence[i].finding
                    comments.append("icqscope: in the flow of finding \(i + 1) of \(findings.count) (\(f.kind.rawValue)); \(input) frame \(packet.frameNumber)")
                }
                guard !comments.isEmpty else { return }
                // Interface ids follow the input's: each described once, in order.
                while interfacesDescribed <= packet.interfaceIndex && interfacesDescribed < interfaces.count {
                    var interface = interfaces[interfacesDescribed]
                    if inputs.count > 1 { interface.name = Self.basename(input) + ":" + (interface.name ?? "if\(interfacesDescribed)") }
                    interface.statistics = nil
                    writer.addInterface(interface)
                    interfacesDescribed += 1
                }
                try writer.write(packet, interfaceID: interfaceBase + packet.interfaceIndex, comments: comments)
            }
        }
        try writer.finish(statistics: [], timestampNanos: 0)
    }

    static func basename(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// "icqscope finding 1 of 2: firewall_session_timeout (confirmed, dropped_at_gateway), UIN 1001:
    /// push dropped at the gateway; samples/firewall-timeout.pcapng frame 33"
    private func comment(_ e: FindingEvidence, number: Int, of count: Int, frame: UInt64, input: String,
                         twoSided: Bool, insideSide: Int32?) -> String {
        let f = e.finding
        let geometry = EvidenceGeometry(f, briefs: e.briefs, twoSided: twoSided, insideSide: insideSide)
        var what = f.kind.rawValue
        let qualifiers = [f.level?.rawValue, f.detail?.rawValue].compactMap { $0 }
        if !qualifiers.isEmpty { what += " (" + qualifiers.joined(separator: ", ") + ")" }
        if let uin = f.uin { what += ", UIN \(uin)" }
        let role = EvidenceRole.role(of: frame, in: f, briefs: e.briefs, geometry: geometry)
        return "icqscope finding \(number) of \(count): \(what): \(role); \(input) frame \(frame)"
    }

    /// Reads an input from its start, handing over each packet with its brief.
    private func readAgain(_ input: String, index: Int, icq: ICQDecoder,
                           _ body: (CapturedPacket, PacketBrief?, [CaptureInterface]) throws(CaptureError) -> Void) throws(CaptureError) {
        var reader = try CaptureFileReader(path: input)
        while true {
            let packet: CapturedPacket?
            do {
                packet = try reader.nextPacket()
            } catch {
                // Damage was reported when the input was analysed; read on where the framing survives.
                if error.isFatal { break } else { continue }
            }
            guard let packet else { break }
            let decoded = PacketDecoder.decode(packet)
            var classification = ICQClassification.notICQ
            if case .udp(let udp) = decoded.transport {
                classification = icq.classify(decoded.payload(of: packet.bytes), sourcePort: udp.sourcePort,
                                              destinationPort: udp.destinationPort)
            }
            let side = decoded.link?.interfaceIndex.map { Int($0) } ?? packet.interfaceIndex
            let brief = EvidenceBriefs.brief(packet, decoded, side: side, icq: classification, sourceIndex: UInt16(truncatingIfNeeded: index))
            try body(packet, brief, reader.interfaces)
        }
    }
}
