import Bytes
import Capture
import Foundation
import TestSupport
import Tracking
import Wire

/// The tshark oracle fixtures of the OSCAR tests (`FixtureCaptures` is the flow tests' helper).
extension FixtureCaptures {
    static func fixture(_ name: String) -> String { TestPaths.fixtures.appendingPathComponent("oscar/" + name).path }
}

/// A frame copied out of a capture, so tests can replay frames in another order or cut them up.
struct StoredFrame {
    var number: UInt64
    var linkType: LinkType
    var bytes: [UInt8]
}

func loadFrames(_ path: String) throws -> [StoredFrame] {
    var reader = try CaptureFileReader(path: path)
    var frames: [StoredFrame] = []
    while let packet = try reader.nextPacket() {
        frames.append(StoredFrame(number: packet.frameNumber, linkType: packet.linkType, bytes: Array(packet.bytes)))
    }
    return frames
}

/// One FLAP as the tshark fixtures list it: the columns of `tshark_pdus.py`.
struct PDURow: Hashable, CustomStringConvertible {
    var frame: UInt64
    var srcport: UInt16
    var dstport: UInt16
    var channel: String
    var seqno: String
    var datalen: String
    var family: String
    var subtype: String
    var flags: String
    var id: String

    var description: String {
        "\(frame)\t\(srcport)\t\(dstport)\t\(channel)\t\(seqno)\t\(datalen)\t\(family)\t\(subtype)\t\(flags)\t\(id)"
    }

    /// The PDU without its frame number: what must match when frames are replayed out of order.
    var withoutFrame: PDURow {
        var copy = self
        copy.frame = 0
        return copy
    }

    static func hex(_ value: some BinaryInteger, digits: Int) -> String {
        let text = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    init(frame: UInt64, srcport: UInt16, dstport: UInt16, pdu: OSCARPDU) {
        self.frame = frame
        self.srcport = srcport
        self.dstport = dstport
        channel = Self.hex(pdu.flap.channel, digits: 2)
        seqno = String(pdu.flap.sequence)
        datalen = String(pdu.flap.dataLength)
        family = pdu.snac.map { Self.hex($0.family, digits: 4) } ?? ""
        subtype = pdu.snac.map { Self.hex($0.subtype, digits: 4) } ?? ""
        flags = pdu.snac.map { Self.hex($0.flags, digits: 4) } ?? ""
        id = pdu.snac.map { Self.hex($0.requestID, digits: 8) } ?? ""
    }

    init?(tsvLine: Substring) {
        let f = tsvLine.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 10, let frame = UInt64(f[0]), let s = UInt16(f[1]), let d = UInt16(f[2]) else { return nil }
        self.frame = frame
        srcport = s
        dstport = d
        channel = f[3]
        seqno = f[4]
        datalen = f[5]
        family = f[6]
        subtype = f[7]
        flags = f[8]
        id = f[9]
    }
}

func loadFixture(_ name: String) throws -> [PDURow] {
    let text = try String(contentsOfFile: FixtureCaptures.fixture(name), encoding: .utf8)
    return text.split(separator: "\n").dropFirst().compactMap(PDURow.init(tsvLine:))
}

/// Collects what the OSCAR decoder reports.
struct OSCARCollector: OSCARSink {
    var rows: [PDURow] = []
    var gaps: [(gap: StreamGap, from: Endpoint, to: Endpoint)] = []
    var pdus = 0
    /// Called for every PDU while its bytes are still valid (for tests that look inside).
    var inspect: ((OSCARPDU, UInt64) -> Void)? = nil

    mutating func oscarPDU(_ pdu: OSCARPDU, from: Endpoint, to: Endpoint, frame: UInt64) {
        pdus += 1
        rows.append(PDURow(frame: frame, srcport: from.port, dstport: to.port, pdu: pdu))
        inspect?(pdu, frame)
    }

    mutating func oscarGap(_ gap: StreamGap, from: Endpoint, to: Endpoint) {
        gaps.append((gap, from, to))
    }
}

typealias OSCARTable = StreamTable<OSCARStreamConsumer<OSCARCollector>>

func makeOSCARTable(_ limits: StreamLimits = StreamLimits()) -> OSCARTable {
    OSCARTable(limits: limits) { OSCARStreamConsumer(originator: $0, responder: $1) }
}

/// Runs a capture file through the stream table with the OSCAR decoder on every TCP connection.
func decodeOSCAR(_ path: String, limits: StreamLimits = StreamLimits(),
                 inspect: ((OSCARPDU, UInt64) -> Void)? = nil) throws -> (OSCARCollector, OSCARTable) {
    let table = makeOSCARTable(limits)
    var sink = OSCARCollector(inspect: inspect)
    var reader = try CaptureFileReader(path: path)
    var last: UInt64 = 0
    while let packet = try reader.nextPacket() {
        let decoded = PacketDecoder.decode(packet)
        table.ingest(decoded, frame: packet.frameNumber, bytes: packet.bytes, sink: &sink)
        last = packet.frameNumber
    }
    table.finishAll(frame: last, sink: &sink)
    return (sink, table)
}

/// Feeds stored frames (possibly reordered or re-cut) to a fresh table.
func decodeOSCAR(frames: [StoredFrame], limits: StreamLimits = StreamLimits()) -> (OSCARCollector, OSCARTable) {
    let table = makeOSCARTable(limits)
    var sink = OSCARCollector()
    for frame in frames {
        frame.bytes.withUnsafeBytes { bytes in
            let decoded = PacketDecoder.decode(bytes, linkType: frame.linkType)
            table.ingest(decoded, frame: frame.number, bytes: bytes, sink: &sink)
        }
    }
    table.finishAll(frame: frames.map(\.number).max() ?? 0, sink: &sink)
    return (sink, table)
}
