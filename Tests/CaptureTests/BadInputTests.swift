import Capture
import Foundation
import SampleKit
import Testing
import TestSupport

/// Every way a capture file can be damaged: a precise message, and every good packet before the
/// damage (and after it, where the framing survives) still delivered.
struct BadInputTests {
    typealias R = SyntheticFileTests
    static let frame = SyntheticFileTests.frameA

    static func goodPcap(records: Int) -> PcapBuilder {
        var file = PcapBuilder(snapLength: 1000)
        for i in 0..<records { file.add(nanoseconds: Int64(i) * 1_000_000_000, frame: frame) }
        return file
    }

    @Test func missingFile() {
        #expect {
            _ = try CaptureFileReader(path: "/nonexistent/x.pcap")
        } throws: { error in
            let e = error as! CaptureError
            return e.reason == .cannotOpen && e.description.contains("/nonexistent/x.pcap")
                && e.description.contains("No such file")
        }
    }

    @Test func notACaptureFile() throws {
        let url = TestPaths.temporaryFile("not-a-capture")
        try Data("GET / HTTP/1.1\r\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect {
            _ = try CaptureFileReader(path: url.path)
        } throws: { error in
            let e = error as! CaptureError
            return e.reason == .notACapture && e.offset == 0 && e.message.contains("0x47455420")
        }
    }

    @Test func truncatedFileHeader() throws {
        let bytes = Array(Self.goodPcap(records: 0).bytes.prefix(10))
        #expect {
            _ = try R.read(bytes)
        } throws: { error in
            let e = error as! CaptureError
            return e.reason == .truncatedFileHeader && e.message.contains("10 of 24 bytes")
        }
    }

    @Test func truncatedLastRecordKeepsEverythingBefore() throws {
        let full = Self.goodPcap(records: 3).bytes
        let read = try R.read(Array(full.dropLast(7)))
        #expect(read.frames.count == 2)
        #expect(read.errors.count == 1)
        let e = read.errors[0]
        #expect(e.reason == .truncatedRecord)
        #expect(e.isFatal)
        #expect(e.message.contains("frame 3"))
        #expect(e.offset == Int64(24 + 2 * (16 + Self.frame.count)))
    }

    @Test func truncatedRecordHeader() throws {
        let full = Self.goodPcap(records: 2).bytes
        let read = try R.read(Array(full.prefix(24 + 16 + Self.frame.count + 5)))
        #expect(read.frames.count == 1)
        #expect(read.errors.first?.reason == .truncatedRecord)
        #expect(read.errors.first?.message.contains("5 of 16 bytes") == true)
    }

    @Test func recordLongerThanSnapLengthIsSkippedAndReadingGoesOn() throws {
        var file = PcapBuilder(snapLength: 40)
        file.add(nanoseconds: 1, frame: Array(Self.frame.prefix(40)))
        file.add(nanoseconds: 2, frame: Self.frame)  // 45 > 40
        file.add(nanoseconds: 3, frame: Array(Self.frame.prefix(40)))
        let read = try R.read(file.bytes)
        #expect(read.frames.map(\.number) == [1, 3])
        #expect(read.errors.count == 1)
        #expect(read.errors[0].reason == .recordLongerThanSnapLength)
        #expect(read.errors[0].frame == 2)
        #expect(!read.errors[0].isFatal)
        #expect(read.errors[0].offset == Int64(24 + 16 + 40))
    }

    @Test func recordLongerThan256KiBStopsTheFile() throws {
        var file = Self.goodPcap(records: 1)
        file.add(nanoseconds: 5, frame: [1, 2, 3], capturedLength: 300_000)
        let read = try R.read(file.bytes)
        #expect(read.frames.count == 1)
        #expect(read.errors.count == 1)
        #expect(read.errors[0].reason == .recordTooLong)
        #expect(read.errors[0].frame == 2)
        #expect(read.errors[0].message.contains("300000"))
    }

    @Test func pcapngBlockWhoseLengthFieldsDiffer() throws {
        var file = PcapngBuilder()
        file.interface(linkType: 1)
        file.enhancedPacket(interface: 0, units: 1, frame: Self.frame)
        let goodEnd = file.bytes.count
        var body: [UInt8] = []
        body.append32(0, bigEndian: false)
        body += [UInt8](repeating: 0, count: 16)
        file.block(type: 6, body: body, trailingLength: 99)
        let read = try R.read(file.bytes)
        #expect(read.frames.count == 1)
        #expect(read.errors.first?.reason == .blockLengthMismatch)
        #expect(read.errors.first?.offset == Int64(goodEnd))
        #expect(read.errors.first?.message.contains("32 at the start, 99 at the end") == true)
    }

    @Test func pcapngPacketForAnUndeclaredInterfaceIsSkipped() throws {
        var file = PcapngBuilder()
        file.interface(linkType: 1)
        file.enhancedPacket(interface: 4, units: 1, frame: Self.frame)
        file.enhancedPacket(interface: 0, units: 2, frame: Self.frame)
        let read = try R.read(file.bytes)
        #expect(read.frames.map(\.number) == [2])
        #expect(read.errors.first?.reason == .unknownInterface)
        #expect(read.errors.first?.frame == 1)
    }

    /// Cutting a good file at every length never traps, and each cut loses only the damaged tail.
    @Test func everyTruncationOfAGoodFileIsHandled() throws {
        var file = PcapngBuilder()
        file.interface(linkType: 1, name: "eth0")
        for i in 0..<3 { file.enhancedPacket(interface: 0, units: UInt64(i), frame: Self.frame) }
        let bytes = file.bytes
        var previous = 0
        for cut in 0...bytes.count {
            let read: SyntheticFileTests.Read
            do {
                read = try R.read(Array(bytes.prefix(cut)))
            } catch {
                #expect(cut < 28, "only a cut inside the section header may refuse the file (cut \(cut))")
                continue
            }
            #expect(read.frames.count >= previous)
            previous = read.frames.count
            if cut < bytes.count && cut > 28 && read.frames.count < 3 {
                #expect(read.errors.count <= 1)
            }
        }
        #expect(previous == 3)
    }
}
