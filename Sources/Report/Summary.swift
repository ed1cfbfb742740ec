import Capture
import Tracking
import Wire

/// Counts for the final `summary` record, kept in fixed arrays so that counting a packet
/// allocates nothing.
public struct Summary {
    /// Protocols the summary counts packets for, in the order they are printed.
    public enum Counted: Int, CaseIterable, Sendable {
        case ethernet, vlan, linuxSLL, linuxSLL2, loopback, rawIP
        case ipv4, ipv6, ipFragment, ipReassembled, udp, tcp, icmp, icmpv6, otherIP, notIP
        case icq, oscar, socks, icqPeer

        public var name: String {
            switch self {
            case .ethernet: "ethernet"
            case .vlan: "vlan"
            case .linuxSLL: "linux_sll"
            case .linuxSLL2: "linux_sll2"
            case .loopback: "loopback"
            case .rawIP: "raw_ip"
            case .ipv4: "ipv4"
            case .ipv6: "ipv6"
            case .ipFragment: "ip_fragment"
            case .ipReassembled: "ip_reassembled"
            case .udp: "udp"
            case .tcp: "tcp"
            case .icmp: "icmp"
            case .icmpv6: "icmpv6"
            case .otherIP: "other_ip"
            case .notIP: "not_ip"
            case .icq: "icq"
            case .oscar: "oscar"
            case .socks: "socks"
            case .icqPeer: "icq_peer"
            }
        }
    }

    /// A malformation's layer and reason as a dictionary key, compared and hashed by the reason's
    /// text (its UTF-8 bytes, read in place: no string is built per packet). The same reason
    /// written at two places in the decoders is one key, whatever addresses the two literals get.
    struct MalformationKey: Hashable {
        let layer: Malformation.Layer
        let reason: StaticString

        init(_ m: Malformation) {
            layer = m.layer
            reason = m.reason
        }

