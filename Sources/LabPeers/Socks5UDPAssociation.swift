/// The client side of a SOCKS5 UDP association (RFC 1928 §4, §6, §7; docs/protocol.md §5.2, §5.3),
/// done as mICQ does it: a TCP control connection to the proxy, method "no authentication",
/// UDP ASSOCIATE naming 0.0.0.0 and the client's local UDP port, then every ICQ datagram wrapped
/// in the 10-byte header and sent to the relay endpoint from the reply (BND.ADDR 0.0.0.0 means
/// the proxy's own address).
///
/// The handshake is a small state machine fed by whatever the control connection delivers, so it
/// never blocks the event loop.
final class Socks5UDPAssociation {
    enum State: Equatable {
        case connecting
        case awaitingMethod
        case awaitingAssociateReply
        case associated(relay: LabEndpoint)
        case failed(String)
    }

    let proxy: LabEndpoint
    let localUDPPort: UInt16
    private(set) var state: State = .connecting
    private var received: [UInt8] = []

    init(proxy: LabEndpoint, localUDPPort: UInt16) {
        self.proxy = proxy
        self.localUDPPort = localUDPPort
    }

    /// The greeting, once the TCP connection is up: version 5, one method, "no authentication".
    func greeting() -> [UInt8] {
        state = .awaitingMethod
        return [0x05, 0x01, 0x00]
    }

    /// Feeds bytes from the control connection; returns what to send back, if anything.
    func receive(_ bytes: [UInt8]) -> [UInt8]? {
        received += bytes
        switch state {
        case .awaitingMethod:
            guard received.count >= 2 else { return nil }
            guard received[0] == 0x05, received[1] == 0x00 else {
                state = .failed("proxy refused method 'no authentication' (reply \(received[0]) \(received[1]))")
                return nil
            }
            received.removeFirst(2)
            state = .awaitingAssociateReply
            // UDP ASSOCIATE, IPv4 0.0.0.0, the local UDP port we will send from.
            return [0x05, 0x03, 0x00, 0x01, 0, 0, 0, 0, UInt8(localUDPPort >> 8), UInt8(localUDPPort & 0xFF)]
        case .awaitingAssociateReply:
            guard received.count >= 4 else { return nil }
            guard received[0] == 0x05 else {
                state = .failed("not a SOCKS5 reply")
                return nil
            }
            guard received[1] == 0x00 else {
                state = .failed("UDP ASSOCIATE refused, REP \(received[1])")
                return nil
            }
            guard received[3] == 0x01 else {
                state = .failed("relay address type \(received[3]) (only IPv4 is supported here)")
                return nil
            }
            guard received.count >= 10 else { return nil }
            var address = UInt32(received[4]) << 24 | UInt32(received[5]) << 16 | UInt32(received[6]) << 8
                | UInt32(received[7])
            if address == 0 { address = proxy.address }
            let port = UInt16(received[8]) << 8 | UInt16(received[9])
            received.removeFirst(10)
            state = .associated(relay: LabEndpoint(address: address, port: port))
            return nil
        default:
            return nil
        }
    }

    /// Wraps an ICQ datagram for the relay: RSV 0, FRAG 0, ATYP 1, DST.ADDR, DST.PORT (BE).
    static func wrap(_ datagram: [UInt8], destination: LabEndpoint) -> [UInt8] {
        let a = destination.address
        return [0, 0, 0, 0x01, UInt8(a >> 24), UInt8(a >> 16 & 0xFF), UInt8(a >> 8 & 0xFF), UInt8(a & 0xFF),
                UInt8(destination.port >> 8), UInt8(destination.port & 0xFF)] + datagram
    }

    /// Strips the header of a datagram from the relay: the original source and the data; nil when
    /// it is not an unfragmented IPv4 SOCKS5 UDP datagram.
    static func unwrap(_ datagram: [UInt8]) -> (source: LabEndpoint, data: [UInt8])? {
        guard datagram.count >= 10, datagram[0] == 0, datagram[1] == 0, datagram[2] == 0, datagram[3] == 0x01
        else { return nil }
        let address = UInt32(datagram[4]) << 24 | UInt32(datagram[5]) << 16 | UInt32(datagram[6]) << 8
            | UInt32(datagram[7])
        let port = UInt16(datagram[8]) << 8 | UInt16(datagram[9])
        return (LabEndpoint(address: address, port: port), Array(datagram[10...]))
    }
}
