import SampleKit

/// A classic pcap of many small frames, as a busy gateway sees them: ICQ-style UDP to port 4000,
/// OSCAR-style TCP on 5190 (bare ACKs and short segments), over IPv4 and IPv6. Frames are 54 to
/// about 100 bytes, real and checksummed (SampleKit's `FrameBuilder`). Deterministic: the same
/// seed gives the same file on every machine.
public enum SmallPacketCapture {
    /// Bump when the content changes, so cached fixtures from older runs are not reused.
    static let version = 1

    /// The path of a capture of exactly `packets` frames, generated on first use. The same
    /// packets in either format.
    public static func path(packets: Int, format: CaptureFormat = .pcap) -> String {
        FixtureFile.path("small-packets-v\(version)-\(packets).\(format.rawValue)") { path in
            write(packets: packets, format: format, to: path)
        }
    }

    static func write(packets: Int, format: CaptureFormat, to path: String) {
        var random = SeededRandom(seed: 0x1C0_5C09E)
        // A pool of distinct frames (addresses, ports, lengths, sequence numbers) drawn from at
        // random: decoding cost depends on the frame kind, so the mix matters, not uniqueness.
        let pool = (0..<1024).map { _ in frame(&random) }
        var writer = CaptureStreamWriter(path: path, format: format)
        var time: Int64 = 1_700_000_000_000_000
        for _ in 0..<packets {
            time += Int64(random.next() % 200) + 1
            writer.add(microseconds: time, frame: pool[Int(random.next() % UInt64(pool.count))])
        }
        writer.close()
    }

    static func frame(_ random: inout SeededRandom) -> [UInt8] {
        let roll = random.next() % 10
        let client = 0x0A00_0000 | UInt32(random.next() % 0xFFFF)  // 10.0.x.y
        let server = 0xC633_6400 | UInt32(random.next() % 0xFF)  // 198.51.100.z
        let ephemeral = UInt16(32_768 + random.next() % 28_000)
        let sequence = UInt32(truncatingIfNeeded: random.next())
        switch roll {
        case 0..<5:  // ICQ v5-style UDP datagram: 62 to 96 bytes
            let payload = bytes(20 + Int(random.next() % 35), &random)
            return FrameBuilder.udpFrame(from: client, ephemeral, to: server, 4000, payload: payload)
        case 5..<7:  // OSCAR FLAP over TCP with a short payload: 60 to 100 bytes
            let payload = bytes(6 + Int(random.next() % 41), &random)
            return FrameBuilder.tcpFrame(from: server, 5190, to: client, ephemeral, sequence: sequence,
                                         acknowledgement: sequence &+ 1, flags: [.ack, .psh], payload: payload)
        case 7:  // bare ACK: 54 bytes
            return FrameBuilder.tcpFrame(from: client, ephemeral, to: server, 5190, sequence: sequence,
                                         acknowledgement: sequence &+ 100, flags: [.ack])
        case 8:  // UDP over IPv6: 72 to 92 bytes
            let (source, destination) = (v6(&random), v6(&random))
            let payload = bytes(10 + Int(random.next() % 21), &random)
            let pseudo = FrameBuilder.pseudoHeaderV6(source: source, destination: destination,
                                                     protocolNumber: 17, length: 8 + payload.count)
            let udp = FrameBuilder.udp(sourcePort: ephemeral, destinationPort: 4000, payload: payload, pseudoHeader: pseudo)
            let ip = FrameBuilder.ipv6(source: source, destination: destination, nextHeader: 17, payload: udp)
            return FrameBuilder.ethernet(etherType: 0x86DD, payload: ip)
        default:  // bare TCP ACK over IPv6: 74 bytes
            let (source, destination) = (v6(&random), v6(&random))
            let pseudo = FrameBuilder.pseudoHeaderV6(source: source, destination: destination,
                                                     protocolNumber: 6, length: 20)
            let tcp = FrameBuilder.tcp(sourcePort: ephemeral, destinationPort: 5190, sequence: sequence,
                                       acknowledgement: sequence &+ 1, flags: [.ack], payload: [], pseudoHeader: pseudo)
            let ip = FrameBuilder.ipv6(source: source, destination: destination, nextHeader: 6, payload: tcp)
            return FrameBuilder.ethernet(etherType: 0x86DD, payload: ip)
        }
    }

    private static func bytes(_ count: Int, _ random: inout SeededRandom) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    /// 2001:db8::/32 documentation addresses.
    private static func v6(_ random: inout SeededRandom) -> [UInt8] {
        [0x20, 0x01, 0x0D, 0xB8] + bytes(12, &random)
    }
}
