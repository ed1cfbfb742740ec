import Bytes
import Capture
import Foundation
import Testing
import TestSupport
import Tracking
import Wire

/// The captures of other software by their path under `Tests/Fixtures/captures`.
enum FixtureCaptures {
    static let directory = TestPaths.captures.path

    static func path(_ relative: String) -> String { directory + "/" + relative }
}

/// Runs a whole capture through the decoder and a flow table and returns every flow record (in the
/// order the flows ended, then the end-of-capture flush) and the table's counters.
func flowRecords(_ relativePath: String, configuration: FlowConfiguration = FlowConfiguration(),
                 before: (inout FlowTable) -> Void = { _ in }) throws -> (records: [FlowRecord], statistics: FlowTableStatistics) {
    var reader = try CaptureFileReader(path: FixtureCaptures.path(relativePath))
    var table = FlowTable(configuration: configuration)
    before(&table)
    var records: [FlowRecord] = []
    while true {
        let packet: CapturedPacket?
        do {
            packet = try reader.nextPacket()
        } catch {
            if error.isFatal { throw error }
            continue
        }
        guard let packet else { break }
        table.process(packet, PacketDecoder.decode(packet))
        table.drainEndedFlows { records.append($0) }
    }
    table.finish()
    table.drainEndedFlows { records.append($0) }
    return (records, table.statistics)
}

/// Feeds one hand-built frame (bytes given in full) to the table.
@discardableResult
func feed(_ table: inout FlowTable, _ bytes: [UInt8], linkType: LinkType = .ethernet, time: Int64,
          frame: UInt64) -> FlowObservation? {
    bytes.withUnsafeBytes { raw in
        let packet = CapturedPacket(frameNumber: frame, timestampNanos: time, interfaceIndex: 0, linkType: linkType,
                                    originalLength: raw.count, bytes: raw)
        return table.process(packet, PacketDecoder.decode(packet))
    }
}

/// Ethernet (optionally 802.1Q-tagged) + IPv4 + UDP frame with `payload` bytes of zeros.
func udpFrame(_ source: (UInt8, UInt8, UInt8, UInt8), _ sourcePort: UInt16,
              _ destination: (UInt8, UInt8, UInt8, UInt8), _ destinationPort: UInt16,
              vlan: UInt16? = nil, payload: Int = 4) -> [UInt8] {
    var frame: [UInt8] = Array(repeating: 0, count: 12)  // MAC addresses
    if let vlan {
        frame += [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xFF)]
    }
    frame += [0x08, 0x00]
    let total = 20 + 8 + payload
    frame += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0, 0, 64, 17, 0, 0]
    frame += [source.0, source.1, source.2, source.3, destination.0, destination.1, destination.2, destination.3]
    frame += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8),
              UInt8(destinationPort & 0xFF), UInt8((8 + payload) >> 8), UInt8((8 + payload) & 0xFF), 0, 0]
    frame += Array(repeating: 0, count: payload)
    return frame
}

/// Parses dotted IPv4 or RFC 4291 IPv6 text (with `::`), for expected values in tests.
func parseAddress(_ text: String) -> IPAddress {
    if !text.contains(":") {
        let parts = text.split(separator: ".").map { UInt32($0)! }
        return IPAddress(ipv4: parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3])
    }
    let halves = text.components(separatedBy: "::")
    let head = halves[0].isEmpty ? [] : halves[0].split(separator: ":").map { UInt16($0, radix: 16)! }
    let tail = halves.count > 1 && !halves[1].isEmpty ? halves[1].split(separator: ":").map { UInt16($0, radix: 16)! } : []
    let groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    var high: UInt64 = 0, low: UInt64 = 0
    for i in 0..<4 { high = high << 16 | UInt64(groups[i]) }
    for i in 4..<8 { low = low << 16 | UInt64(groups[i]) }
    return IPAddress(ipv6High: high, low: low)
}

extension FlowRecord {
    /// "orig -> resp" for messages.
    var label: String {
        "\(protocolName) \(originator.address.description):\(originator.port) -> \(responder.address.description):\(responder.port)"
    }
}

/// Ethernet + IPv4 + TCP (20-byte header) frame with `payload` bytes of zeros.
func tcpFrame(_ source: (UInt8, UInt8, UInt8, UInt8), _ sourcePort: UInt16,
              _ destination: (UInt8, UInt8, UInt8, UInt8), _ destinationPort: UInt16,
              flags: UInt16, seq: UInt32, ack: UInt32 = 0, window: UInt16 = 8192, payload: Int = 0) -> [UInt8] {
    var frame: [UInt8] = Array(repeating: 0, count: 12) + [0x08, 0x00]
    let total = 20 + 20 + payload
    frame += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0, 0, 64, 6, 0, 0]
    frame += [source.0, source.1, source.2, source.3, destination.0, destination.1, destination.2, destination.3]
    func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    frame += [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xFF)]
    frame += be32(seq) + be32(ack)
    frame += [0x50, UInt8(flags & 0xFF), UInt8(window >> 8), UInt8(window & 0xFF), 0, 0, 0, 0]
    frame += Array(repeating: 0, count: payload)
    return frame
}

/// One packet of a capture, copied out of the reader so tests can reorder or splice packets.
struct StoredPacket {
    var frameNumber: UInt64
    var time: Int64
    var linkType: LinkType
    var bytes: [UInt8]
}

func storedPackets(_ relativePath: String) throws -> [StoredPacket] {
    var reader = try CaptureFileReader(path: FixtureCaptures.path(relativePath))
    var packets: [StoredPacket] = []
    while let packet = try reader.nextPacket() {
        packets.append(StoredPacket(frameNumber: packet.frameNumber, time: packet.timestampNanos,
                                    linkType: packet.linkType, bytes: Array(packet.bytes)))
    }
    return packets
}

/// Runs stored packets through a table and returns every record.
func flowRecords(of packets: [StoredPacket], configuration: FlowConfiguration = FlowConfiguration())
    -> (records: [FlowRecord], statistics: FlowTableStatistics) {
    var table = FlowTable(configuration: configuration)
    var records: [FlowRecord] = []
    for p in packets {
        feed(&table, p.bytes, linkType: p.linkType, time: p.time, frame: p.frameNumber)
        table.drainEndedFlows { records.append($0) }
    }
    table.finish()
    table.drainEndedFlows { records.append($0) }
    return (records, table.statistics)
}
