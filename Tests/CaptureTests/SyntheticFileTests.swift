import Capture
import Foundation
import SampleKit
import Testing
import TestSupport

/// Files written by our own builder, covering every format variant the reader claims.
struct SyntheticFileTests {
    static let frameA = FrameBuilder.udpFrame(from: 0x0A00_0001, 1111, to: 0x0A00_0002, 4000, payload: [1, 2, 3])
    static let frameB = FrameBuilder.udpFrame(from: 0x0A00_0002, 4000, to: 0x0A00_0001, 1111, payload: [4, 5, 6, 7, 8])

    struct Read {
        var frames: [(number: UInt64, nanos: Int64, interface: Int, link: LinkType, bytes: [UInt8], original: Int)] = []
        var interfaces: [CaptureInterface] = []
        var errors: [CaptureError] = []
    }

    /// Reads a whole file the way the command does: non-fatal errors skip a record, fatal ones stop.
    static func read(_ bytes: [UInt8], name: String = UUID().uuidString) throws -> Read {
        let url = TestPaths.temporaryFile(name)
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var reader = try CaptureFileReader(path: url.path)
        var result = Read()
        while true {
            do {
                guard let p = try reader.nextPacket() else { break }
                result.frames.append((p.frameNumber, p.timestampNanos, p.interfaceIndex, p.linkType, Array(p.bytes), p.originalLength))
            } catch {
                result.errors.append(error)
                if error.isFatal { break }
            }
        }
        result.interfaces = reader.interfaces
        return result
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func classicPcapInEveryByteOrderAndResolution(bigEndian: Bool, nanosecond: Bool) throws {
        var file = PcapBuilder(snapLength: 65535, bigEndian: bigEndian, nanosecond: nanosecond)
        file.add(nanoseconds: 1_700_000_000_123_456_789, frame: Self.frameA)
        file.add(nanoseconds: 1_700_000_001_000_001_999, frame: Self.frameB, originalLength: 1500)
        let read = try Self.read(file.bytes)
        #expect(read.errors.isEmpty)
        #expect(read.frames.count == 2)
        // Microsecond files lose the last three digits, as the format does.
        #expect(read.frames[0].nanos == (nanosecond ? 1_700_000_000_123_456_789 : 1_700_000_000_123_456_000))
        #expect(read.frames[1].nanos == (nanosecond ? 1_700_000_001_000_001_999 : 1_700_000_001_000_001_000))
        #expect(read.frames[0].bytes == Self.frameA)
        #expect(read.frames[1].bytes == Self.frameB)
        #expect(read.frames[1].original == 1500)
        #expect(read.interfaces.first?.snapLength == 65535)
        #expect(read.interfaces.first?.linkType == .ethernet)
    }

    @Test(arguments: [false, true])
    func pcapngWithTwoInterfacesOfDifferentLinkTypesAndResolutions(bigEndian: Bool) throws {
        var file = PcapngBuilder(bigEndian: bigEndian)
        file.interface(linkType: 1, name: "eth0", resolution: 9)
        file.interface(linkType: 101, name: "tun0", resolution: 6, offsetSeconds: 10)
        file.nameResolution()
        file.enhancedPacket(interface: 0, units: 1_700_000_000_123_456_789, frame: Self.frameA)
        file.customBlock(payload: [9, 9, 9])
        let rawIP = Array(Self.frameB.dropFirst(14))
        file.enhancedPacket(interface: 1, units: 1_700_000_000_500_000, frame: rawIP)
        file.interfaceStatistics(interface: 0, received: 10, interfaceDropped: 3, osDropped: 2)
        let read = try Self.read(file.bytes)
        #expect(read.errors.isEmpty)
        #expect(read.frames.count == 2)
        #expect(read.frames[0].nanos == 1_700_000_000_123_456_789)
        #expect(read.frames[0].link == .ethernet)
        #expect(read.frames[0].interface == 0)
        // µs units plus the 10 s if_tsoffset.
        #expect(read.frames[1].nanos == 1_700_000_010_500_000_000)
        #expect(read.frames[1].link == .raw)
        #expect(read.frames[1].interface == 1)
        #expect(read.frames[1].bytes == rawIP)
        #expect(read.interfaces.map(\.name) == ["eth0", "tun0"])
        #expect(read.interfaces[0].statistics?.received == 10)
        #expect(read.interfaces[0].statistics?.interfaceDropped == 3)
        #expect(read.interfaces[0].statistics?.osDropped == 2)
        #expect(read.interfaces[1].statistics == nil)
    }

    @Test func pcapngSectionsOfDifferentByteOrderEachKeepTheirInterfaces() throws {
        var file = PcapngBuilder(bigEndian: false)
        file.interface(linkType: 1, name: "a")
        file.enhancedPacket(interface: 0, units: 1_000_000, frame: Self.frameA)
        file.section(bigEndian: true)
        file.interface(linkType: 1, name: "b", resolution: 3)
        file.enhancedPacket(interface: 0, units: 2_000, frame: Self.frameB)
        let read = try Self.read(file.bytes)
        #expect(read.errors.isEmpty)
        #expect(read.frames.map(\.interface) == [0, 1])
        #expect(read.frames.map(\.nanos) == [1_000_000_000, 2_000_000_000])
        #expect(read.interfaces.map(\.name) == ["a", "b"])
    }

    @Test func pcapngSimpleAndObsoletePacketBlocks() throws {
        var file = PcapngBuilder()
        file.interface(linkType: 1, snapLength: 40)
        file.simplePacket(frame: Self.frameA)  // 45 bytes, cut to the 40-byte snap length
        file.obsoletePacket(interface: 0, units: 5_000_000, frame: Array(Self.frameB.prefix(40)))
        let read = try Self.read(file.bytes)
        #expect(read.errors.isEmpty)
        #expect(read.frames.count == 2)
        #expect(read.frames[0].bytes == Array(Self.frameA.prefix(40)))
        #expect(read.frames[0].original == Self.frameA.count)
        #expect(read.frames[1].nanos == 5_000_000_000)
    }

    @Test func powerOfTwoResolution() throws {
        var file = PcapngBuilder()
        file.interface(linkType: 1, resolution: 0x80 | 10)  // 1/1024 s
        file.enhancedPacket(interface: 0, units: 1024 * 3 + 512, frame: Self.frameA)
        let read = try Self.read(file.bytes)
        #expect(read.frames.first?.nanos == 3_500_000_000)
    }

    @Test func standardInputIsReadLikeAFile() throws {
        var file = PcapBuilder()
        file.add(nanoseconds: 1_000_000_000, frame: Self.frameA)
        var pipe: [Int32] = [0, 0]
        #expect(Glibc.pipe(&pipe) == 0)
        let bytes = file.bytes
        let writeEnd = pipe[1]
        let writer = Thread {
            bytes.withUnsafeBytes { _ = Glibc.write(writeEnd, $0.baseAddress, $0.count) }
            close(writeEnd)
        }
        writer.start()
        var reader = try CaptureFileReader(input: ChunkedInput(fd: pipe[0], ownsDescriptor: true), name: "-")
        let packet = try reader.nextPacket()
        #expect(packet.map { Array($0.bytes) } == Self.frameA)
        #expect(try reader.nextPacket()?.frameNumber == nil)
    }

    /// Records crossing the chunk boundary many times: a file far larger than the 1 MiB buffer.
    @Test func recordsStraddlingChunksAreReadWhole() throws {
        var file = PcapBuilder()
        var random = SeededRandom(seed: 7)
        var expected: [[UInt8]] = []
        for i in 0..<3000 {
            let size = Int.random(in: 60...1514, using: &random)
            let frame = (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ i) }
            expected.append(frame)
            file.add(nanoseconds: Int64(i) * 1000, frame: frame)
        }
        let read = try Self.read(file.bytes)
        #expect(read.frames.count == 3000)
        #expect(read.frames.map(\.bytes) == expected)
    }
}

