import Bytes
import Capture
import Diagnosis
import Report
import Tracking
import Wire

/// Gathers, only when `--html` is given, what the page draws and the records do not hold: each
/// classic ICQ session's packets (a timeline), the gateway's verdicts on them, the ended sessions
/// and flows, and which advertised peer ports were tried and reached; the findings' frames come
/// from `EvidenceBriefs`. Every store is capped; what does not fit is counted. Without `--html`
/// the analyzer holds none of this.
final class HTMLCollector {
    /// Sessions whose packets are held at once; a session that ended without findings gives its
    /// place up when a new one needs it.
    static let maximumHeldTimelines = 512
    static let maximumPacketsPerSession = 2048
    /// Sessions listed at all (with their records, for the table); later ones are counted.
    static let maximumSessions = 5000
    static let maximumFlows = 2000
    static let maximumOtherFlows = 500
    static let maximumPortOutcomes = 16_384
    static let maximumPendingVerdicts = 1 << 17

    private(set) var data = HTMLReportData()
    private let briefs: EvidenceBriefs
    private var sourceIndex: UInt16 { briefs.sourceIndex }
    /// Timelines by session key (an index into `data.sessions`), and the keys by UIN (findings
    /// name the UIN).
    private var timelineIndex: [ICQSession.Key: Int] = [:]
    private var timelinesByUIN: [UInt32: [Int]] = [:]
    private var heldTimelines = 0
    /// Timelines of sessions that ended, oldest first: the first without findings is released
    /// when a new session needs its place.
    private var endedTimelines: [Int] = []
    private var endedTimelinesHead = 0
    /// The session each client endpoint belongs to, for ICMP errors that quote its datagrams.
    private var sessionByClient: [Endpoint: ICQSession.Key] = [:]
    /// Packets of a two-sided capture waiting for the gateway matcher's verdict: where they are
    /// on a timeline (a far-side copy that was forwarded is taken off it; a dropped packet on
    /// either side is marked).
    private var pendingVerdicts: [UInt64: (timeline: Int, index: Int)] = [:]
    private var pendingOrder: [UInt64] = []
    private var pendingHead = 0
    /// UINs that have findings (their sessions' timelines are kept).
    private var uinsWithFindings: Set<UInt32> = []
    /// Advertised peer endpoints: the first SYN to each, and the first packet each sent back.
    private var tried: [Endpoint: UInt64] = [:]
    private var reached: [Endpoint: UInt64] = [:]
    private var otherFlows = 0

    init(briefs: EvidenceBriefs) {
        self.briefs = briefs
        briefs.olderBrief = { [unowned self] frame, uin, source in self.brief(frame: frame, uin: uin, sourceIndex: source) }
    }

    /// A new input begins (frames are numbered from 1 again).
    func begin(source: String, interfaces: [CaptureInterface]) {
        data.sources.append(source)
        data.interfaceNames.append(interfaces.enumerated().map { $0.element.name ?? "if\($0.offset)" })
    }

    // MARK: Packets

    /// One analysed packet (after its transport and ICQ layers were decoded). `partner`: the
    /// frame of its copy on the other side of the gateway, when this is a forwarded copy.
    func packet(_ brief: PacketBrief, twoSided: Bool, partner: UInt64?, advertised: AdvertisedEndpoints) {
        // The far copy is let go first, so that this copy takes its place on the timeline.
        if let partner { forwarded(frame: partner) }
        switch brief.kind {
        case .tcp:
            notePeerPort(brief, advertised: advertised)
        case .icmp where brief.quotedProtocol == IPProtocol.udp:
            icmpError(brief, twoSided: twoSided, partner: partner)
        case .icq:
            if let uin = brief.uin, let sessionID = brief.sessionID {
                timeline(ICQSession.Key(uin: uin, sessionID: sessionID), brief, twoSided: twoSided, partner: partner)
            }
        default:
            break
        }
    }

