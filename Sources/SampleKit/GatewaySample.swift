/// The first bundled sample: a short, varied capture taken on both sides of a gateway, written as
/// pcapng with one interface per side. Deterministic for a given seed.
public enum GatewaySample {
    public static let inside: UInt32 = 0xC0A8_0102  // 192.168.1.2, the client behind the gateway
    public static let outside: UInt32 = 0xCB00_7105  // 203.0.113.5, the gateway's public address
    public static let server: UInt32 = 0xC633_6404  // 198.51.100.4, a server on UDP 4000
    public static let peer: UInt32 = 0xC633_640A  // 198.51.100.10, a peer client

    public static func pcapng(seed: UInt64 = 1) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        var file = PcapngBuilder()
        file.interface(linkType: 1, name: "inside0", resolution: 9)
        file.interface(linkType: 1, name: "outside0", resolution: 6)
        let start: Int64 = 1_732_456_789_000_000_000
        var time = start
        func stamp(_ interface: UInt32) -> UInt64 {
            // inside0 counts nanoseconds, outside0 microseconds.
            interface == 0 ? UInt64(time) : UInt64(time / 1000)
        }
        // A client talks to a UDP service on port 4000 through NAT: each datagram is seen inside,
        // then outside with the translated source; the replies come back the other way.
        let clientPort: UInt16 = 37143
        let natPort: UInt16 = 61001
        for i in 0..<6 {
            let payload = (0..<24).map { _ in UInt8.random(in: 0...255, using: &random) }
            file.enhancedPacket(interface: 0, units: stamp(0), frame: FrameBuilder.udpFrame(
                from: inside, clientPort, to: server, 4000, payload: payload, identification: UInt16(i)))
            time += 150_000
            file.enhancedPacket(interface: 1, units: stamp(1), frame: FrameBuilder.udpFrame(
                from: outside, natPort, to: server, 4000, payload: payload, ttl: 63, identification: UInt16(i)))
            time += 40_000_000
            let reply = (0..<21).map { _ in UInt8.random(in: 0...255, using: &random) }
            file.enhancedPacket(interface: 1, units: stamp(1), frame: FrameBuilder.udpFrame(
                from: server, 4000, to: outside, natPort, payload: reply, ttl: 50))
            time += 120_000
            file.enhancedPacket(interface: 0, units: stamp(0), frame: FrameBuilder.udpFrame(
                from: server, 4000, to: inside, clientPort, payload: reply, ttl: 49))
            time += 2_000_000_000
        }
        // A peer connection the gateway refuses: the SYN arrives inside and never leaves, and the
        // gateway answers with a reset forged in the peer's name (nft "reject with tcp reset").
        file.enhancedPacket(interface: 0, units: stamp(0), frame: FrameBuilder.tcpFrame(
            from: inside, 40001, to: peer, 40002, sequence: 1000, acknowledgement: 0, flags: [.syn],
            options: [2, 4, 0x05, 0xB4], identification: 100))
        time += 90_000
        file.enhancedPacket(interface: 0, units: stamp(0), frame: FrameBuilder.tcpFrame(
            from: peer, 40002, to: inside, 40001, sequence: 0, acknowledgement: 1001, flags: [.rst, .ack],
            ttl: 64, identification: 0))
        time += 1_000_000_000
        // A peer connection the gateway lets through, translated to the gateway's address.
        let natPeerPort: UInt16 = 61002
        let handshake: [(fromInside: Bool, sequence: UInt32, acknowledgement: UInt32, flags: FrameBuilder.TCPFlags, payload: [UInt8])] = [
            (true, 5000, 0, [.syn], []), (false, 9000, 5001, [.syn, .ack], []), (true, 5001, 9001, [.ack], []),
            (true, 5001, 9001, [.ack, .psh], Array("hello".utf8)), (false, 9001, 5006, [.ack], []),
        ]
        for (i, segment) in handshake.enumerated() {
            let id = UInt16(200 + i)
            if segment.fromInside {
                file.enhancedPacket(interface: 0, units: stamp(0), frame: FrameBuilder.tcpFrame(
                    from: inside, 40003, to: peer, 40004, sequence: segment.sequence, acknowledgement: segment.acknowledgement,
                    flags: segment.flags, payload: segment.payload, identification: id))
                time += 100_000
                file.enhancedPacket(interface: 1, units: stamp(1), frame: FrameBuilder.tcpFrame(
                    from: outside, natPeerPort, to: peer, 40004, sequence: segment.sequence, acknowledgement: segment.acknowledgement,
                    flags: segment.flags, payload: segment.payload, ttl: 63, identification: id))
            } else {
                file.enhancedPacket(interface: 1, units: stamp(1), frame: FrameBuilder.tcpFrame(
                    from: peer, 40004, to: outside, natPeerPort, sequence: segment.sequence, acknowledgement: segment.acknowledgement,
                    flags: segment.flags, payload: segment.payload, ttl: 57, identification: id))
                time += 100_000
                file.enhancedPacket(interface: 0, units: stamp(0), frame: FrameBuilder.tcpFrame(
                    from: peer, 40004, to: inside, 40003, sequence: segment.sequence, acknowledgement: segment.acknowledgement,
                    flags: segment.flags, payload: segment.payload, ttl: 56, identification: id))
            }
            time += 2_000_000
        }
        time += 3_000_000_000
        // A datagram to a closed port, answered by ICMP port unreachable quoting it, on both sides.
        let probeInside = FrameBuilder.udpFrame(from: inside, 5555, to: server, 4001, payload: [1, 2, 3, 4], identification: 300)
        let probeOutside = FrameBuilder.udpFrame(from: outside, 61003, to: server, 4001, payload: [1, 2, 3, 4], ttl: 63, identification: 300)
        file.enhancedPacket(interface: 0, units: stamp(0), frame: probeInside)
        time += 100_000
        file.enhancedPacket(interface: 1, units: stamp(1), frame: probeOutside)
        time += 30_000_000
        file.enhancedPacket(interface: 1, units: stamp(1), frame: FrameBuilder.icmpUnreachableFrame(
            from: server, to: outside, code: 3, quoting: Array(probeOutside.dropFirst(14)), ttl: 50))
        time += 100_000
        file.enhancedPacket(interface: 0, units: stamp(0), frame: FrameBuilder.icmpUnreachableFrame(
            from: server, to: inside, code: 3, quoting: Array(probeInside.dropFirst(14)), ttl: 49))
        file.interfaceStatistics(interface: 0, received: 21, interfaceDropped: 0, osDropped: 0)
        file.interfaceStatistics(interface: 1, received: 19, interfaceDropped: 0, osDropped: 0)
        return file.bytes
    }
}
