import Bytes
import Capture
import Diagnosis
import Report
import Tracking
import Wire

/// What is known of the frames each finding names, gathered only with `--html` or
/// `--write-evidence`: a brief of the recent frames (`frame % ringCapacity`: a finding names
/// frames seen a moment, or a few minutes, before it is established), the gateway matcher's
/// verdicts on them, and at each finding a copy of its frames' briefs. Each input is numbered
/// (frames are numbered from 1 again in each file). The side the clients are on is the side of the
/// first classic ICQ packet a client sent.
final class EvidenceBriefs {
    static let ringCapacity = 1 << 15
    static let maximumFindings = 10_000

    private var ring: [PacketBrief]
    private(set) var sourceIndex: UInt16 = 0
    private var sources = 0
    private(set) var findings: [FindingEvidence] = []
    /// Findings beyond the cap (not kept).
    private(set) var findingsNotKept = 0
    private(set) var insideSide: Int32? = nil
    /// The frame being analysed, and the findings established during it that name it (its brief
    /// is made once its layers are decoded).
    private var currentFrame: UInt64 = 0
    private var findingsNamingCurrentFrame: [Int] = []
    /// Where a frame no longer in the ring may still be known (the HTML page's session timelines).
    var olderBrief: ((_ frame: UInt64, _ uin: UInt32?, _ sourceIndex: UInt16) -> PacketBrief?)? = nil

    init() {
        let nowhere = Endpoint(address: IPAddress(ipv4: 0), port: 0)
        ring = Array(repeating: PacketBrief(frame: 0, time: 0, side: 0, sourceIndex: .max, kind: .other,
                                            source: nowhere, destination: nowhere, length: 0),
                     count: Self.ringCapacity)
    }

    /// A new input begins.
    func begin() {
        if sources > 0 { sourceIndex &+= 1 }
        sources += 1
    }

    func frameBegins(_ frame: UInt64) {
        currentFrame = frame
        findingsNamingCurrentFrame.removeAll(keepingCapacity: true)
    }

    /// One analysed packet, once its transport and ICQ layers are decoded: its brief.
    @discardableResult
    func packet(_ packet: CapturedPacket, _ decoded: DecodedPacket, side: Int, icq: ICQClassification) -> PacketBrief? {
        guard let brief = Self.brief(packet, decoded, side: side, icq: icq, sourceIndex: sourceIndex) else { return nil }
        if insideSide == nil && brief.kind == .icq && !brief.icqFromServer { insideSide = brief.side }
        ring[Int(packet.frameNumber % UInt64(Self.ringCapacity))] = brief
        for i in findingsNamingCurrentFrame where i < findings.count { findings[i].briefs[brief.frame] = brief }
        findingsNamingCurrentFrame.removeAll(keepingCapacity: true)
        return brief
    }

    /// The brief of a decoded packet (also for frames read again when the evidence file is written).
    static func brief(_ packet: CapturedPacket, _ decoded: DecodedPacket, side: Int, icq: ICQClassification,
                      sourceIndex: UInt16) -> PacketBrief? {
        guard let src = decoded.sourceAddress, let dst = decoded.destinationAddress else { return nil }
        var brief = PacketBrief(frame: packet.frameNumber, time: packet.timestampNanos, side: Int32(truncatingIfNeeded: side),
                                sourceIndex: sourceIndex, kind: .other,
                                source: Endpoint(address: src, port: 0), destination: Endpoint(address: dst, port: 0),
                                length: UInt32(truncatingIfNeeded: packet.originalLength))
        switch decoded.transport {
        case .udp(let udp):
            brief.kind = .udp
            brief.source.port = udp.sourcePort
            brief.destination.port = udp.destinationPort
        case .tcp(let tcp):
            brief.kind = .tcp
            brief.source.port = tcp.sourcePort
            brief.destination.port = tcp.destinationPort
            brief.tcpFlags = tcp.flags
        case .icmp(let message):
            brief.kind = .icmp
            brief.icmpType = message.type
            brief.icmpCode = message.code
            if let q = message.quoted {
                brief.quotedSource = Endpoint(address: q.source, port: q.sourcePort ?? 0)
                brief.quotedDestination = Endpoint(address: q.destination, port: q.destinationPort ?? 0)
                brief.quotedProtocol = q.protocolNumber
            }
        default:
            break
        }
        if case .icq(let p) = icq {
            brief.kind = .icq
            brief.icqCommand = p.header.command
            brief.icqVersion = p.header.version
            brief.icqFromServer = p.header.direction == .serverToClient
            brief.seq1 = p.header.seq1
            brief.seq2 = p.header.seq2 ?? 0
            brief.uin = p.header.uin
            brief.sessionID = p.header.sessionID
        }
        return brief
    }

    /// The gateway matcher: this frame arrived on one side and never left on the other.
    func unforwarded(frame: UInt64) {
        let slot = Int(frame % UInt64(Self.ringCapacity))
        if ring[slot].frame == frame && ring[slot].sourceIndex == sourceIndex { ring[slot].unforwarded = true }
    }

    /// A finding as it is established: what is known of its frames now.
    func finding(_ finding: Finding) {
        guard findings.count < Self.maximumFindings else {
            findingsNotKept += 1
            return
        }
        var briefs: [UInt64: PacketBrief] = [:]
        for frame in finding.frames where briefs[frame] == nil {
            let slot = Int(frame % UInt64(Self.ringCapacity))
            if ring[slot].frame == frame && ring[slot].sourceIndex == sourceIndex {
                briefs[frame] = ring[slot]
            } else if let older = olderBrief?(frame, finding.uin, sourceIndex) {
                briefs[frame] = older
            } else if frame == currentFrame {
                findingsNamingCurrentFrame.append(findings.count)
            }
        }
        findings.append(FindingEvidence(finding: finding, sourceIndex: sourceIndex, briefs: briefs))
    }
}
