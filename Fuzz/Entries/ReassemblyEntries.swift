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
        var frames: [[UInt8]] = []
        func segment(fromClient: Bool, sequence: UInt32, acknowledgement: UInt32,
                     flags: FrameBuilder.TCPFlags, payload: [UInt8] = []) -> [UInt8] {
            fromClient
                ? FrameBuilder.tcpFrame(from: client, 40_000, to: server, 5190, sequence: sequence,
                                        acknowledgement: acknowledgement, flags: flags, payload: payload)
                : FrameBuilder.tcpFrame(from: server, 5190, to: client, 40_000, sequence: sequence,
                                        acknowledgement: acknowledgement, flags: flags, payload: payload)
        }
        if header & 1 != 0 {
            frames.append(segment(fromClient: true, sequence: isn.0, acknowledgement: 0, flags: .syn))
            frames.append(segment(fromClient: false, sequence: isn.1, acknowledgement: isn.0 &+ 1, flags: [.syn, .ack]))
        }
        var highest: (UInt32, UInt32) = (0, 0)
        while !input.isAtEnd {
            let control = input.byte()
            var offset = UInt32(input.u16())
            if control & 2 != 0 { offset <<= 8 }
            let payload = Array(input.take(Int(input.byte())))
            let fromClient = control & 1 == 0
            let sequence = (fromClient ? isn.0 : isn.1) &+ 1 &+ offset
            let end = offset &+ UInt32(payload.count)
            if fromClient { highest.0 = max(highest.0, end) } else { highest.1 = max(highest.1, end) }
            let ack = fromClient ? isn.1 &+ 1 : isn.0 &+ 1
            let flags: FrameBuilder.TCPFlags = control & 4 != 0 ? .psh : [.psh, .ack]
            frames.append(segment(fromClient: fromClient, sequence: sequence, acknowledgement: ack, flags: flags, payload: payload))
        }
        if header & 6 != 0 {
            let end: FrameBuilder.TCPFlags = header & 4 != 0 ? [.rst, .ack] : [.fin, .ack]
            frames.append(segment(fromClient: true, sequence: isn.0 &+ 1 &+ highest.0, acknowledgement: isn.1 &+ 1, flags: end))
            frames.append(segment(fromClient: false, sequence: isn.1 &+ 1 &+ highest.1, acknowledgement: isn.0 &+ 1, flags: end))
        }

        let format: OSCARFrameRecord.Format = header & 16 != 0 ? .text : .ndjson
        let table = StreamTable<ICQStreamConsumer<StreamFrameRecord>>(
            limits: StreamLimits(bytesPerDirection: 4096, holesPerDirection: 4, maxStreams: 4, maxTotalBytes: 1 << 20)
        ) { ICQStreamConsumer(originator: $0, responder: $1) }
        var sink = StreamFrameRecord(format: format, revealSecrets: false)
        var json = JSONWriter(capacity: 4096)
        var tally = FuzzTally()
        for (index, frame) in frames.enumerated() {
            frame.withUnsafeBytes { raw in
                let decoded = PacketDecoder.decode(raw, linkType: .ethernet)
                precondition(decoded.transport != nil, "the harness built a frame its decoder cannot read")
                sink.reset()
                table.ingest(decoded, frame: UInt64(index + 1), bytes: raw, sink: &sink)
                tally = tally + drain(&sink, &json, format)
            }
        }
        sink.reset()
        table.finishAll(frame: UInt64(frames.count + 1), sink: &sink)
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
