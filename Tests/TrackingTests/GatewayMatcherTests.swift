import Capture
import Foundation
import SampleKit
import Testing
import Tracking
import Wire
import TestSupport

struct GatewayMatcherTests {
    /// The bundled gateway sample: every packet crosses the NAT gateway except the refused peer
    /// connection's SYN (dropped inside) and the reset the gateway forged in the peer's name.
    @Test func samplePairsEveryForwardedPacketAcrossTheNAT() throws {
        let url = TestPaths.temporaryFile("gateway.pcapng")
        try Data(GatewaySample.pcapng(seed: 1)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var reader = try CaptureFileReader(path: url.path)
        let matcher = GatewayMatcher()
        var pairs: [(UInt64, UInt64)] = []
        var unforwarded: [GatewayMatcher.Unforwarded] = []
        while let packet = try reader.nextPacket() {
            let decoded = PacketDecoder.decode(packet)
            if let partner = matcher.observe(frame: packet.frameNumber, time: packet.timestampNanos,
                                             side: packet.interfaceIndex, decoded: decoded, bytes: packet.bytes) {
                pairs.append((partner, packet.frameNumber))
            }
            unforwarded += matcher.expire(now: packet.timestampNanos)
        }
        unforwarded += matcher.expire(now: .max)
        #expect(pairs.count == 19)
        #expect(pairs.first.map { [$0.0, $0.1] } == [1, 2])
        #expect(pairs.contains { $0 == (27, 28) })  // SYN translated 192.168.1.2:40003 -> 203.0.113.5:61002
        #expect(pairs.contains { $0 == (39, 40) })  // the ICMP error, its quoted header rewritten
        #expect(unforwarded.map(\.frame) == [25, 26])
        #expect(unforwarded.map(\.side) == [0, 0])
        #expect(unforwarded[0].destination.port == 40002)
        #expect(matcher.counters.unforwarded == 2)
    }

    @Test func aSingleInterfaceCaptureProvesNothing() throws {
        let matcher = GatewayMatcher()
        let frame = FrameBuilder.udpFrame(from: 1, 1, to: 2, 4000, payload: [1, 2, 3])
        frame.withUnsafeBytes { bytes in
            let decoded = PacketDecoder.decode(bytes, linkType: .ethernet)
            matcher.observe(frame: 1, time: 0, side: 0, decoded: decoded, bytes: bytes)
        }
        #expect(matcher.expire(now: .max).isEmpty)
    }

    @Test func capacityIsHeldAndCounted() throws {
        let matcher = GatewayMatcher(capacity: 10)
        matcher.observe(frame: 0, time: 0, side: 1, decoded: DecodedPacket(), bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        for i in 0..<50 {
            let frame = FrameBuilder.udpFrame(from: 1, 1, to: 2, 4000, payload: [UInt8(i)], identification: UInt16(i))
            frame.withUnsafeBytes { bytes in
                let decoded = PacketDecoder.decode(bytes, linkType: .ethernet)
                matcher.observe(frame: UInt64(i + 1), time: Int64(i), side: 0, decoded: decoded, bytes: bytes)
            }
            _ = matcher.expire(now: Int64(i))
        }
        #expect(matcher.counters.givenUp == 40)
    }
}
