/// Idle timeouts, capacity and Community ID seed of the flow table. All times are capture time.
public struct FlowConfiguration: Sendable, Equatable {
    /// Idle timeouts in nanoseconds of capture time, by the class a flow is in.
    public struct Timeouts: Sendable, Equatable {
        /// UDP, including classic ICQ. 600 s (docs/flow-semantics.md#flow-timeouts): above twice
        /// the longest plausible ICQ keep-alive interval (240 s), so one session with 120 s
        /// keep-alives stays one flow (Zeek's 60 s would split it at every keep-alive).
        public var udp: Int64 = 600 * nanosPerSecond
        /// A TCP connection whose handshake completed (or both sides seen midstream) and that is not
        /// closing. 7440 s = 2 h 4 min, the minimum RFC 5382 §5 REQ-5 allows a NAT for an established
        /// connection: a firewall that is allowed to forget the connection earlier is broken, so we
        /// do not either.
        public var tcpEstablished: Int64 = 7440 * nanosPerSecond
        /// A TCP connection not yet established (SYN sent, no answer) or closed (FIN both ways, or a
        /// RST). 240 s: RFC 5382 §5 / RFC 7857 §2.1 transitory timeout (at least 4 min), longer than
        /// the 127 s a Linux client keeps retrying a SYN, so a retried SYN stays in its flow.
        public var tcpTransitory: Int64 = 240 * nanosPerSecond
        /// ICMP and ICMPv6 (echo pairs and errors as their own flows). 60 s, Zeek's
        /// `icmp_inactivity_timeout` and RFC 5508 REQ-2's minimum for ICMP query sessions.
        public var icmp: Int64 = 60 * nanosPerSecond
        /// Other IP protocols. 600 s, Linux `nf_conntrack_generic_timeout`.
        public var other: Int64 = 600 * nanosPerSecond

        public init() {}

        subscript(_ timeoutClass: FlowTimeoutClass) -> Int64 {
            switch timeoutClass {
            case .udp: udp
            case .tcpEstablished: tcpEstablished
            case .tcpTransitory: tcpTransitory
            case .icmp: icmp
            case .other: other
            }
        }
    }

    public var timeouts = Timeouts()
    /// The most flows held at once. When a new flow would exceed it, the least recently active flow
    /// ends with `eviction`, and the eviction is counted.
    public var maximumFlows: Int = 65_536
    /// Flows the index is sized for up front (it doubles up to `maximumFlows` as needed, so a
    /// long run reaches a steady state with no allocation per packet); the slots themselves are
    /// reserved for `maximumFlows` and backed by memory as they are used.
    public var initialFlows: Int = 1_024
    /// Community ID seed (0 is the spec's default and what the output contract uses).
    public var communityIDSeed: UInt16 = 0

    public init() {}

    public static let nanosPerSecond: Int64 = 1_000_000_000
}

/// Flows that share an idle timeout; the table keeps one least-recently-active list per class so
/// that the oldest flow of each class is always at the head of its list.
public enum FlowTimeoutClass: Int, CaseIterable, Sendable {
    case udp, tcpEstablished, tcpTransitory, icmp, other
}