    private func notePeerPort(_ brief: PacketBrief, advertised: AdvertisedEndpoints) {
        if brief.isTCPSyn {
            if tried[brief.destination] == nil, tried.count < Self.maximumPortOutcomes,
               advertised.lookup(brief.destination) != nil {
                tried[brief.destination] = brief.frame
            }
        } else if !brief.isTCPReset, reached[brief.source] == nil, reached.count < Self.maximumPortOutcomes,
                  advertised.lookup(brief.source) != nil {
            reached[brief.source] = brief.frame
        }
    }

    /// A classic ICQ packet on its session's timeline. On a two-sided capture the side of the
    /// session's first packet is the client's; a packet on the other side is kept until the
    /// gateway matcher says whether it was forwarded (a copy: not drawn) or dropped (drawn).
    private func timeline(_ key: ICQSession.Key, _ brief: PacketBrief, twoSided: Bool, partner: UInt64?) {
        guard let t = timelineFor(key, brief) else { return }
        let farSide = twoSided && brief.side != data.sessions[t].homeSide
        // A forwarded copy of a packet already on the timeline.
        if farSide && partner != nil { return }
        let client = brief.icqFromServer ? brief.destination : brief.source
        if data.sessions[t].clientBySide[brief.side] == nil {
            data.sessions[t].clientBySide[brief.side] = client
            if sessionByClient.count < 16 * Self.maximumHeldTimelines { sessionByClient[client] = key }
        }
        var flags: TimelinePacket.Flags = brief.icqFromServer ? [.fromServer] : []
        if farSide { flags.insert(.farSide) }
        append(TimelinePacket(frame: brief.frame, time: brief.time, side: brief.side, command: brief.icqCommand,
                              seq1: brief.seq1, seq2: brief.seq2, version: brief.icqVersion, flags: flags),
               to: t, awaitingVerdict: twoSided && partner == nil)
    }

    private func icmpError(_ brief: PacketBrief, twoSided: Bool, partner: UInt64?) {
        guard let quotedSource = brief.quotedSource, let quotedDestination = brief.quotedDestination else { return }
        // An error quoting the client's datagram travels to the client (the server's lane);
        // one quoting the server's travels back to the server (the client's lane).
        let (key, towardClient) = sessionByClient[quotedSource].map { ($0, true) }
            ?? (sessionByClient[quotedDestination].map { ($0, false) } ?? (nil, false))
        guard let key, let t = timelineIndex[key], t < data.sessions.count, !released(t) else { return }
        let farSide = twoSided && brief.side != data.sessions[t].homeSide
        if farSide && partner != nil { return }
        var flags: TimelinePacket.Flags = [.icmp]
        if towardClient { flags.insert(.fromServer) }
        if farSide { flags.insert(.farSide) }
        append(TimelinePacket(frame: brief.frame, time: brief.time, side: brief.side,
                              command: UInt16(brief.icmpType) << 8 | UInt16(brief.icmpCode), seq1: 0, seq2: 0,
                              version: 0, flags: flags),
               to: t, awaitingVerdict: twoSided && partner == nil)
    }

    private func append(_ p: TimelinePacket, to t: Int, awaitingVerdict: Bool) {
        guard data.sessions[t].packets.count < Self.maximumPacketsPerSession else {
            data.sessions[t].packetsNotKept += 1
            return
        }
        data.sessions[t].packets.append(p)
        guard awaitingVerdict else { return }
        pendingVerdicts[p.frame] = (t, data.sessions[t].packets.count - 1)
        pendingOrder.append(p.frame)
        if pendingVerdicts.count > Self.maximumPendingVerdicts { forgetOldestVerdicts() }
    }

    /// The gateway matcher gives up packets it can no longer pair; so does this.
    private func forgetOldestVerdicts() {
        while pendingVerdicts.count > Self.maximumPendingVerdicts / 2, pendingHead < pendingOrder.count {
            pendingVerdicts.removeValue(forKey: pendingOrder[pendingHead])
            pendingHead += 1
        }
        pendingOrder.removeFirst(pendingHead)
        pendingHead = 0
    }

