import Bytes
import Capture
import Foundation
import Testing
import TestSupport

/// Our own reader against tshark's view of every capture written by other software, and
/// against libpcap reading the same files.
@Suite
struct SharedCaptureTests {
    struct Frame: Equatable {
        var number: UInt64
        var nanos: Int64
        var length: Int
        var capturedLength: Int
        var interface: Int
    }

    static func readAll(_ path: String) throws -> [Frame] {
        var reader = try CaptureFileReader(path: path)
        var frames: [Frame] = []
        while let p = try reader.nextPacket() {
            frames.append(Frame(number: p.frameNumber, nanos: p.timestampNanos, length: p.originalLength,
                                capturedLength: p.capturedLength, interface: p.interfaceIndex))
        }
        return frames
    }

    /// "1703593377.933911008" -> nanoseconds, exactly.
    static func nanos(_ text: String) -> Int64 {
        let parts = text.split(separator: ".")
        let fraction = parts.count > 1 ? String(parts[1]).padding(toLength: 9, withPad: "0", startingAt: 0) : "0"
        return Int64(parts[0])! * 1_000_000_000 + Int64(fraction)!
    }

    @Test func everySharedCaptureIsCovered() throws {
        let captures = TestPaths.wellFormedCaptures()
        #expect(captures.count >= 28)
        for capture in captures {
            let fixture = TestPaths.fixtures.appendingPathComponent("frames/\(TestPaths.fixtureName(capture)).tsv")
            #expect(FileManager.default.fileExists(atPath: fixture.path), "no tshark fixture for \(capture.lastPathComponent)")
        }
    }

    @Test(arguments: TestPaths.wellFormedCaptures())
    func framesEqualTshark(_ capture: URL) throws {
        let expected = try TestPaths.tsv(TestPaths.fixtures.appendingPathComponent("frames/\(TestPaths.fixtureName(capture)).tsv"))
            .map { Frame(number: UInt64($0[0])!, nanos: Self.nanos($0[1]), length: Int($0[2])!,
                         capturedLength: Int($0[3])!, interface: Int($0[4]) ?? 0) }
        let frames = try Self.readAll(capture.path)
        #expect(frames.count == expected.count)
        for (ours, theirs) in zip(frames, expected) where ours != theirs {
            Issue.record("\(capture.lastPathComponent) frame \(theirs.number): ours \(ours), tshark \(theirs)")
            break
        }
    }

    /// Our walker and libpcap's `pcap_next_ex` hand on exactly the same packets.
    @Test(arguments: TestPaths.wellFormedCaptures())
    func libpcapAgreesPacketForPacket(_ capture: URL) throws {
        var ours = try CaptureFileReader(path: capture.path)
        var theirs = try LibpcapFileReader(path: capture.path)
        var count = 0
        while true {
            let a = try ours.nextPacket()
            let b = try theirs.nextPacket()
            guard let a, let b else {
                let bothEnded = a == nil && b == nil
                #expect(bothEnded, "\(capture.lastPathComponent): one reader ended early at \(count)")
                break
            }
            count += 1
            #expect(a.frameNumber == b.frameNumber)
            #expect(a.timestampNanos == b.timestampNanos, "frame \(a.frameNumber) time")
            #expect(a.originalLength == b.originalLength)
            #expect(a.linkType == b.linkType)
            #expect(Array(a.bytes) == Array(b.bytes), "frame \(a.frameNumber) bytes")
        }
        #expect(count > 0)
    }
}
