import Bytes
import Capture
import Diagnosis
import Report
import Tracking
import Wire

extension Analyzer {
    /// A UDP datagram to or from the relay of a SOCKS5 UDP association: its header, and the
    /// datagram as if it went directly between the client and the real destination.
    func socksRelayed(_ decoded: DecodedPacket, _ udp: UDPHeader, payload: UnsafeRawBufferPointer)
        -> (header: SOCKSUDPHeader, relay: Endpoint, client: Endpoint, toRelay: Bool, inner: DecodedPacket)? {
        guard let src = decoded.sourceAddress, let dst = decoded.destinationAddress else { return nil }
        let destination = Endpoint(address: dst, port: udp.destinationPort)
        let source = Endpoint(address: src, port: udp.sourcePort)
        let toRelay: Bool
        if socksAssociations.association(relay: destination) != nil { toRelay = true }
        else if socksAssociations.association(relay: source) != nil { toRelay = false }
        else { return nil }
        guard case .header(let header) = SOCKSUDPHeader.parse(payload), let real = header.address else { return nil }
        var inner = decoded
        // The real server stands where the relay was; ports likewise.
        let realEndpoint = Endpoint(address: real, port: header.port)
        let client = toRelay ? source : destination
        let (from, to) = toRelay ? (client, realEndpoint) : (realEndpoint, client)
        switch inner.network {
        case .ipv4(var h):
            h.source = from.address
            h.destination = to.address
            inner.network = .ipv4(h)
        case .ipv6(var h):
            h.source = from.address
            h.destination = to.address
            inner.network = .ipv6(h)
        case nil:
            return nil
        }
        var innerUDP = udp
        innerUDP.sourcePort = from.port
        innerUDP.destinationPort = to.port
        inner.transport = .udp(innerUDP)
        inner.payloadOffset += header.inner.lowerBound
        inner.payloadLength = header.inner.count
        return (header, toRelay ? destination : source, client, toRelay, inner)
    }
}