    private func released(_ t: Int) -> Bool { data.sessions[t].packetsReleased }

    /// The timeline of a session, opened at its first packet while there is room.
    private func timelineFor(_ key: ICQSession.Key, _ brief: PacketBrief) -> Int? {
        if let t = timelineIndex[key] { return released(t) ? nil : t }
        if data.sessions.count >= Self.maximumSessions { return nil }
        if heldTimelines >= Self.maximumHeldTimelines && !releaseOneEnded() { return nil }
        let server = brief.icqFromServer ? brief.source : brief.destination
        data.sessions.append(SessionTimeline(key: key, homeSide: brief.side, sourceIndex: sourceIndex, server: server))
        let t = data.sessions.count - 1
        timelineIndex[key] = t
        timelinesByUIN[key.uin, default: []].append(t)
        heldTimelines += 1
        return t
    }

    /// Frees the packets of the oldest ended session without findings.
    private func releaseOneEnded() -> Bool {
        while endedTimelinesHead < endedTimelines.count {
            let t = endedTimelines[endedTimelinesHead]
            endedTimelinesHead += 1
            if uinsWithFindings.contains(data.sessions[t].key.uin) || released(t) { continue }
            data.sessions[t].packets = []
            data.sessions[t].packetsReleased = true
            for client in data.sessions[t].clientBySide.values where sessionByClient[client] == data.sessions[t].key {
                sessionByClient.removeValue(forKey: client)
            }
            heldTimelines -= 1
            if endedTimelinesHead > 1024 {
                endedTimelines.removeFirst(endedTimelinesHead)
                endedTimelinesHead = 0
            }
            return true
        }
        return false
    }

    // MARK: Verdicts, findings, records

    /// The gateway matcher: this frame arrived on one side and never left on the other.
    func dropped(frame: UInt64) {
        if let at = pendingVerdicts.removeValue(forKey: frame), at.timeline < data.sessions.count,
           at.index < data.sessions[at.timeline].packets.count, data.sessions[at.timeline].packets[at.index].frame == frame {
            // Dropped when it travelled toward the gateway: a server packet seen on the far side,
            // a client packet seen on the client's side.
            let p = data.sessions[at.timeline].packets[at.index]
            if p.flags.contains(.farSide) == p.fromServer { data.sessions[at.timeline].packets[at.index].flags.insert(.dropped) }
        }
    }

    /// A packet's copy appeared on the other side: it crossed the gateway. A far-side copy is not
    /// drawn twice.
    private func forwarded(frame: UInt64) {
        guard let at = pendingVerdicts.removeValue(forKey: frame), at.timeline < data.sessions.count else { return }
        if at.index == data.sessions[at.timeline].packets.count - 1,
           data.sessions[at.timeline].packets[at.index].frame == frame,
           data.sessions[at.timeline].packets[at.index].flags.contains(.farSide) {
            data.sessions[at.timeline].packets.removeLast()
        }
    }

    /// A finding: its UIN's sessions keep their timelines.
    func finding(_ finding: Finding) {
        if let uin = finding.uin { uinsWithFindings.insert(uin) }
    }

