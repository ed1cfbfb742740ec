/// What the capture shows of the firewall's UDP idle timeout T: every time the server spoke after
/// the client–server session had been idle for g seconds, the outcome bounds T; so do the NAT
/// mappings a client's packets leave from after an idle gap (`NATMappingEvidence`). A packet that got
/// through (its first copy acknowledged) shows T > g; one lost to the timeout, with proof at level
/// probable or confirmed (server retransmissions never acknowledged, dropped at the gateway, an
/// ICMP error from the client's side, a NAT rebinding, a gap in the server's sequence), shows
/// T ≤ g. Suspected losses do not bound it (`OUTPUT.md`, requirement records).
public struct UDPTimeoutBracket: Sendable, Equatable {
    /// The longest idle gap a server packet crossed, and the frames that show it (the packet and
    /// the client's acknowledgement); or a NAT mapping outlived (the packets before and after).
    public private(set) var moreThan: (gap: Int64, frames: [UInt64])? = nil
    /// The shortest idle gap after which a server packet was lost to the timeout, and its frames.
    public private(set) var atMost: (gap: Int64, frames: [UInt64])? = nil

    public init() {}

    /// Gaps this short say nothing about an idle timeout (a packet lost then was lost for
    /// another reason).
    static let shortestIdleGap: Int64 = 1_000_000_000

    public mutating func delivered(afterIdle gap: Int64, frames: [UInt64]) {
        if keeps(delivered: gap) { moreThan = (gap, Self.distinct(frames)) }
    }

    public mutating func lost(afterIdle gap: Int64, frames: [UInt64]) {
        if keeps(lost: gap) { atMost = (gap, Self.distinct(frames)) }
    }

    /// Whether such a bound would change the bracket (equal ones keep the first).
    public func keeps(delivered gap: Int64) -> Bool {
        gap >= Self.shortestIdleGap && (moreThan == nil || gap > moreThan!.gap)
    }

    public func keeps(lost gap: Int64) -> Bool {
        gap >= Self.shortestIdleGap && (atMost == nil || gap < atMost!.gap)
    }

    static func distinct(_ frames: [UInt64]) -> [UInt64] {
        var kept: [UInt64] = []
        for frame in frames where !kept.contains(frame) { kept.append(frame) }
        return kept
    }

    public static func == (a: UDPTimeoutBracket, b: UDPTimeoutBracket) -> Bool {
        a.moreThan?.gap == b.moreThan?.gap && a.moreThan?.frames == b.moreThan?.frames
            && a.atMost?.gap == b.atMost?.gap && a.atMost?.frames == b.atMost?.frames
    }
}
