import Bytes
import Capture
import Report
import SampleKit
import Tracking
import Wire

/// The stream consumer over TCP reassembly: one connection's segments, in whatever order,
/// overlap and spacing the fuzzer chooses, through the analysis's own stream table and the
/// consumer that finds SOCKS, OSCAR and ICQ peer-to-peer by content.
///
/// Input: a header byte (bit 0: SYN and SYN-ACK first; bit 1: FIN from both sides at the end;
/// bit 2: RST instead; bit 3: initial sequence numbers just below 2^32, so sequence numbers
/// wrap; bit 4: text records instead of NDJSON), then segments, each
/// `[control][offset u16 LE][length]` and `length` bytes: control bit 0 is the direction
/// (0 = from the originator), bit 1 multiplies the offset by 256 (far ahead), bit 2 sets PSH
/// only (no ACK). A segment's sequence number is the direction's ISN + 1 + offset.
public enum ReassemblyEntries {
    static let client: UInt32 = 0x0A00_0001
    static let server: UInt32 = 0x0A00_0002

    public static func stream(_ bytes: UnsafeRawBufferPointer) -> FuzzTally {
        var input = FuzzInput(bytes)
        let header = input.byte()
        let isn: (UInt32, UInt32) = header & 8 != 0 ? (0xFFFF_FF00, 0xFFFF_FFF0) : (1000, 5000)
        // Every frame is built in place in one buffer (a segment costs its header's stores, not
        // arrays per layer: building frames with SampleKit took half the harness's time).
        var frames = FrameArena(capacity: bytes.count * 16 + 512)
        func segment(fromClient: Bool, sequence: UInt32, acknowledgement: UInt32, flags: FrameBuilder.TCPFlags,
                     payload: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) {
            if fromClient {
                frames.tcp(from: client, 40_000, to: server, 5190, sequence: sequence,
                           acknowledgement: acknowledgement, flags: flags.rawValue, payload: payload)
            } else {
                frames.tcp(from: server, 5190, to: client, 40_000, sequence: sequence,
                           acknowledgement: acknowledgement, flags: flags.rawValue, payload: payload)
            }
        }
        if header & 1 != 0 {
            segment(fromClient: true, sequence: isn.0, acknowledgement: 0, flags: .syn)
            segment(fromClient: false, sequence: isn.1, acknowledgement: isn.0 &+ 1, flags: [.syn, .ack])
        }
        var highest: (UInt32, UInt32) = (0, 0)
        while !input.isAtEnd {
            let control = input.byte()
            var offset = UInt32(input.u16())
            if control & 2 != 0 { offset <<= 8 }
            let payload = input.take(Int(input.byte()))
            let fromClient = control & 1 == 0
            let sequence = (fromClient ? isn.0 : isn.1) &+ 1 &+ offset
            let end = offset &+ UInt32(payload.count)
            if fromClient { highest.0 = max(highest.0, end) } else { highest.1 = max(highest.1, end) }
            let ack = fromClient ? isn.1 &+ 1 : isn.0 &+ 1
            let flags: FrameBuilder.TCPFlags = control & 4 != 0 ? .psh : [.psh, .ack]
            segment(fromClient: fromClient, sequence: sequence, acknowledgement: ack, flags: flags, payload: payload)
        }
        if header & 6 != 0 {
            let end: FrameBuilder.TCPFlags = header & 4 != 0 ? [.rst, .ack] : [.fin, .ack]
            segment(fromClient: true, sequence: isn.0 &+ 1 &+ highest.0, acknowledgement: isn.1 &+ 1, flags: end)
            segment(fromClient: false, sequence: isn.1 &+ 1 &+ highest.1, acknowledgement: isn.0 &+ 1, flags: end)
        }

        let format: OSCARFrameRecord.Format = header & 16 != 0 ? .text : .ndjson
        let table = StreamTable<ICQStreamConsumer<StreamFrameRecord>>(
            limits: StreamLimits(bytesPerDirection: 4096, holesPerDirection: 4, maxStreams: 4, maxTotalBytes: 1 << 20)
        ) { ICQStreamConsumer(originator: $0, responder: $1) }
        var sink = StreamFrameRecord(format: format, revealSecrets: false)
        var json = JSONWriter(capacity: 4096)
        var tally = FuzzTally()
        frames.bytes.withUnsafeBytes { all in
            for (index, range) in frames.ranges.enumerated() {
                let raw = UnsafeRawBufferPointer(rebasing: all[range])
                let decoded = PacketDecoder.decode(raw, linkType: .ethernet)
                precondition(decoded.transport != nil, "the harness built a frame its decoder cannot read")
                sink.reset()
                table.ingest(decoded, frame: UInt64(index + 1), bytes: raw, sink: &sink)
                tally = tally + drain(&sink, &json, format)
            }
        }
        sink.reset()
        table.finishAll(frame: UInt64(frames.ranges.count + 1), sink: &sink)
        tally = tally + drain(&sink, &json, format)
        let counters = table.counters
        precondition(counters.deliveredBytes >= 0 && counters.gapBytes >= 0, "stream counters went negative")
        tally.saw(kind: counters.gaps > 0 ? 10 : 11)
        if counters.outOfOrderSegments > 0 { tally.saw(kind: 12) }
        return tally
    }

