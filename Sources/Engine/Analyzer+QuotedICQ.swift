import Wire

extension Analyzer {
    /// The classic ICQ that an ICMP or ICMPv6 error quotes, decoded as far as the quote goes.
    /// Evidence about the datagram that caused the error: it is not counted as an ICQ packet.
    static func quotedICQ(_ decoded: DecodedPacket, bytes: UnsafeRawBufferPointer, decoder: ICQDecoder) -> QuotedICQ {
        let message: ICMPMessage
        switch decoded.transport {
        case .icmp(let m), .icmpv6(let m): message = m
        default: return .none
        }
        guard let q = message.quoted, q.protocolNumber == IPProtocol.udp, q.udpPayloadQuoted > 0,
              let source = q.sourcePort, let destination = q.destinationPort else { return .none }
        return decoder.decodeQuoted(q.udpPayload(of: bytes), wireLength: q.udpPayloadWireLength,
                                    sourcePort: source, destinationPort: destination)
    }
}