        static func == (a: MalformationKey, b: MalformationKey) -> Bool {
            a.layer == b.layer && a.reason.withUTF8Buffer { x in b.reason.withUTF8Buffer { y in x.elementsEqual(y) } }
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(layer)
            reason.withUTF8Buffer { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    public var packets: UInt64 = 0
    public var wireBytes: UInt64 = 0
    public var capturedBytes: UInt64 = 0
    public var firstTime: Int64? = nil
    public var lastTime: Int64? = nil
    /// Packets a `--filter` rejected (not analysed, not in `packets`).
    public var filteredOut: UInt64 = 0
    /// One count per `Counted` case, inline: an array's uniqueness and bounds were checked at
    /// every count, three or four times a packet.
    public internal(set) var protocolCounts = InlineArray<20, UInt64>(repeating: 0)
    /// Packets per link type. A capture has one or a few, so the current run of one link type is
    /// counted beside the dictionary and added to it only when the type changes: no hash per packet.
    public var linkTypeCounts: [LinkType: UInt64] {
        var counts = countsOfEarlierLinkTypes
        if let runLinkType { counts[runLinkType, default: 0] &+= runLength }
        return counts
    }
    var countsOfEarlierLinkTypes: [LinkType: UInt64] = [:]
    private var runLinkType: LinkType? = nil
    private var runLength: UInt64 = 0
    var malformedCounts: [MalformationKey: (Malformation, UInt64)] = [:]
    /// Damaged-input errors reported (records skipped or files cut short).
    public var inputErrors: UInt64 = 0
    /// Waits still open when the capture ended (an ack not yet come, its deadline not yet passed):
    /// reported as open, never guessed.
    public var openDeadlines: [(uin: UInt32, what: String, frames: [UInt64])] = []
    /// Files read, with their interfaces (and drop counters where recorded).
    public var sources: [SourceSummary] = []
    /// `read --merge`: each later file's clock against the first file's, as estimated from the
    /// packets both hold (empty when one file was read).
    public var clockOffsets: [ClockOffset] = []
    /// Where the capture was taken, as assumed (nil when no IP packet was read).
    public var vantage: Vantage? = nil
    /// Classic ICQ packets per version and per command.
    public var icq = ICQCounts()
    /// What the flow table tracked, ended and evicted.
    public var flows: FlowTableStatistics? = nil
    /// Entries the memory budget (`--memcap`) made room for by ending them early, besides flows:
    /// ICQ sessions and TCP streams. Printed only when not zero.
    public var sessionsEvicted: UInt64 = 0
    public var streamsEvicted: UInt64 = 0
    /// Fragmented IP datagrams given up unfinished because IP reassembly held its most
    /// (1,024 datagrams or 8 MiB from --memcap 64M up). Printed only when not zero.
    public var datagramsEvicted: UInt64 = 0
    /// Live capture only: received = analysed + dropped, per interface.
    public var live: LiveAccounting? = nil

    public struct ClockOffset: Sendable, Equatable {
        public var file: String
        public var reference: String
        /// Added to the file's timestamps; nil when too few packets were shared to estimate it.
        public var offsetNanos: Int64?
        public var packetsInCommon: Int
        /// Merged frame numbers of the pairs the offset rests on (each pair: reference, file).
        public var frames: [UInt64]

        public init(file: String, reference: String, offsetNanos: Int64?, packetsInCommon: Int, frames: [UInt64]) {
            self.file = file
            self.reference = reference
            self.offsetNanos = offsetNanos
            self.packetsInCommon = packetsInCommon
            self.frames = frames
        }
    }

    public struct SourceSummary {
        public var name: String
        public var format: String
        public var packets: UInt64
        public var interfaces: [CaptureInterface]
        public var completed: Bool

        public init(name: String, format: String, packets: UInt64, interfaces: [CaptureInterface], completed: Bool) {
            self.name = name
            self.format = format
            self.packets = packets
            self.interfaces = interfaces
            self.completed = completed
        }
    }

    public init() {}

    public mutating func count(_ protocolCounted: Counted) {
        protocolCounts[protocolCounted.rawValue] &+= 1
    }

    public subscript(_ protocolCounted: Counted) -> UInt64 { protocolCounts[protocolCounted.rawValue] }

    /// Counts one analysed packet and the layers its decoding found.
    public mutating func count(_ packet: CapturedPacket, _ decoded: DecodedPacket) {
        packets &+= 1
        wireBytes &+= UInt64(packet.originalLength)
        capturedBytes &+= UInt64(packet.capturedLength)
        if firstTime == nil || packet.timestampNanos < firstTime! { firstTime = packet.timestampNanos }
        if lastTime == nil || packet.timestampNanos > lastTime! { lastTime = packet.timestampNanos }
        if packet.linkType == runLinkType {
            runLength &+= 1
        } else {
            if let runLinkType { countsOfEarlierLinkTypes[runLinkType, default: 0] &+= runLength }
            runLinkType = packet.linkType
            runLength = 1
        }
        if let link = decoded.link {
            switch link.kind {
            case .ethernet: count(.ethernet)
            case .linuxSLL: count(.linuxSLL)
            case .linuxSLL2: count(.linuxSLL2)
            case .null, .loop: count(.loopback)
            case .raw: count(.rawIP)
            }
            if link.vlanCount > 0 { count(.vlan) }
        }
        switch decoded.network {
        case .ipv4(let h):
            count(.ipv4)
            if h.isFragment { count(.ipFragment) }
        case .ipv6(let h):
            count(.ipv6)
            if h.isFragment { count(.ipFragment) }
        case nil:
            count(.notIP)
        }
        switch decoded.transport {
        case .udp: count(.udp)
        case .tcp: count(.tcp)
        case .icmp: count(.icmp)
        case .icmpv6: count(.icmpv6)
        case nil: if decoded.network != nil && decoded.malformation == nil { count(.otherIP) }
        }
        if let m = decoded.malformation { countMalformed(m) }
    }

    public mutating func countMalformed(_ m: Malformation) {
        let key = MalformationKey(m)
        if let existing = malformedCounts[key] {
            malformedCounts[key] = (existing.0, existing.1 + 1)
        } else {
            malformedCounts[key] = (m, 1)
        }
    }

    /// Malformed packets by `layer.reason`, sorted by key for deterministic output.
    public var malformed: [(key: String, count: UInt64)] {
        malformedCounts.values
            .map { (key: Summary.malformationKey($0.0), count: $0.1) }
            .sorted { $0.key < $1.key }
    }

    /// `layer.reason_words`: the stable name of a malformation reason in NDJSON.
    public static func malformationKey(_ m: Malformation) -> String {
        m.layer.rawValue + "." + m.reason.description.replacingOccurrences(" ", with: "_")
    }

    public var duration: Int64 {
        guard let firstTime, let lastTime else { return 0 }
        // Saturating: a damaged timestamp must neither trap nor make the span negative.
        return CaptureTime.elapsed(from: firstTime, to: lastTime)
    }
}

extension String {
    func replacingOccurrences(_ target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
