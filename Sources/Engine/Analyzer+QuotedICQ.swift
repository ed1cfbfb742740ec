import Bytes
import Tracking
import Wire

extension Analyzer {
    /// What an ICMP or ICMPv6 error quotes of the ICQ family, decoded as far as the quote goes:
    /// the classic ICQ of the datagram it answers and, where that datagram went to or came from
    /// the relay of a SOCKS5 UDP association, the SOCKS UDP header in front of it (tshark shows
    /// both once it has seen the association). Evidence about the datagram that caused the
    /// error: it is not counted as an ICQ packet.
    func decodeQuoted(_ decoded: DecodedPacket, bytes: UnsafeRawBufferPointer) {
        let message: ICMPMessage
        switch decoded.transport {
        case .icmp(let m), .icmpv6(let m): message = m
        default: return
        }
        guard let q = message.quoted, q.protocolNumber == IPProtocol.udp, q.udpPayloadQuoted > 0,
              let source = q.sourcePort, let destination = q.destinationPort else { return }
        let payload = q.udpPayload(of: bytes)
        if !socksAssociations.isEmpty {
            let toRelay = socksAssociations.association(relay: Endpoint(address: q.destination, port: destination)) != nil
            if toRelay || socksAssociations.association(relay: Endpoint(address: q.source, port: source)) != nil,
               case .header(let header) = SOCKSUDPHeader.parse(payload) {
                // The ICQ inside is between the client and the real server the header names.
                quotedSOCKS = (header, payload)
                quotedICQ = icq.decodeQuoted(UnsafeRawBufferPointer(rebasing: payload[header.inner]),
                                             wireLength: max(0, q.udpPayloadWireLength - header.headerLength),
                                             sourcePort: toRelay ? source : header.port,
                                             destinationPort: toRelay ? header.port : destination)
                return
            }
        }
        quotedICQ = icq.decodeQuoted(payload, wireLength: q.udpPayloadWireLength, sourcePort: source,
                                     destinationPort: destination)
    }
}