    /// A frame's brief from the timelines of the UIN's sessions (a frame older than the recent ones).
    private func brief(frame: UInt64, uin: UInt32?, sourceIndex: UInt16) -> PacketBrief? {
        guard let uin else { return nil }
        for t in timelinesByUIN[uin] ?? [] where data.sessions[t].sourceIndex == sourceIndex {
            let s = data.sessions[t]
            guard let p = s.packets.first(where: { $0.frame == frame }) else { continue }
            let client = s.clientBySide[p.side] ?? s.clientBySide[s.homeSide] ?? s.server
            var brief = PacketBrief(frame: p.frame, time: p.time, side: p.side, sourceIndex: s.sourceIndex,
                                    kind: p.flags.contains(.icmp) ? .icmp : .icq,
                                    source: p.fromServer ? s.server : client, destination: p.fromServer ? client : s.server,
                                    length: 0)
            brief.icqCommand = p.command
            brief.icqVersion = p.version
            brief.icqFromServer = p.fromServer
            brief.seq1 = p.seq1
            brief.seq2 = p.seq2
            brief.unforwarded = p.flags.contains(.dropped)
            if p.flags.contains(.icmp) {
                brief.icmpType = UInt8(p.command >> 8)
                brief.icmpCode = UInt8(p.command & 0xFF)
            }
            return brief
        }
        return nil
    }

    /// A classic ICQ session ended: its record goes on its timeline (or is counted).
    func sessionEnded(_ session: ICQSession) {
        guard let t = timelineIndex[session.key] else {
            data.sessionsNotRecorded += 1
            return
        }
        if data.sessions[t].records.count < 64 { data.sessions[t].records.append(session) }
        endedTimelines.append(t)
    }

    func flowEnded(_ flow: FlowRecord) {
        let ofICQFamily = !flow.protocols.isEmpty
        if data.flows.count < Self.maximumFlows + Self.maximumOtherFlows
            && (ofICQFamily || otherFlows < Self.maximumOtherFlows) {
            if !ofICQFamily { otherFlows += 1 }
            data.flows.append(flow)
        } else {
            data.flowsNotListed += 1
        }
    }

    /// The end of the run: the card, the thresholds, the advertised ports and the summary.
    func finish(card: [RequirementResult], thresholds: Thresholds, timeoutSource: String, bracket: UDPTimeoutBracket,
                advertised: AdvertisedEndpoints, twoSided: Bool, summary: Summary) -> HTMLReportData {
        data.card = card
        data.findings = briefs.findings
        data.insideSide = briefs.insideSide
        data.firewallTimeout = thresholds.firewallTimeout
        data.firewallTimeoutSource = timeoutSource
        data.bracket = bracket
        data.twoSided = twoSided
        data.packets = summary.packets
        data.firstTime = summary.firstTime
        data.lastTime = summary.lastTime
        data.summaryText = SummaryRecord.text(summary)
        // A pcapng file may declare interfaces after its first packets: their names as read to the end.
        let read = summary.sources.filter { $0.format != "unreadable" }
        if read.count == data.interfaceNames.count {
            data.interfaceNames = read.map { $0.interfaces.enumerated().map { $0.element.name ?? "if\($0.offset)" } }
        }
        data.peerPorts = peerPortEntries(advertised)
        return data
    }

    private func peerPortEntries(_ advertised: AdvertisedEndpoints) -> [PeerPortEntry] {
        var blocked: [Endpoint: (detail: Finding.Detail?, frames: [UInt64])] = [:]
        for f in data.findings where Finding.isBlockedPeerConnection(f.finding.kind) {
            if let peer = f.finding.peer { blocked[peer] = (f.finding.detail, f.finding.frames) }
        }
        return advertised.all.map { entry in
            let e = entry.endpoint
            let status: PeerPortEntry.Status
            var frames: [UInt64] = []
            if let b = blocked[e] {
                status = b.detail == .rstFromPeer ? .refusedByPeer : .blocked(b.detail?.rawValue ?? "blocked")
                frames = b.frames
            } else if let r = reached[e] {
                status = .reached
                frames = [tried[e], r].compactMap { $0 }
            } else if let s = tried[e] {
                status = .tried
                frames = [s]
            } else {
                status = .untried
            }
            return PeerPortEntry(endpoint: e, uin: entry.uin, learnedFrom: entry.source.rawValue,
                                 isLANAddress: entry.isLANAddress, advertisedFrame: entry.frame, status: status, frames: frames)
        }
    }
}
