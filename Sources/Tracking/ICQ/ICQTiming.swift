/// The timing of classic ICQ that the session tracker follows and the rules judge by, in
/// nanoseconds of capture time. Its defaults are written here only: the tracker's configuration
/// and the rules' `Thresholds` each hold one of these, and the command's options change that one
/// value (the reasons for each default: docs/flow-semantics.md#thresholds).
public struct ICQTiming: Sendable, Equatable {
    public static let second: Int64 = 1_000_000_000

    /// F: the firewall's (or NAT's) UDP idle timeout. A server sequence jump after a longer idle
    /// gap is reported; a server packet after a longer gap is judged by rule R3.
    public var firewallTimeout: Int64 = 120 * second
    /// The tracker's own idle timeout for ICQ sessions: over twice the longest keep-alive interval.
    /// A session with no packet for this long has ended.
    public var udpIdleTimeout: Int64 = 600 * second
    /// How long after a copy of a packet its ack may still come (the retransmission interval + 2 s).
    public var ackWait: Int64 = 12 * second
    /// The clients' and server's retransmission interval (copies 5–20 s apart are accepted); an
    /// exchange is given up after twice this with no new copy.
    public var retransmitInterval: Int64 = 10 * second
    /// The Mirabilis client sends a packet at most 6 times (Licq 7, mICQ 8).
    public var maximumTransmissions = 6

    public init() {}
}
