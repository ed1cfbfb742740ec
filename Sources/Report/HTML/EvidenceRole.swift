import Bytes
import Diagnosis

/// What one frame proves in a finding, in a few words: "push dropped at the gateway", "forged
/// RST", "SYN retransmission". The ladder diagrams label their arrows with it and the evidence
/// file (`--write-evidence`) puts it in each packet's comment.
public enum EvidenceRole {
    /// `briefs`: what is known of the finding's frames (a frame not held has none); `frame`: the
    /// frame to describe.
    public static func role(of frame: UInt64, in finding: Finding, briefs: [UInt64: PacketBrief],
                            geometry: EvidenceGeometry) -> String {
        guard let brief = briefs[frame] else { return "evidence frame" }
        let stopped = geometry.stoppedAtGateway(brief, finding)
        // Earlier frames of the finding like this one: the first is the original, the rest copies.
        let earlierAlike = finding.frames.prefix { $0 != frame }.contains { other in
            guard let b = briefs[other] else { return false }
            return b.kind == brief.kind && b.icqFromServer == brief.icqFromServer && b.icqCommand == brief.icqCommand
                && b.seq1 == brief.seq1 && b.seq2 == brief.seq2 && b.tcpFlags == brief.tcpFlags && b.side == brief.side
        }
        let dropped = stopped ? " dropped at the gateway" : (geometry.sentByGateway(brief, finding) ? " sent by the gateway" : "")
        switch (finding.kind, brief.kind) {
        case (_, .icmp):
            return "ICMP \(PacketBrief.icmpName(type: brief.icmpType, code: brief.icmpCode)) from \(brief.source.address)" + dropped
        case (.firewallSessionTimeout, .icq):
            if brief.icqFromServer {
                if stopped { return earlierAlike ? "push retransmission dropped at the gateway" : "push dropped at the gateway" }
                return earlierAlike ? "server retransmission, never acknowledged" : "server push after the idle gap"
            }
            return finding.detail == .natRebinding ? "client packet from a new NAT port (rebinding)" : "client packet"
        case (.droppedReply, .icq), (.serverPathBlocked, .icq):
            if brief.icqFromServer { return stopped ? "server ack dropped at the gateway" : "server ack" }
            let unanswered = finding.kind == .serverPathBlocked ? ", unanswered" : ""
            return (earlierAlike ? "client retransmission" : "client request") + unanswered + dropped
        case (.pushUnacknowledged, .icq):
            if brief.icqFromServer { return (earlierAlike ? "server retransmission" : "server push") + dropped }
            return "client ack" + dropped
        case (.keepaliveExceedsFirewallTimeout, .icq):
            if brief.icqFromServer { return "login reply setting the keep-alive interval" }
            return "keep-alive"
        case (.socksAssociationLost, .icq):
            return (earlierAlike ? "retransmission to the SOCKS relay, unanswered" : "packet to the SOCKS relay, unanswered")
        case (.socksAssociationLost, .tcp):
            return brief.tcpFlags & 0x001 != 0 ? "SOCKS control connection closed" : "SOCKS control connection"
        case (.blockedPeerPort, .tcp), (.outgoingTCPBlocked, .tcp):
            if brief.isTCPSyn {
                return (earlierAlike ? "SYN retransmission" : "SYN to the advertised port") + (stopped ? ", never left the gateway" : "")
            }
            if brief.isTCPReset {
                if finding.detail == .rstFromPeer { return "RST from the peer (nothing listens)" }
                return geometry.sentByGateway(brief, finding) ? "forged RST, sent by the gateway" : "forged RST"
            }
            return brief.isTCPSynAck ? "SYN-ACK" : "TCP segment"
        default:
            return brief.summary + dropped
        }
    }
}
