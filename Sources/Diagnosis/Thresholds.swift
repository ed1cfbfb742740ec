import Bytes
import Tracking

/// Every threshold the rules use, in nanoseconds of capture time. Names and defaults are the
/// output contract's (`--firewall-timeout` 120 s, `--udp-idle-timeout` 600 s, `--ack-wait` 12 s,
/// `--retransmit-interval` 10 s, `--syn-provisional` 3.5 s, `--syn-final` 21 s, `--keepalive`
/// learned when not given); the reasons for each are in docs/flow-semantics.md#thresholds.
public struct Thresholds: Sendable, Equatable {
    public static let second = ICQTiming.second

    /// The ICQ timing the session tracker follows too: the analysis hands this very value to the
    /// tracker, so its defaults live in one place (`ICQTiming`).
    public var icq = ICQTiming()
    /// F: the firewall's (or NAT's) UDP idle timeout.
    public var firewallTimeout: Int64 {
        get { icq.firewallTimeout }
        set { icq.firewallTimeout = newValue }
    }
    /// The tracker's own idle timeout for ICQ UDP flows: over 2× the longest keep-alive.
    public var udpIdleTimeout: Int64 {
        get { icq.udpIdleTimeout }
        set { icq.udpIdleTimeout = newValue }
    }
    /// How long after a copy of a request its ack may still come (RTO + 2 s).
    public var ackWait: Int64 {
        get { icq.ackWait }
        set { icq.ackWait = newValue }
    }
    /// The clients' and server's retransmission interval (copies 5–20 s apart are accepted).
    public var retransmitInterval: Int64 {
        get { icq.retransmitInterval }
        set { icq.retransmitInterval = newValue }
    }
    /// An unanswered SYN becomes a provisional block after this long...
    public var synProvisional: Int64 = 3_500_000_000
    /// ...and a final one after this long.
    public var synFinal: Int64 = 21 * second
    /// K, when the user states it; otherwise learned from the login reply or the keep-alives.
    public var keepalive: Int64? = nil
    /// How close K may come to F before `keepalive_exceeds_firewall_timeout` warns.
    public var keepaliveMargin: Int64 = 10 * second
    /// Where the clients are (`--inside CIDR`): a blocked connection from inside to a peer outside
    /// breaks `outgoing-tcp`. Empty: the hosts seen logging in to the server are inside.
    public var inside: [IPNetwork] = []

    public init() {}
}

/// Parses durations as users write them: `120`, `90s`, `5m`, `1h`, `3.5`, `1500ms`.
public enum DurationParser {
    public static func nanoseconds(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: " ")
        let units: [(String, Double)] = [("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var number = Substring(trimmed)
        var scale = 1e9
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            number = trimmed.dropLast(suffix.count)
            scale = factor
            break
        }
        guard let value = Double(number), value >= 0, value.isFinite, value * scale < 9e18 else { return nil }
        return Int64((value * scale).rounded())
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        var s = Substring(self)
        while s.first == character { s = s.dropFirst() }
        while s.last == character { s = s.dropLast() }
        return String(s)
    }
}
