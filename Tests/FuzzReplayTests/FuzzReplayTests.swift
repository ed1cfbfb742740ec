import Foundation
import FuzzEntries
import SampleKit
import Testing
import TestSupport

/// Replays each fuzz harness's seed corpus (Fuzz/seeds/<Harness>, and the inputs fuzzing found
/// that once failed, Fuzz/regressions/<Harness>) through the harness's own entry point, and checks
/// that the decoder the harness names really ran on them: a harness whose seeds stopped reaching
/// its decoder (a changed input format, a broken seed script) would fuzz nothing in particular.
struct FuzzReplayTests {
    typealias Entry = (UnsafeRawBufferPointer) -> FuzzTally

    static func inputs(_ harness: String) throws -> [(name: String, bytes: [UInt8])] {
        var found: [(String, [UInt8])] = []
        for folder in ["Fuzz/seeds", "Fuzz/regressions"] {
            let dir = TestPaths.root.appendingPathComponent(folder).appendingPathComponent(harness)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { continue }
            for name in names.sorted() {
                found.append(("\(folder)/\(harness)/\(name)", Array(try Data(contentsOf: dir.appendingPathComponent(name)))))
            }
        }
        return found
    }

    /// Every input of `harness` through `entry`; the tallies summed.
    static func replay(_ harness: String, _ entry: Entry) throws -> (tally: FuzzTally, inputs: Int) {
        let all = try inputs(harness)
        var total = FuzzTally()
        for input in all {
            total = total + input.bytes.withUnsafeBytes { entry($0) }
        }
        return (total, all.count)
    }

    static func has(_ tally: FuzzTally, kind bit: Int) -> Bool { tally.kinds & (1 << UInt64(bit)) != 0 }

    @Test func pcapWalkerReadsItsSeeds() throws {
        let (tally, count) = try Self.replay("FuzzPcap", CaptureEntries.pcap)
        #expect(count >= 10)
        #expect(tally.decoded >= 100, "packets read from the pcap seeds")
        #expect(tally.malformed >= 1, "the damaged seeds are reported as damaged")
        #expect(Self.has(tally, kind: 1), "Ethernet frames")
    }

    @Test func pcapngWalkerReadsItsSeeds() throws {
        let (tally, count) = try Self.replay("FuzzPcapng", CaptureEntries.pcapng)
        #expect(count >= 10)
        #expect(tally.decoded >= 100, "packets read from the pcapng seeds")
    }

    @Test func packetDecoderReachesEachTransport() throws {
        let (tally, _) = try Self.replay("FuzzPacket", PacketEntries.packet)
        #expect(tally.decoded >= 10)
        #expect(Self.has(tally, kind: 0) && Self.has(tally, kind: 1), "UDP and TCP decoded")
        #expect(Self.has(tally, kind: 2) || Self.has(tally, kind: 3), "ICMP or ICMPv6 decoded")
    }

    @Test func icqDecodersDecodeEachVersionAndDirection() throws {
        let (tally, _) = try Self.replay("FuzzICQ", ICQEntries.icq)
        #expect(tally.decoded >= 20)
        #expect(tally.fields > 100, "fields visited")
        // Bits: version × 2 + (0 client→server, 1 server→client).
        #expect(Self.has(tally, kind: 10) && Self.has(tally, kind: 11), "v5 client (decrypted) and server packets")
        #expect(Self.has(tally, kind: 4) || Self.has(tally, kind: 5), "v2 packets")
        #expect(Self.has(tally, kind: 6) || Self.has(tally, kind: 7), "v3 packets")
    }

    @Test func clientCiphersRoundTripTheirSeeds() throws {
        let (tally, count) = try Self.replay("FuzzICQCipher", ICQEntries.clientCipher)
        #expect(count >= 4)
        #expect(Self.has(tally, kind: 40) && Self.has(tally, kind: 41), "both the v4 and the v5 cipher ran")
    }

    @Test func peerDecoderDecodesItsSeeds() throws {
        let (tally, _) = try Self.replay("FuzzPeer", StreamDecoderEntries.peer)
        #expect(tally.decoded >= 10)
        #expect(Self.has(tally, kind: 0), "PEER_INIT decoded")
        #expect(Self.has(tally, kind: 3) || Self.has(tally, kind: 4), "messages or file-transfer packets decoded")
    }

    @Test func oscarFramerCutsItsSeedsIntoFLAPs() throws {
        let (tally, _) = try Self.replay("FuzzOSCARFraming", StreamDecoderEntries.oscarFraming)
        #expect(tally.decoded >= 20, "FLAPs framed and decoded")
        #expect(tally.fields > 100)
    }

    @Test func snacDecoderDecodesItsSeeds() throws {
        let (tally, _) = try Self.replay("FuzzOSCARPDU", StreamDecoderEntries.oscarPDU)
        #expect(tally.decoded >= 10)
        #expect(tally.kinds & 0xFF_FFFF != 0, "SNACs decoded")
    }

    @Test func socksDecoderDecodesItsSeeds() throws {
        let (tally, _) = try Self.replay("FuzzSOCKS", StreamDecoderEntries.socks)
        #expect(tally.decoded >= 10, "SOCKS messages decoded")
        #expect(Self.has(tally, kind: 0) && Self.has(tally, kind: 1), "messages of the client and of the server")
        #expect(Self.has(tally, kind: 2), "a tunnel granted")
    }

    @Test func streamConsumerFindsProtocolsOverReassembly() throws {
        let (tally, _) = try Self.replay("FuzzStream", ReassemblyEntries.stream)
        #expect(tally.decoded >= 20, "PDUs completed over reassembly")
        #expect(Self.has(tally, kind: 0) && Self.has(tally, kind: 1) && Self.has(tally, kind: 2), "OSCAR, SOCKS and peer found")
        #expect(Self.has(tally, kind: 12), "segments out of order (the swapped seeds)")
    }

    @Test func wholeAnalysisRunsOnItsSeeds() throws {
        let (tally, count) = try Self.replay("FuzzAnalysis", { AnalysisEntries.analysis($0) })
        #expect(count >= 10)
        #expect(tally.decoded >= 200, "packets analysed")
        #expect(Self.has(tally, kind: 0), "runs that completed")
    }

    /// The stream harness builds its frames in place; they are the sample generator's, byte for byte.
    @Test func frameArenaBuildsTheFramesFrameBuilderBuilds() {
        var arena = FrameArena(capacity: 0)
        var expected: [[UInt8]] = []
        for (length, flags) in [(0, FrameBuilder.TCPFlags.syn), (1, [.psh, .ack]), (7, .psh), (200, [.fin, .ack])] {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            payload.withUnsafeBytes {
                arena.tcp(from: 0x0A00_0001, 40_000, to: 0x0A00_0002, 5190, sequence: 0xFFFF_FF00 &+ UInt32(length),
                          acknowledgement: 5001, flags: flags.rawValue, payload: $0)
            }
            expected.append(FrameBuilder.tcpFrame(from: 0x0A00_0001, 40_000, to: 0x0A00_0002, 5190,
                                                  sequence: 0xFFFF_FF00 &+ UInt32(length), acknowledgement: 5001,
                                                  flags: flags, payload: payload))
        }
        #expect(arena.ranges.map { Array(arena.bytes[$0]) } == expected)
    }
}
