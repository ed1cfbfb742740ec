import Bytes
import Diagnosis

/// Where a finding's frames travel: between which two parties, which way, and whether the gateway
/// stopped them. The ladder diagrams draw it and the evidence roles put it in words.
///
/// The left party is the one inside (on a two-sided capture), or the client, or a TCP attempt's
/// caller; the right party is the server, the SOCKS relay or the other peer.
public struct EvidenceGeometry {
    public var left: (title: String, detail: String)
    public var right: (title: String, detail: String)
    /// Whether the caller of a TCP attempt (`Finding.client`) is the left party.
    public var callerIsLeft: Bool
    /// The capture side the left party is on (a two-sided capture).
    public var insideSide: Int32?

    public init(_ finding: Finding, briefs: [UInt64: PacketBrief], twoSided: Bool, insideSide: Int32?) {
        let f = finding
        self.insideSide = twoSided ? insideSide : nil
        let uin = f.uin.map { " (UIN \($0))" } ?? ""
        switch f.kind {
        case .blockedPeerPort, .outgoingTCPBlocked:
            let caller = (title: "caller" + uin, detail: f.client?.description ?? "?")
            let callee = (title: "peer", detail: f.peer?.description ?? "?")
            // The caller is on the side where its SYN (the first frame) was seen.
            var callerIsLeft = true
            if twoSided, let first = f.frames.first, let syn = briefs[first], let insideSide {
                callerIsLeft = syn.side == insideSide
            }
            (left, right, self.callerIsLeft) = callerIsLeft ? (caller, callee, true) : (callee, caller, false)
        default:
            left = (title: "client" + uin, detail: f.client?.description ?? "?")
            right = (title: f.kind == .socksAssociationLost ? "SOCKS relay" : "ICQ server", detail: f.server?.description ?? "?")
            callerIsLeft = true
        }
    }

    /// Whether a frame travels from the left party toward the right one.
    public func fromLeft(_ b: PacketBrief, _ f: Finding) -> Bool {
        switch b.kind {
        case .icq:
            return !b.icqFromServer
        case .icmp:
            // An error travels back toward the sender of the datagram it quotes.
            guard let quoted = b.quotedSource else { return false }
            if Finding.isBlockedPeerConnection(f.kind) {
                let quotesCaller = quoted.port != f.peer?.port
                return quotesCaller != callerIsLeft
            }
            return quoted == f.server || (quoted.port == f.server?.port && quoted.port != f.client?.port)
        case .tcp where Finding.isBlockedPeerConnection(f.kind):
            let fromCaller = b.destination.port == f.peer?.port && b.source.port != f.peer?.port
            return fromCaller == callerIsLeft
        default:
            if let client = f.client, b.source == client { return true }
            if let server = f.server, b.destination == server { return true }
            if let server = f.server, b.source == server { return false }
            return b.source.address == f.client?.address
        }
    }

    /// Whether the frame was seen on the left party's side (always, from one vantage point).
    public func onLeftSide(_ b: PacketBrief) -> Bool {
        insideSide.map { b.side == $0 } ?? true
    }

    /// A frame the gateway matcher found on one side only: travelling toward the gateway it was
    /// dropped there; travelling away from it, the gateway sent it.
    public func stoppedAtGateway(_ b: PacketBrief, _ f: Finding) -> Bool {
        b.unforwarded && onLeftSide(b) == fromLeft(b, f)
    }

    public func sentByGateway(_ b: PacketBrief, _ f: Finding) -> Bool {
        b.unforwarded && onLeftSide(b) != fromLeft(b, f)
    }
}
