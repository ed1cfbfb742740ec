import Bytes

/// One diagnosis: what the firewall did wrong, the frames that prove it, and what to change.
/// The kinds, severities, levels and details are fixed by the output contract.
public struct Finding: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case droppedReply = "dropped_reply"
        case pushUnacknowledged = "push_unacknowledged"
        case firewallSessionTimeout = "firewall_session_timeout"
        case keepaliveExceedsFirewallTimeout = "keepalive_exceeds_firewall_timeout"
        case blockedPeerPort = "blocked_peer_port"
        case serverPathBlocked = "server_path_blocked"
        case socksAssociationLost = "socks_association_lost"
        case outgoingTCPBlocked = "outgoing_tcp_blocked"
        case socks4UDPBlocked = "socks4_udp_blocked"
        case directModePortBlocked = "direct_mode_port_blocked"
    }

    /// Whether a finding of this kind is a TCP connection to a peer's advertised port that was
    /// refused or swallowed (its client is the caller, its peer the port called).
    public static func isBlockedPeerConnection(_ kind: Kind) -> Bool {
        kind == .blockedPeerPort || kind == .outgoingTCPBlocked
    }

    public enum Severity: String, Sendable, Comparable, CaseIterable {
        case warning, error

        public static func < (a: Severity, b: Severity) -> Bool { a == .warning && b == .error }
    }

    /// How strong the proof of a finding is, where its kind has levels (the output contract's
    /// `level`): a firewall session timeout is suspected, probable or confirmed; a blocked peer port
    /// provisional until the attempt's final deadline.
    public enum Level: String, Sendable, CaseIterable {
        case suspected, probable, confirmed
        case provisional, final
    }

    /// What exactly was seen (the output contract's `detail`); each kind uses some of these.
    public enum Detail: String, Sendable, CaseIterable {
        // dropped_reply
        case recovered
        case abandoned
        case sessionLost = "session_lost"
        // push_unacknowledged (and `recovered`)
        case undelivered
        // firewall_session_timeout: the strongest proof
        case serverRetransmits = "server_retransmits"
        case icmpFromClientSide = "icmp_from_client_side"
        case natRebinding = "nat_rebinding"
        case serverSequenceGap = "server_sequence_gap"
        case droppedAtGateway = "dropped_at_gateway"
        // blocked_peer_port (and server_path_blocked: `noAnswer`, `icmp`)
        case noAnswer = "no_answer"
        case rstFromMiddlebox = "rst_from_middlebox"
        case rstFromPeer = "rst_from_peer"
        case icmpAdminProhibited = "icmp_admin_prohibited"
        case icmpPortUnreachable = "icmp_port_unreachable"
        case icmp
    }

    /// The firewall guide's requirements, in the guide's order: the report card's rows, and the
    /// requirement each finding breaks (which groups findings in the report).
    public enum Requirement: String, Sendable, CaseIterable {
        case udp4000Out = "udp-4000-out"
        case udp4000Replies = "udp-4000-replies"
        case sessionTimeout = "session-timeout"
        case peerTCPPorts = "peer-tcp-ports"
        case outgoingTCP = "outgoing-tcp"
        case proxy = "proxy"
        case externalApplications = "external-applications"

        /// The requirement in a line, for the report card and the text report's headings.
        public var statement: String {
            switch self {
            case .udp4000Out: "The client reaches the ICQ server on UDP port 4000."
            case .udp4000Replies: "The server's replies come back to the client."
            case .sessionTimeout: "The firewall's UDP session outlives the client's keep-alive interval."
            case .peerTCPPorts: "Peers reach each other on TCP ports above 1023, at least 3 of them."
            case .outgoingTCP: "Outgoing TCP is allowed (to all addresses, or to the ones needed)."
            case .proxy: "Through a proxy: SOCKS5 carries UDP too; with SOCKS4, direct UDP 4000 must still work."
            case .externalApplications: "Voice, video and games started with an online user can connect."
            }
        }

        /// The guide's own words (Mirabilis's "ICQ & firewall"), which each requirement checks.
        public var guide: String {
            switch self {
            case .udp4000Out:
                "ICQ needs to communicate with an ICQ server. This is done through port 4000 UDP to icq.mirabilis.com."
            case .udp4000Replies:
                "After an outgoing UDP packet is sent to icq.mirabilis.com port 4000, you must configure the firewall so that a reply on that packet will be able to be received through the firewall."
            case .sessionTimeout:
                "If your firewall session times out in less than 5 minutes, configure the ICQ preferences accordingly."
            case .peerTCPPorts:
                "ICQ must be able to communicate with other ICQ clients. This is done via TCP ports that are above 1023 (ICQ needs at least 3 ports open)."
            case .outgoingTCP:
                "Your firewall must enable outgoing TCP connection. You need to either enable outgoing connection for all IPs or you could enable outgoing connection for fixed IPs."
            case .proxy:
                "If you have a Socks4 server, you will still need to configure it via Connection, but you will also need to allow packets to go out to an ICQ server (as explained in Requirement #1)."
            case .externalApplications:
                "In order to use an external application with an online user: right click on the user in your contact list, choose Voice/Video/games, select an application."
            }
        }
    }

    public var kind: Kind
    public var severity: Severity
    public var level: Level?
    public var detail: Detail?
    public var firstTime: Int64
    public var lastTime: Int64
    public var frames: [UInt64]
    public var client: Endpoint?
    public var server: Endpoint?
    public var peer: Endpoint?
    public var uin: UInt32?
    public var requirement: Requirement
    public var explanation: String
    public var advice: String

    public init(kind: Kind, severity: Severity, level: Level? = nil, detail: Detail? = nil,
                firstTime: Int64, lastTime: Int64, frames: [UInt64], client: Endpoint? = nil,
                server: Endpoint? = nil, peer: Endpoint? = nil, uin: UInt32? = nil,
                requirement: Requirement, explanation: String, advice: String) {
        self.kind = kind
        self.severity = severity
        self.level = level
        self.detail = detail
        self.firstTime = firstTime
        self.lastTime = lastTime
        self.frames = frames
        self.client = client
        self.server = server
        self.peer = peer
        self.uin = uin
        self.requirement = requirement
        self.explanation = explanation
        self.advice = advice
    }
}
