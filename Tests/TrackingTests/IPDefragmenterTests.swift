import Capture
import Foundation
import SampleKit
import Testing
import Tracking
import Wire
import TestSupport

struct IPDefragmenterTests {
    /// The SOCKS handshake in this capture is cut into tiny IP fragments; tshark reassembles four
    /// datagrams (frame, fragments, TCP payload length, source port).
    @Test
    func reassemblesWhatTsharkReassembles() throws {
        let path = TestPaths.captures.appendingPathComponent("public/socks/arkime_socks5-http-302-frag.pcap").path
        var reader = try CaptureFileReader(path: path)
        let defragmenter = IPDefragmenter()
        var results: [(frame: UInt64, tcpLength: Int, sourcePort: UInt16)] = []
        while let packet = try reader.nextPacket() {
            let decoded = PacketDecoder.decode(packet)
            guard decoded.isFragment else { continue }
            let whole = defragmenter.add(decoded, frame: packet.bytes, time: packet.timestampNanos) { datagram in
                PacketDecoder.decode(datagram, linkType: .raw)
            }
            if let whole, case .tcp(let h) = whole.transport {
                #expect(whole.malformation == nil)
                results.append((packet.frameNumber, whole.payloadLength, h.sourcePort))
            }
        }
        #expect(results.map(\.frame) == [7, 9, 27, 67])
        #expect(results.map(\.tcpLength) == [21, 10, 395, 930])
        #expect(results.map(\.sourcePort) == [1637, 21477, 1637, 21477])
        #expect(defragmenter.counters.reassembled == 4)
        #expect(defragmenter.incomplete == 0)
    }

    static func fragments(of payload: [UInt8], size: Int, id: UInt16) -> [[UInt8]] {
        stride(from: 0, to: payload.count, by: size).map { start in
            let end = min(start + size, payload.count)
            return FrameBuilder.ipv4(source: 0x0A00_0001, destination: 0x0A00_0002, protocolNumber: 17,
                                     identification: id, dontFragment: false, moreFragments: end < payload.count,
                                     fragmentOffset: start, payload: Array(payload[start..<end]))
        }
    }

    static let udpDatagram = FrameBuilder.udp(
        sourcePort: 3000, destinationPort: 4000, payload: (0..<100).map { UInt8($0) },
        pseudoHeader: FrameBuilder.pseudoHeaderV4(source: 0x0A00_0001, destination: 0x0A00_0002, protocolNumber: 17, length: 108))

    @Test func outOfOrderAndDuplicateFragments() {
        var parts = Self.fragments(of: Self.udpDatagram, size: 24, id: 9)
        parts.reverse()
        parts.insert(parts[2], at: 0)  // a duplicate first
        let defragmenter = IPDefragmenter()
        var payloads: [[UInt8]] = []
        for part in parts {
            let decoded = part.withUnsafeBytes { PacketDecoder.decode($0, linkType: .raw) }
            let result: [UInt8]? = part.withUnsafeBytes { frame in
                defragmenter.add(decoded, frame: frame, time: 0) { datagram in
                    let d = PacketDecoder.decode(datagram, linkType: .raw)
                    return Array(d.payload(of: datagram))
                }
            }
            if let result { payloads.append(result) }
        }
        #expect(payloads == [(0..<100).map { UInt8($0) }])
    }

    @Test func incompleteDatagramsExpireAndCapsHold() {
        let defragmenter = IPDefragmenter(maximumPending: 4, timeoutSeconds: 30)
        for id in 0..<10 {
            let first = Self.fragments(of: Self.udpDatagram, size: 24, id: UInt16(id))[0]
            let decoded = first.withUnsafeBytes { PacketDecoder.decode($0, linkType: .raw) }
            let r: Int? = first.withUnsafeBytes { defragmenter.add(decoded, frame: $0, time: Int64(id)) { _ in 1 } }
            #expect(r == nil)
        }
        #expect(defragmenter.incomplete == 4)
        #expect(defragmenter.counters.evictedForCap == 6)
        defragmenter.expire(before: 31_000_000_000)
        #expect(defragmenter.incomplete == 0)
        #expect(defragmenter.counters.timedOut == 4)
    }

    /// Zero-length fragments at distinct offsets add ranges and no bytes: the ranges count
    /// against the byte cap too, so a datagram made of them cannot grow without bound.
    @Test func rangesOfEmptyFragmentsCountAgainstTheByteCap() {
        let defragmenter = IPDefragmenter(maximumPending: 4, maximumBytes: 1_000, timeoutSeconds: 30)
        // 100 empty fragments, 8 bytes apart: 800 bytes of datagram, 100 ranges of their own.
        for k in 1...100 {
            let empty = FrameBuilder.ipv4(source: 0x0A00_0001, destination: 0x0A00_0002, protocolNumber: 17,
                                          identification: 7, dontFragment: false, moreFragments: true,
                                          fragmentOffset: 8 * k, payload: [])
            let decoded = empty.withUnsafeBytes { PacketDecoder.decode($0, linkType: .raw) }
            let r: Int? = empty.withUnsafeBytes { defragmenter.add(decoded, frame: $0, time: Int64(k)) { _ in 1 } }
            #expect(r == nil)
        }
        #expect(defragmenter.counters.evictedForCap > 0)
        #expect(defragmenter.incomplete <= 1)
    }
}
