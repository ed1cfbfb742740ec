import Bytes
import Capture
import Foundation
import Wire
import TestSupport

extension TestPaths {
    /// A capture under Tests/Fixtures/captures, by relative path.
    static func capture(_ relative: String) -> String { captures.appendingPathComponent(relative).path }
    /// A file under Tests/Fixtures, by relative path.
    static func fixture(_ relative: String) -> String { fixtures.appendingPathComponent(relative).path }
}

/// One direction of a TCP connection, concatenated in sequence order (test-only stand-in for the
/// project's reassembly): retransmitted bytes are dropped, IPv4 fragments are put back together,
/// and every byte remembers the frame that delivered it.
struct DirectionBytes {
    var data: [UInt8] = []
    /// (end offset, frame) per delivered chunk, ascending.
    var chunks: [(end: Int, frame: UInt64)] = []

    /// The frame that delivered the byte at `offset` (for "reported in the frame that completes it").
    func frame(containing offset: Int) -> UInt64 {
        for c in chunks where offset < c.end { return c.frame }
        return chunks.last?.frame ?? 0
    }
}

struct TCPConversation {
    var initiator: Endpoint
    var responder: Endpoint
    var fromInitiator = DirectionBytes()
    var fromResponder = DirectionBytes()
}

struct UDPDatagram {
    var frame: UInt64
    var source: Endpoint
    var destination: Endpoint
    var payload: [UInt8]
}

struct CaptureStreams {
    var conversations: [TCPConversation] = []
    var datagrams: [UDPDatagram] = []

    func conversation(port: UInt16) -> [TCPConversation] {
        conversations.filter { $0.responder.port == port }
    }

    func conversation(initiatorPort: UInt16, responderPort: UInt16) -> TCPConversation? {
        conversations.first { $0.initiator.port == initiatorPort && $0.responder.port == responderPort }
    }

