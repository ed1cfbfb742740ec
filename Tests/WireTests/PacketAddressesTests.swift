import Bytes
import Capture
import SampleKit
import Testing
import TestSupport
import Wire

/// `PacketDecoder.addresses` (the shards' read of every frame) must say what `decode` says
/// of a frame's addresses and fragmentation: on every frame of every capture here, and on the
/// Ethernet IPv4 headers its shortcut reads, cut and bent.
struct PacketAddressesTests {
    static func agree(_ bytes: [UInt8], _ linkType: LinkType) -> Bool {
        bytes.withUnsafeBytes { raw in
            let full = PacketDecoder.decode(raw, linkType: linkType)
            let light = PacketDecoder.addresses(raw, linkType: linkType)
            guard let source = full.sourceAddress, let destination = full.destinationAddress else { return light == nil }
            return light?.source == source && light?.destination == destination && light?.isFragment == full.isFragment
        }
    }

    @Test func agreesWithDecodeOnEveryFrameOfEveryCapture() throws {
        var frames = 0, withAddresses = 0
        for capture in TestPaths.allCaptures() {
            guard var reader = try? CaptureFileReader(path: capture.path) else { continue }
            while true {
                let next: CapturedPacket?
                do { next = try reader.nextPacket() } catch { if error.isFatal { break } else { continue } }
                guard let packet = next else { break }
                let bytes = Array(packet.bytes)
                #expect(Self.agree(bytes, packet.linkType), "\(capture.lastPathComponent) frame \(packet.frameNumber)")
                frames += 1
                if bytes.withUnsafeBytes({ PacketDecoder.addresses($0, linkType: packet.linkType) }) != nil { withAddresses += 1 }
            }
        }
        #expect(frames > 1_000)
        #expect(withAddresses > frames / 2)
    }

    @Test func agreesWithDecodeOnCutAndBentIPv4Headers() {
        let frame = FrameBuilder.tcpFrame(from: 0xC0A8_0102, 40000, to: 0xC633_6404, 5190, sequence: 1,
                                          acknowledgement: 2, flags: [.ack], payload: [1, 2, 3])
        var cases: [[UInt8]] = (0...frame.count).map { Array(frame.prefix($0)) }
        for versionAndLength: UInt8 in [0x45, 0x46, 0x4F, 0x44, 0x40, 0x65, 0x35] {
            var bent = frame
            bent[14] = versionAndLength
            cases.append(bent)
        }
        for flags: UInt16 in [0x2000, 0x0001, 0x4000, 0x1FFF, 0x8000] {
            var bent = frame
            bent[20] = UInt8(flags >> 8)
            bent[21] = UInt8(flags & 0xFF)
            cases.append(bent)
        }
        var tagged = frame
        tagged.replaceSubrange(12..<12, with: [0x81, 0x00, 0x00, 0x05])
        cases.append(tagged)
        for bytes in cases {
            #expect(Self.agree(bytes, .ethernet), "\(bytes.count) bytes, byte 14 \(bytes.count > 14 ? bytes[14] : 0)")
        }
        #expect(frame.withUnsafeBytes { PacketDecoder.addresses($0, linkType: .ethernet) }?.source == IPAddress(ipv4: 0xC0A8_0102))
        #expect(tagged.withUnsafeBytes { PacketDecoder.addresses($0, linkType: .ethernet) }?.destination == IPAddress(ipv4: 0xC633_6404))
    }
}
