import Bytes
import Capture
import Testing
import TestSupport

@testable import Wire

/// The classic ICQ an ICMP error quotes (`icmp.quoted.icq.*`), against tshark, which dissects
/// the quoted datagram as ICQ.
@Suite
struct QuotedICQTests {
    typealias T = ICQTestSupport
    static let labReject = "samples/lab/timed-out-session-reject/gateway.pcapng"

    static func hex(_ s: String) -> UInt32? {
        s.hasPrefix("0x") ? UInt32(s.dropFirst(2), radix: 16) : UInt32(s)
    }

    /// The gateway's port unreachables quoting the pushes it would no longer forward: the quoted
    /// header is tshark's, field by field, and exactly the frames tshark calls ICQ quote ICQ.
    @Test func quotedHeadersEqualTshark() throws {
        let decoder = ICQDecoder()
        var reader = try CaptureFileReader(path: T.packageRoot.appendingPathComponent(Self.labReject).path)
        var quoted: [UInt64: ICQHeader] = [:]
        var complete: Set<UInt64> = []
        while let packet = try reader.nextPacket() {
            let decoded = PacketDecoder.decode(packet)
            guard case .icmp(let m) = decoded.transport, let q = m.quoted, q.protocolNumber == IPProtocol.udp,
                  let s = q.sourcePort, let d = q.destinationPort else { continue }
            let result = decoder.decodeQuoted(q.udpPayload(of: packet.bytes), wireLength: q.udpPayloadWireLength,
                                              sourcePort: s, destinationPort: d)
            if let h = result.header { quoted[packet.frameNumber] = h }
            if case .packet = result { complete.insert(packet.frameNumber) }
        }
        let rows = try T.tsvRows("lab-timed-out-session-reject.tshark-quoted.tsv")
        #expect(rows.count == 3)
        for row in rows {
            let frame = UInt64(row[0])!
            guard let h = quoted[frame] else {
                Issue.record("frame \(frame): tshark decodes the quoted ICQ, we do not")
                continue
            }
            #expect(String(h.version) == row[3])
            #expect(h.uin.map { String($0) } == row[4])
            #expect(h.sessionID == Self.hex(row[5]))
            #expect(h.direction == .serverToClient && String(h.command) == row[7])
            #expect(UInt32(h.seq1) == Self.hex(row[8]))
            #expect(h.seq2.map(UInt32.init) == Self.hex(row[9]))
            #expect(h.checkcode == Self.hex(row[10]))
        }
        #expect(Set(quoted.keys) == Set(rows.map { UInt64($0[0])! }))
        // Linux quotes the whole datagram (up to 576 bytes): the body decodes too.
        #expect(complete == Set(quoted.keys))
    }

    /// A quote cut short (RFC 792 asks for only 8 bytes after the IP header; routers quote
    /// little) still shows the header once it fits: v5 client packets decrypt with the key made
    /// from the length the quoted UDP header states. Every datagram of the IServerd/mICQ
    /// capture, cut to its header and a few bytes more, gives tshark's header.
    @Test func truncatedQuotesKeepTheHeader() throws {
        let decoder = ICQDecoder()
        let observed = try T.classifyUDP(in: T.capture(ICQCaptureTests.micq))
        let rows = Dictionary(uniqueKeysWithValues: try T.tsvRows("iserverd-micq.tshark-header.tsv").map { (UInt64($0[0])!, $0) })
        var checked = 0
        for o in observed where o.kind == .icq {
            guard let row = rows[o.frame], let full = o.header else { continue }
            let headerLength = full.direction == .clientToServer ? 24 : 21
            for cut in [headerLength, headerLength + 3] where cut < o.payload.count {
                let h = o.payload.withUnsafeBytes { all in
                    decoder.decodeQuoted(UnsafeRawBufferPointer(rebasing: all[0..<cut]), wireLength: all.count,
                                         sourcePort: o.sourcePort, destinationPort: o.destinationPort).header
                }
                guard let h else {
                    Issue.record("frame \(o.frame) cut to \(cut): no header")
                    continue
                }
                #expect(h.uin.map { String($0) } == row[2], "frame \(o.frame)")
                #expect(h.sessionID == Self.hex(row[3]), "frame \(o.frame)")
                #expect(String(h.command) == (row[4].isEmpty ? row[5] : row[4]), "frame \(o.frame)")
                #expect(UInt32(h.seq1) == Self.hex(row[6]) && h.seq2.map(UInt32.init) == Self.hex(row[7]), "frame \(o.frame)")
                checked += 1
            }
            // Shorter than the header: nothing to say.
            let short = o.payload.withUnsafeBytes {
                decoder.decodeQuoted(UnsafeRawBufferPointer(rebasing: $0[0..<(headerLength - 1)]), wireLength: $0.count,
                                     sourcePort: o.sourcePort, destinationPort: o.destinationPort).header
            }
            #expect(short == nil, "frame \(o.frame)")
        }
        #expect(checked > 100)
    }

    /// Off the server ports a quote counts only when it is whole and its v5 checkcode verifies.
    @Test func truncatedQuoteOffServerPortsIsNotICQ() throws {
        let decoder = ICQDecoder()
        let observed = try T.classifyUDP(in: T.capture(ICQCaptureTests.micq))
        let client = try #require(observed.first { $0.kind == .icq && $0.header?.direction == .clientToServer && $0.payload.count > 30 })
        let (whole, cut) = client.payload.withUnsafeBytes { all in
            (decoder.decodeQuoted(all, wireLength: all.count, sourcePort: 40000, destinationPort: 40001).header,
             decoder.decodeQuoted(UnsafeRawBufferPointer(rebasing: all[0..<28]), wireLength: all.count,
                                  sourcePort: 40000, destinationPort: 40001).header)
        }
        #expect(whole == client.header)
        #expect(cut == nil)
    }
}
