import Bytes
import Diagnosis
import Tracking

/// Everything the HTML page shows, gathered while the capture was analysed (only with `--html`)
/// and handed over at the end. Each list is bounded; what was left out is counted.
public struct HTMLReportData {
    /// The inputs: file paths, or the live interfaces.
    public var sources: [String] = []
    /// Interface names per input, by interface index (the capture side).
    public var interfaceNames: [[String]] = []
    /// Whether the capture shows both sides of a gateway, and which side the clients are on
    /// (where their packets to the server first appeared).
    public var twoSided = false
    public var insideSide: Int32? = nil
    public var card: [RequirementResult] = []
    public var findings: [FindingEvidence] = []
    public var sessions: [SessionTimeline] = []
    /// Sessions seen whose packets were not recorded (beyond the cap).
    public var sessionsNotRecorded = 0
    public var flows: [FlowRecord] = []
    /// Flows that ended but were not kept for the table (beyond the cap).
    public var flowsNotListed = 0
    public var peerPorts: [PeerPortEntry] = []
    /// The timeout findings were judged against, and where it came from ("default",
    /// "--firewall-timeout", "--profile pf").
    public var firewallTimeout: Int64 = 120_000_000_000
    public var firewallTimeoutSource = "default"
    /// The firewall's UDP timeout as the capture bounds it.
    public var bracket = UDPTimeoutBracket()
    /// The text summary (as `icqscope read` prints it).
    public var summaryText = ""
    public var packets: UInt64 = 0
    public var firstTime: Int64? = nil
    public var lastTime: Int64? = nil

    public init() {}

    /// The name of a capture side for people: the interface's name, else its number.
    public func sideName(_ side: Int32, sourceIndex: UInt16 = 0) -> String {
        let names = Int(sourceIndex) < interfaceNames.count ? interfaceNames[Int(sourceIndex)] : []
        if side >= 0 && Int(side) < names.count && !names[Int(side)].isEmpty { return names[Int(side)] }
        // Linux cooked v2 (`-i any`): the side is the interface index the kernel gave.
        return "ifindex \(side)"
    }
}

/// A finding with what is known of each frame it names (in the finding's order; a frame no
/// longer held has no brief).
public struct FindingEvidence {
    public var finding: Finding
    /// The input the finding's frames belong to.
    public var sourceIndex: UInt16
    public var briefs: [UInt64: PacketBrief]

    public init(finding: Finding, sourceIndex: UInt16, briefs: [UInt64: PacketBrief]) {
        self.finding = finding
        self.sourceIndex = sourceIndex
        self.briefs = briefs
    }
}

/// One classic ICQ packet on a session's timeline: a few bytes, so that a session's whole
/// conversation can be kept.
public struct TimelinePacket: Sendable {
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let fromServer = Flags(rawValue: 1)
        /// Seen on the side away from the client (a two-sided capture): drawn only when dropped.
        public static let farSide = Flags(rawValue: 2)
        /// Arrived at the gateway and never left it.
        public static let dropped = Flags(rawValue: 4)
        /// An ICMP error quoting one of the session's datagrams.
        public static let icmp = Flags(rawValue: 8)
    }

    public var frame: UInt64
    public var time: Int64
    public var side: Int32
    public var command: UInt16
    public var seq1: UInt16
    public var seq2: UInt16
    public var version: UInt8
    public var flags: Flags

    public init(frame: UInt64, time: Int64, side: Int32, command: UInt16, seq1: UInt16, seq2: UInt16,
                version: UInt8, flags: Flags) {
        self.frame = frame
        self.time = time
        self.side = side
        self.command = command
        self.seq1 = seq1
        self.seq2 = seq2
        self.version = version
        self.flags = flags
    }

    public var fromServer: Bool { flags.contains(.fromServer) }
}

/// The packets of one classic ICQ session (by UIN and session id), with its session records.
public struct SessionTimeline {
    public var key: ICQSession.Key
    /// The side the client is on (a two-sided capture).
    public var homeSide: Int32
    public var sourceIndex: UInt16
    public var packets: [TimelinePacket] = []
    /// Packets beyond the cap per session.
    public var packetsNotKept = 0
    /// The packets were let go (the session ended without findings and a newer one needed room).
    public var packetsReleased = false
    /// The client's endpoint as each side saw it first, and the server's.
    public var clientBySide: [Int32: Endpoint] = [:]
    public var server: Endpoint
    /// The session records that ended (a session that resumed after an idle timeout has several).
    public var records: [ICQSession] = []

    public init(key: ICQSession.Key, homeSide: Int32, sourceIndex: UInt16, server: Endpoint) {
        self.key = key
        self.homeSide = homeSide
        self.sourceIndex = sourceIndex
        self.server = server
    }

    public var firstTime: Int64 { packets.first?.time ?? records.first?.firstTime ?? 0 }
    public var lastTime: Int64 { max(packets.last?.time ?? 0, records.last?.lastTime ?? 0) }
}

/// A TCP port a client advertised or announced, and what became of connections to it.
public struct PeerPortEntry: Sendable {
    public enum Status: Sendable, Equatable {
        case reached
        /// A finding says how: its detail (`rst_from_middlebox`, `no_answer`, …).
        case blocked(String)
        /// The peer's own host refused (nothing listening): not the firewall.
        case refusedByPeer
        /// Tried, with no outcome seen yet.
        case tried
        case untried
    }

    public var endpoint: Endpoint
    public var uin: UInt32?
    /// How it was learned (`login`, `user_online`, `peer_init`, …).
    public var learnedFrom: String
    public var isLANAddress: Bool
    public var advertisedFrame: UInt64
    public var status: Status
    /// The frames that show the status (the SYN, the answer, the finding's frames).
    public var frames: [UInt64]

    public init(endpoint: Endpoint, uin: UInt32?, learnedFrom: String, isLANAddress: Bool, advertisedFrame: UInt64,
                status: Status, frames: [UInt64]) {
        self.endpoint = endpoint
        self.uin = uin
        self.learnedFrom = learnedFrom
        self.isLANAddress = isLANAddress
        self.advertisedFrame = advertisedFrame
        self.status = status
        self.frames = frames
    }
}
