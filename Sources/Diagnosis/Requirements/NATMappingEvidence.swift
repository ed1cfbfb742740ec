import Bytes
import Capture
import Tracking

/// What a NAT's mappings tell of the firewall's UDP idle timeout T, on a capture of both sides of
/// the gateway. The client's packets leave the gateway from a public endpoint (its mapping):
///
/// - a client packet after the mapping was idle g seconds that leaves from a NEW public port, the
///   client's own endpoint unchanged, shows the NAT had forgotten the mapping: T ≤ g, g counted
///   from the client's previous packet (which refreshed the mapping; anything the server got
///   through since only makes the real idle time shorter, so the bound errs on the safe side);
/// - one that leaves from the SAME public port shows the mapping outlived g: T > g, g counted
///   from the previous packet of the session either way on the public side (every packet that
///   could have refreshed the mapping crossed that side). That holds only for a NAT that gives a
///   forgotten mapping another port. Many do not: Linux masquerade keeps the client's own port
///   when it is free, and a NAT that picks ports by a hash of the addresses picks the same one
///   again. So a reuse counts only where the NAT visibly chose a port other than the client's
///   own, and only once the same gateway has been seen giving a forgotten mapping a new port;
///   until then the longest reuse waits (one per gateway).
///
/// A one-sided capture shows no private port, so a reuse there proves nothing; its NAT
/// rebindings (the session tracker's) are bounded by the caller with `rebound(…)`.
/// Bounded: one entry per open session (the caller forgets a session when it ends), one per
/// gateway.
public struct NATMappingEvidence: Sendable {
    public enum Bound: Sendable, Equatable {
        /// The mapping outlived an idle gap: T > gap.
        case survived(gateway: GatewaySides, gap: Int64, frames: [UInt64])
        /// The mapping was forgotten within an idle gap: T ≤ gap.
        case forgotten(gateway: GatewaySides?, gap: Int64, frames: [UInt64])
    }

    /// A session's mapping as the public side shows it.
    struct Mapping: Sendable {
        var gateway: GatewaySides
        /// The client's public endpoint, and its own (inside) one when it last spoke.
        var publicEndpoint: Endpoint?
        var privateEndpoint: Endpoint?
        var lastClientFrame: UInt64 = 0
        var lastClientTime: Int64 = 0
        /// The session's last packet either way on the public side.
        var lastFrame: UInt64
        var lastTime: Int64
    }

    struct GatewayState: Sendable {
        /// Whether this gateway was seen giving a forgotten mapping a new port.
        var givesNewPorts = false
        /// The longest reuse seen before that, waiting for it.
        var waitingReuse: (gap: Int64, frames: [UInt64])? = nil
    }

    private var mappings: [ICQSession.Key: Mapping] = [:]
    private var gatewayStates: [GatewaySides: GatewayState] = [:]

    public init() {}

    /// Sessions followed now (for tests of bounded memory).
    public var count: Int { mappings.count }

    /// The gateway a session crosses, once one of its packets was seen on the public side.
    public func gateway(of key: ICQSession.Key) -> GatewaySides? { mappings[key]?.gateway }

    /// A packet of the session on the gateway's public side. `client`: the client's endpoint
    /// there (the source of its packets; nil for the server's, whose destination may be an
    /// endpoint the server recorded long ago); `privateEndpoint`: the client's own endpoint as
    /// last seen on its side. Returns the bounds the packet shows.
    public mutating func publicSide(key: ICQSession.Key, gateway: GatewaySides, client: Endpoint?,
                                    privateEndpoint: Endpoint?, frame: UInt64, time: Int64) -> [Bound] {
        guard var m = mappings[key] else {
            var m = Mapping(gateway: gateway, lastFrame: frame, lastTime: time)
            if let client { m.spoke(from: client, privately: privateEndpoint, frame: frame, time: time) }
            mappings[key] = m
            return []
        }
        defer { mappings[key] = m }
        let sinceAnything = CaptureTime.elapsed(from: m.lastTime, to: time)
        let previousFrame = m.lastFrame
        m.lastFrame = frame
        m.lastTime = time
        guard let client else { return [] }
        defer { m.spoke(from: client, privately: privateEndpoint, frame: frame, time: time) }
        guard let before = m.publicEndpoint, m.privateEndpoint == privateEndpoint, let privateEndpoint else { return [] }
        var state = gatewayStates[m.gateway] ?? GatewayState()
        defer { gatewayStates[m.gateway] = state }
        if before != client {
            let gap = CaptureTime.elapsed(from: m.lastClientTime, to: time)
            guard gap >= UDPTimeoutBracket.shortestIdleGap else { return [] }
            var bounds: [Bound] = [.forgotten(gateway: m.gateway, gap: gap, frames: [m.lastClientFrame, frame])]
            if !state.givesNewPorts, let reuse = state.waitingReuse {
                bounds.append(.survived(gateway: m.gateway, gap: reuse.gap, frames: reuse.frames))
            }
            state.givesNewPorts = true
            state.waitingReuse = nil
            return bounds
        }
        guard client.port != privateEndpoint.port, sinceAnything >= UDPTimeoutBracket.shortestIdleGap else { return [] }
        let frames = [previousFrame, frame]
        if state.givesNewPorts { return [.survived(gateway: m.gateway, gap: sinceAnything, frames: frames)] }
        if state.waitingReuse.map({ sinceAnything > $0.gap }) ?? true { state.waitingReuse = (sinceAnything, frames) }
        return []
    }

    /// The session ended: its mapping is no longer followed.
    public mutating func forget(_ key: ICQSession.Key) {
        mappings.removeValue(forKey: key)
    }

    /// A NAT rebinding on a one-sided capture (the session tracker's): the client's packet came
    /// from a new endpoint `gap` after its previous packet.
    public static func rebound(gap: Int64, frame: UInt64) -> Bound? {
        gap >= UDPTimeoutBracket.shortestIdleGap ? .forgotten(gateway: nil, gap: gap, frames: [frame]) : nil
    }
}

extension NATMappingEvidence.Mapping {
    mutating func spoke(from client: Endpoint, privately: Endpoint?, frame: UInt64, time: Int64) {
        publicEndpoint = client
        privateEndpoint = privately
        lastClientFrame = frame
        lastClientTime = time
    }
}
