import Bytes
import Capture
import Wire

extension FlowTable {
    /// Ties an ICMP error to the flow of the datagram it quotes
    /// (docs/flow-semantics.md#icmp-matching, as conntrack, Suricata and Zeek's `icmp_context` do):
    /// the quoted addresses, protocol and ports are the offending packet's own tuple as seen at
    /// this vantage point, and the symmetric key finds its flow whichever side sent it. The error
    /// is recorded on that flow; it neither counts as one of its packets nor keeps it alive
    /// (RFC 4787 REQ-12: ICMP does not refresh or end a mapping).
    mutating func tieICMPError(_ facts: PacketFlowFacts, quoted: QuotedDatagram, packet: CapturedPacket) {
        let sourcePort: UInt16, destinationPort: UInt16
        switch quoted.protocolNumber {
        case IPProtocol.tcp, IPProtocol.udp:
            guard let s = quoted.sourcePort, let d = quoted.destinationPort else {
                statistics.icmpErrorsUnmatched += 1
                return
            }
            sourcePort = s; destinationPort = d
        case IPProtocol.icmp, IPProtocol.icmpv6, 132:
            // The quote would need the inner ICMP type or SCTP ports, which the decoder does not keep.
            statistics.icmpErrorsUnmatched += 1
            return
        default:
            sourcePort = 0; destinationPort = 0
        }
        let tuple = FlowTuple(source: quoted.source, destination: quoted.destination, sourcePort: sourcePort,
                              destinationPort: destinationPort, protocolNumber: quoted.protocolNumber,
                              vlan: facts.tuple.vlan)
        guard let i = lookup(tuple.key) else {
            statistics.icmpErrorsUnmatched += 1
            return
        }
        let slot = slots[Int(i)]
        let note = ICMPErrorNote(
            type: facts.icmpType, code: facts.icmpCode, isIPv6: facts.isIPv6,
            kind: ICMPErrorKind.classify(type: facts.icmpType, code: facts.icmpCode, isIPv6: facts.isIPv6),
            frame: packet.frameNumber, time: packet.timestampNanos, reporter: facts.tuple.source, ttl: facts.ttl,
            quotesOriginatorPacket: quoted.source == endpoints(of: slot).originator.address
                && sourcePort == endpoints(of: slot).originator.port,
            responderHadAnswered: slot.responderCounters.packets > 0)
        icmpErrorsBySlot[i, default: ICMPErrorSummary()].record(note)
        statistics.icmpErrorsMatched += 1
    }
}