    /// Reads a whole capture. Segments are taken in capture order, placed by sequence number
    /// relative to the first seen; anything at or before the bytes already held is a duplicate.
    static func load(_ path: String) throws -> CaptureStreams {
        var reader = try CaptureFileReader(path: path)
        var result = CaptureStreams()
        var index: [String: Int] = [:]
        var nextSeq: [String: UInt32] = [:]
        var fragments: [String: [(offset: Int, bytes: [UInt8], more: Bool)]] = [:]
        while let packet = try reader.nextPacket() {
            let decoded = PacketDecoder.decode(packet)
            let frame = packet.frameNumber
            var tcpSegment: (Segment, IPAddress, IPAddress, [UInt8])? = nil
            if let ip = decoded.ipv4, ip.isFragment {
                // Test-only IPv4 reassembly: the first fragment holds the TCP header.
                let key = "\(ip.source.description)>\(ip.destination.description)#\(ip.identification)"
                let start = ip.fragmentOffset == 0 ? decoded.payloadOffset - (tcpHeaderLength(decoded) ?? 0) : decoded.payloadOffset
                let bytes = Array(UnsafeRawBufferPointer(rebasing: packet.bytes[start..<(decoded.payloadOffset + decoded.payloadLength)]))
                fragments[key, default: []].append((ip.fragmentOffset, bytes, ip.moreFragments))
                let parts = fragments[key]!.sorted { $0.offset < $1.offset }
                guard parts.contains(where: { !$0.more }), let first = parts.first, first.offset == 0 else { continue }
                var whole: [UInt8] = []
                for p in parts where p.offset == whole.count { whole += p.bytes }
                fragments[key] = nil
                guard ip.protocolNumber == IPProtocol.tcp, whole.count >= 20 else { continue }
                let header = whole.withUnsafeBytes { raw in
                    Segment(
                        sourcePort: raw.u16BE(at: 0), destinationPort: raw.u16BE(at: 2), sequenceNumber: raw.u32BE(at: 4),
                        headerLength: Int(raw[12] >> 4) * 4, flags: raw.u16BE(at: 12) & 0xFFF)
                }
                tcpSegment = (header, ip.source, ip.destination, Array(whole[header.headerLength...]))
            } else if case .tcp(let h) = decoded.transport, let s = decoded.sourceAddress, let d = decoded.destinationAddress {
                let segment = Segment(
                    sourcePort: h.sourcePort, destinationPort: h.destinationPort, sequenceNumber: h.sequenceNumber,
                    headerLength: h.headerLength, flags: h.flags)
                tcpSegment = (segment, s, d, Array(decoded.payload(of: packet.bytes)))
            } else if case .udp(let h) = decoded.transport, let s = decoded.sourceAddress, let d = decoded.destinationAddress {
                result.datagrams.append(UDPDatagram(
                    frame: frame, source: Endpoint(address: s, port: h.sourcePort),
                    destination: Endpoint(address: d, port: h.destinationPort), payload: Array(decoded.payload(of: packet.bytes))))
            }
            guard let (h, s, d, payload) = tcpSegment else { continue }
            let src = Endpoint(address: s, port: h.sourcePort), dst = Endpoint(address: d, port: h.destinationPort)
            let forward = "\(src.address.description):\(src.port)>\(dst.address.description):\(dst.port)"
            let backward = "\(dst.address.description):\(dst.port)>\(src.address.description):\(src.port)"
            let conversationIndex: Int
            let fromInitiator: Bool
            if let i = index[forward] {
                conversationIndex = i; fromInitiator = true
            } else if let i = index[backward] {
                conversationIndex = i; fromInitiator = false
            } else {
                // The SYN's sender (or, without a SYN, the first sender) is the initiator.
                let initiatorIsSource = !(h.isSYN && h.isACK)
                let c = initiatorIsSource
                    ? TCPConversation(initiator: src, responder: dst) : TCPConversation(initiator: dst, responder: src)
                result.conversations.append(c)
                conversationIndex = result.conversations.count - 1
                index[initiatorIsSource ? forward : backward] = conversationIndex
                fromInitiator = initiatorIsSource
            }
            let seqStart = h.sequenceNumber &+ (h.isSYN ? 1 : 0)
            if h.isSYN { nextSeq[forward] = seqStart; continue }
            guard !payload.isEmpty else { continue }
            let expected = nextSeq[forward] ?? seqStart
            let skip = Int(Int32(bitPattern: expected &- seqStart))
            guard skip >= 0, skip < payload.count else { continue }  // retransmission (or a gap: not in these files)
            let fresh = payload[skip...]
            nextSeq[forward] = expected &+ UInt32(fresh.count)
            if fromInitiator {
                result.conversations[conversationIndex].fromInitiator.data += fresh
                result.conversations[conversationIndex].fromInitiator.chunks.append(
                    (result.conversations[conversationIndex].fromInitiator.data.count, frame))
            } else {
                result.conversations[conversationIndex].fromResponder.data += fresh
                result.conversations[conversationIndex].fromResponder.chunks.append(
                    (result.conversations[conversationIndex].fromResponder.data.count, frame))
            }
        }
        return result
    }

    /// The TCP header fields the test reassembly needs.
    struct Segment {
        var sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: UInt32, headerLength: Int, flags: UInt16
        var isSYN: Bool { flags & 0x002 != 0 }
        var isACK: Bool { flags & 0x010 != 0 }
    }

    private static func tcpHeaderLength(_ d: DecodedPacket) -> Int? {
        if case .tcp(let h) = d.transport { return h.headerLength }
        return nil
    }
}

/// Collects visited fields as text, for comparing with tshark's columns.
struct CollectingVisitor: FieldVisitor {
    var fields: [(name: String, value: String)] = []

    mutating func visit(_ name: StaticString, _ value: FieldValue) {
        fields.append((name.description, value.renderedText))
    }

    func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }
    func value(_ name: String) -> String? { values(name).first }
}
