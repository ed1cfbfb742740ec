import Bytes
import SampleKit
import Testing
import Tracking
import Wire

/// The SOCKS handshake follower stays bounded on a gateway: when full, a new connection makes
/// room by forgetting the one quiet longest (counted), and a followed handshake still works.
struct SOCKSHandshakesTests {
    static let proxy = Endpoint(address: IPAddress(ipv4: 0x0AFF_FF01), port: 1080)

    static func segment(_ h: SOCKSHandshakes, from: Endpoint, to: Endpoint, flags: FrameBuilder.TCPFlags,
                        sequence: UInt32, payload: [UInt8] = [], frame: UInt64) -> SOCKSHandshakes.Association? {
        let bytes = FrameBuilder.tcpFrame(from: from.address.ipv4Value, from.port, to: to.address.ipv4Value, to.port,
                                          sequence: sequence, acknowledgement: 0, flags: flags, payload: payload)
        return bytes.withUnsafeBytes { raw in
            let decoded = PacketDecoder.decode(raw, linkType: .ethernet)
            guard case .tcp(let tcp)? = decoded.transport else { return nil }
            return h.segment(tcp, payload: decoded.payload(of: raw), source: from, destination: to, frame: frame, time: Int64(frame))
        }
    }

    static func client(_ i: Int) -> Endpoint {
        Endpoint(address: IPAddress(ipv4: 0x0A00_0000 | UInt32(i >> 15)), port: UInt16(1024 + i & 0x7FFF))
    }

    @Test func aFullFollowerForgetsTheQuietestConnectionAndCountsIt() {
        let handshakes = SOCKSHandshakes(maximumConnections: 100)
        // 100,000 SYNs that are never answered.
        for i in 0..<100_000 {
            _ = Self.segment(handshakes, from: Self.client(i), to: Self.proxy, flags: [.syn], sequence: 1, frame: UInt64(i))
        }
        #expect(handshakes.connectionCount == 100)
        #expect(handshakes.evicted == 100_000 - 100)
        // A UDP ASSOCIATE on a new connection is still followed to its grant and its end.
        let c = Self.client(200_000)
        var frame: UInt64 = 1_000_000
        func next() -> UInt64 { frame += 1; return frame }
        _ = Self.segment(handshakes, from: c, to: Self.proxy, flags: [.syn], sequence: 100, frame: next())
        _ = Self.segment(handshakes, from: c, to: Self.proxy, flags: [.psh, .ack], sequence: 101, payload: [5, 1, 0], frame: next())
        _ = Self.segment(handshakes, from: Self.proxy, to: c, flags: [.psh, .ack], sequence: 501, payload: [5, 0], frame: next())
        _ = Self.segment(handshakes, from: c, to: Self.proxy, flags: [.psh, .ack], sequence: 104,
                         payload: [5, 3, 0, 1, 0, 0, 0, 0, 0, 0], frame: next())
        _ = Self.segment(handshakes, from: Self.proxy, to: c, flags: [.psh, .ack], sequence: 503,
                         payload: [5, 0, 0, 1, 10, 255, 255, 1, 0x9C, 0x40], frame: next())
        let relay = Endpoint(address: IPAddress(ipv4: 0x0AFF_FF01), port: 40_000)
        #expect(handshakes.association(relay: relay)?.client == c)
        let closed = Self.segment(handshakes, from: c, to: Self.proxy, flags: [.fin, .ack], sequence: 114, frame: next())
        #expect(closed?.relay == relay)
        #expect(closed?.closedFrame == frame)
    }
}
