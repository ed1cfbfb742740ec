/// A gateway as a two-sided capture shows it: the interface (or cooked v2 ifindex) its clients'
/// packets appear on first, and the one their forwarded copies appear on.
public struct GatewaySides: Hashable, Sendable {
    public var inside: Int
    public var outside: Int

    public init(inside: Int, outside: Int) {
        self.inside = inside
        self.outside = outside
    }
}

/// The firewall's UDP idle timeout as the capture bounds it, over all the evidence and, when the
/// capture shows several gateways (interface pairs), per gateway: each firewall has its own
/// timeout, and one bracket over two of them could contradict itself for no fault of either
/// (`OUTPUT.md`, `udp_timeouts`).
public struct UDPTimeoutBrackets: Sendable {
    /// Every bound, whichever gateway it came from (what a capture of one gateway reports).
    public private(set) var overall = UDPTimeoutBracket()
    /// The gateways seen, in the order they were first seen, each with its own bounds.
    public private(set) var gateways: [(sides: GatewaySides, bracket: UDPTimeoutBracket)] = []

    /// At most this many gateways are kept apart (crafted input naming ever more interfaces);
    /// the bounds of the rest still count in `overall`.
    static let keptGateways = 64

    public init() {}

    /// A bound, as a shard of `read --threads` logs it (`onCall`) for the merge to replay in
    /// one thread's order (equal bounds keep the first). A shard logs only the bounds that
    /// change its own overall bracket (kept for that alone), and every bound at a gateway: one
    /// its own bounds already beat cannot be the run's.
    public enum Call: Sendable {
        case delivered(GatewaySides?, gap: Int64, frames: [UInt64])
        case lost(GatewaySides?, gap: Int64, frames: [UInt64])
    }

    nonisolated(unsafe) public var onCall: ((Call) -> Void)? = nil

    public mutating func replay(_ call: Call) {
        switch call {
        case .delivered(let g, let gap, let frames): delivered(at: g, afterIdle: gap, frames: frames)
        case .lost(let g, let gap, let frames): lost(at: g, afterIdle: gap, frames: frames)
        }
    }

    /// A session crossed this gateway (its packets were seen on both of its sides).
    public mutating func noteGateway(_ sides: GatewaySides) {
        guard index(of: sides) == nil, gateways.count < Self.keptGateways else { return }
        gateways.append((sides, UDPTimeoutBracket()))
    }

    /// A server packet crossed an idle gap. The frames are built only for a bound that changes
    /// a bracket: a busy gateway's every acknowledged packet comes here.
    public mutating func delivered(at gateway: GatewaySides?, afterIdle gap: Int64, frames: @autoclosure () -> [UInt64]) {
        bound(delivered: true, at: gateway, gap: gap, frames: frames)
    }

    /// A server packet was lost after an idle gap.
    public mutating func lost(at gateway: GatewaySides?, afterIdle gap: Int64, frames: @autoclosure () -> [UInt64]) {
        bound(delivered: false, at: gateway, gap: gap, frames: frames)
    }

    private mutating func bound(delivered: Bool, at gateway: GatewaySides?, gap: Int64, frames: () -> [UInt64]) {
        func keeps(_ bracket: UDPTimeoutBracket) -> Bool {
            delivered ? bracket.keeps(delivered: gap) : bracket.keeps(lost: gap)
        }
        func add(_ frames: [UInt64], to bracket: inout UDPTimeoutBracket) {
            if delivered { bracket.delivered(afterIdle: gap, frames: frames) } else { bracket.lost(afterIdle: gap, frames: frames) }
        }
        let changesOverall = keeps(overall)
        if let onCall {
            guard changesOverall || gateway != nil else { return }
            let frames = frames()
            if changesOverall { add(frames, to: &overall) }
            return onCall(delivered ? .delivered(gateway, gap: gap, frames: frames) : .lost(gateway, gap: gap, frames: frames))
        }
        let i = gateway.flatMap(index(of:))
        guard changesOverall || i.map({ keeps(gateways[$0].bracket) }) == true else { return }
        let frames = frames()
        add(frames, to: &overall)
        if let i { add(frames, to: &gateways[i].bracket) }
    }

    private func index(of sides: GatewaySides) -> Int? {
        gateways.firstIndex { $0.sides == sides }
    }
}
