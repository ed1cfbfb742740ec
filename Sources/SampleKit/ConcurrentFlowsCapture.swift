/// The memory measurement's capture (issue 10): `flows` TCP connections that are all open at
/// once, each with a handshake seen both ways (SYN, SYN-ACK, ACK), 10 µs apart. Clients come from
/// 10.0.0.0/8 (one address per 50,000 ports), servers are eight addresses on port 443 — only
/// numbers written into a file. Deterministic.
public enum ConcurrentFlowsCapture {
    public static func pcap(flows: Int) -> [UInt8] {
        var file = PcapBuilder(nanosecond: true)
        let start: Int64 = 1_732_456_800_000_000_000
        var time = start
        for i in 0..<flows {
            let client = 0x0A00_0001 + UInt32(i / 50_000)
            let port = UInt16(10_000 + i % 50_000)
            let server = 0xC633_6410 + UInt32(i % 8)
            let isn = UInt32(truncatingIfNeeded: i &* 2_654_435_761)
            file.add(nanoseconds: time, frame: FrameBuilder.tcpFrame(
                from: client, port, to: server, 443, sequence: isn, acknowledgement: 0, flags: [.syn]))
            file.add(nanoseconds: time + 3_000, frame: FrameBuilder.tcpFrame(
                from: server, 443, to: client, port, sequence: ~isn, acknowledgement: isn &+ 1, flags: [.syn, .ack]))
            file.add(nanoseconds: time + 6_000, frame: FrameBuilder.tcpFrame(
                from: client, port, to: server, 443, sequence: isn &+ 1, acknowledgement: ~isn &+ 1, flags: [.ack]))
            time += 10_000
        }
        return file.bytes
    }
}