    static func drain(_ sink: inout StreamFrameRecord, _ json: inout JSONWriter, _ format: OSCARFrameRecord.Format) -> FuzzTally {
        var tally = FuzzTally()
        let pdus = sink.oscar.pduCount + sink.socksCount + sink.peerCount
        tally.decoded += pdus
        if sink.oscar.pduCount > 0 { tally.saw(kind: 0) }
        if sink.socksCount > 0 { tally.saw(kind: 1) }
        if sink.peerCount > 0 { tally.saw(kind: 2) }
        if format == .ndjson {
            json.removeAll()
            json.beginObject()
            sink.write(into: &json)
            json.endObject()
            tally.fields += json.buffer.count
        } else {
            tally.fields += sink.text?.utf8.count ?? 0
        }
        return tally
    }
}

/// Ethernet/IPv4/TCP frames written one after another into one buffer, with the headers and
/// checksums `FrameBuilder.tcpFrame` gives them (the same bytes, without its arrays per layer).
public struct FrameArena {
    public private(set) var bytes: [UInt8] = []
    public private(set) var ranges: [Range<Int>] = []

    public init(capacity: Int) {
        bytes.reserveCapacity(capacity)
        ranges.reserveCapacity(capacity / 64)
    }

    public mutating func tcp(from source: UInt32, _ sourcePort: UInt16, to destination: UInt32, _ destinationPort: UInt16,
                      sequence: UInt32, acknowledgement: UInt32, flags: UInt16, payload: UnsafeRawBufferPointer) {
        let start = bytes.count
        // Ethernet: 02:00:00:00:00:02 from 02:00:00:00:00:01, IPv4.
        be16(0x0200); be32(0x0000_0002); be16(0x0200); be32(0x0000_0001); be16(0x0800)
        // IPv4: no options, DF, TTL 64, TCP.
        let ip = bytes.count
        be16(0x4500); be16(UInt16(truncatingIfNeeded: 40 + payload.count)); be16(0); be16(0x4000)
        be16(0x4006); be16(0); be32(source); be32(destination)
        store16(Self.checksum(bytes[ip..<ip + 20], initial: 0), at: ip + 10)
        // TCP: no options, window 65535; the checksum over the pseudo-header, header and payload.
        let tcp = bytes.count
        be16(sourcePort); be16(destinationPort); be32(sequence); be32(acknowledgement)
        be16(5 << 12 | flags); be16(65_535); be16(0); be16(0)
        bytes.append(contentsOf: payload)
        let tcpLength = 20 + payload.count
        var pseudo = UInt32(source >> 16) + UInt32(source & 0xFFFF) + UInt32(destination >> 16) + UInt32(destination & 0xFFFF)
        pseudo += 6 + UInt32(truncatingIfNeeded: tcpLength)
        store16(Self.checksum(bytes[tcp...], initial: pseudo), at: tcp + 16)
        ranges.append(start..<bytes.count)
    }

    private mutating func be16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xFF)) }
    private mutating func be32(_ v: UInt32) { be16(UInt16(v >> 16)); be16(UInt16(v & 0xFFFF)) }
    private mutating func store16(_ v: UInt16, at offset: Int) {
        bytes[offset] = UInt8(v >> 8)
        bytes[offset + 1] = UInt8(v & 0xFF)
    }

    /// The Internet checksum of `data` (odd length padded with zero), starting from `initial`.
    static func checksum(_ data: ArraySlice<UInt8>, initial: UInt32) -> UInt16 {
        var sum = initial
        var i = data.startIndex
        while i + 1 < data.endIndex {
            sum += UInt32(data[i]) << 8 | UInt32(data[i + 1])
            i += 2
        }
        if i < data.endIndex { sum += UInt32(data[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
