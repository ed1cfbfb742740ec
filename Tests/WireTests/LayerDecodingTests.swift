import Bytes
import Capture
import Foundation
import Testing
import Wire
import TestSupport

/// The layer 2–4 decoders against tshark, field by field, on every capture written by other software.
@Suite
struct LayerDecodingTests {
    @Test(arguments: TestPaths.wellFormedCaptures())
    func everyFrameMatchesTshark(_ capture: URL) throws {
        // Columns: frame, ip.src, ip.dst, ipv6.src, ipv6.dst, udp.srcport, udp.dstport, tcp.srcport,
        // tcp.dstport, tcp.flags, tcp.len, tcp.seq_raw, icmp.type, icmp.code, icmpv6.type, icmpv6.code, vlan.id
        let rows = try TestPaths.tsv(TestPaths.fixtures.appendingPathComponent("layers/\(TestPaths.fixtureName(capture)).tsv"))
        var reader = try CaptureFileReader(path: capture.path)
        var index = 0
        var checkedTransport = 0
        while let packet = try reader.nextPacket() {
            let row = rows[index]
            index += 1
            let d = PacketDecoder.decode(packet)
            let where_ = "\(capture.lastPathComponent) frame \(packet.frameNumber)"
            #expect(d.malformation == nil, "\(where_): \(String(describing: d.malformation))")
            #expect(d.ipv4?.source.description ?? "" == row[1], "\(where_) ip.src")
            #expect(d.ipv4?.destination.description ?? "" == row[2], "\(where_) ip.dst")
            #expect(d.ipv6?.source.description ?? "" == row[3], "\(where_) ipv6.src")
            #expect(d.ipv6?.destination.description ?? "" == row[4], "\(where_) ipv6.dst")
            #expect(d.link?.vlanCount ?? 0 > 0 ? String(d.link!.vlanIDs.0) == row[16] : row[16].isEmpty, "\(where_) vlan")
            let isFragment = d.ipv4?.isFragment ?? d.ipv6?.isFragment ?? false
            if isFragment {
                // tshark reassembles IP fragments and shows the transport layer on the last one.
                continue
            }
            switch d.transport {
            case .udp(let h):
                #expect(String(h.sourcePort) == row[5] && String(h.destinationPort) == row[6], "\(where_) udp ports")
                #expect(row[7].isEmpty, "\(where_) tshark saw TCP")
                checkedTransport += 1
            case .tcp(let h):
                #expect(String(h.sourcePort) == row[7] && String(h.destinationPort) == row[8], "\(where_) tcp ports")
                #expect(h.flags == UInt16(row[9].dropFirst(2), radix: 16), "\(where_) tcp.flags")
                #expect(String(d.payloadWireLength) == row[10], "\(where_) tcp.len")
                #expect(String(h.sequenceNumber) == row[11], "\(where_) tcp.seq_raw")
                checkedTransport += 1
            case .icmp(let m):
                #expect(String(m.type) == row[12] && String(m.code) == row[13], "\(where_) icmp")
                if let q = m.quoted, q.protocolNumber == 17 {
                    // tshark dissects the quoted UDP header as udp.*
                    #expect(q.sourcePort.map(String.init) == row[5] && q.destinationPort.map(String.init) == row[6], "\(where_) quoted ports")
                }
                checkedTransport += 1
            case .icmpv6(let m):
                #expect(String(m.type) == row[14] && String(m.code) == row[15], "\(where_) icmpv6")
                checkedTransport += 1
            case nil:
                // Only protocols we do not decode (SCTP) or no IP at all.
                #expect(row[5].isEmpty && row[7].isEmpty && row[12].isEmpty && row[14].isEmpty, "\(where_) transport missed")
            }
        }
        #expect(index == rows.count)
        // SCTP is the one transport we leave undecoded.
        #expect(checkedTransport > 0 || capture.lastPathComponent == "sctp.pcap")
    }
}
