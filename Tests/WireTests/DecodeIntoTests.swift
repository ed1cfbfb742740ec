import Bytes
import Capture
import SampleKit
import Testing
import Wire
import TestSupport

/// `decode(_:into:)` is the per-packet loop's form of `decode(_:)`: it must give the same answer
/// and keep nothing of the packet decoded into the same value before.
struct DecodeIntoTests {
    @Test
    func reusedValueEqualsFreshValueOnEverySharedCapture() throws {
        var checked = 0
        for capture in TestPaths.wellFormedCaptures() {
            var reader = try CaptureFileReader(path: capture.path)
            var reused = DecodedPacket()
            while true {
                let next: CapturedPacket?
                do { next = try reader.nextPacket() } catch { if error.isFatal { break } else { continue } }
                guard let packet = next else { break }
                PacketDecoder.decode(packet, into: &reused)
                let fresh = PacketDecoder.decode(packet)
                #expect(String(describing: reused) == String(describing: fresh),
                        "\(capture.lastPathComponent) frame \(packet.frameNumber)")
                checked += 1
            }
        }
        #expect(checked > 0)
    }

    @Test func nothingCarriesOverFromThePreviousPacket() {
        let tcp = FrameBuilder.tcpFrame(from: 0xC0A8_0102, 40000, to: 0xC633_6404, 5190, sequence: 1,
                                        acknowledgement: 2, flags: [.ack, .psh], payload: [1, 2, 3, 4],
                                        options: [2, 4, 0x05, 0xB4])
        let cut: [UInt8] = Array(tcp.prefix(10))  // shorter than an Ethernet header
        var decoded = DecodedPacket()
        tcp.withUnsafeBytes { PacketDecoder.decode($0, linkType: .ethernet, into: &decoded) }
        #expect(decoded.payloadLength == 4)
        guard case .tcp = decoded.transport else { Issue.record("no tcp"); return }

        cut.withUnsafeBytes { PacketDecoder.decode($0, linkType: .ethernet, into: &decoded) }
        #expect(decoded.network == nil)
        #expect(decoded.transport == nil)
        #expect(decoded.payloadOffset == 0 && decoded.payloadLength == 0 && decoded.payloadWireLength == 0)
        #expect(decoded.malformation == Malformation(.link, at: 0, "ethernet header truncated"))
    }
}
