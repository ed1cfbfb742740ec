import Bytes
import Capture
import Testing
import Tracking
import Wire

/// Streams built from the real captures with their segments cut up, reordered, duplicated,
/// overlapped and dropped: the same PDUs must come out, or a gap must be reported; never a trap,
/// and the buffers never exceed their caps.
@Suite
struct ReassemblyPerturbationTests {
    static let captures = [
        "public/oscar/ndpi_Oscar.pcap",
        "real-software/oscar__iserverd-climm.pcap",
        "real-software/oscar__pyserver-micq-sample.pcap",
        "real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap",
    ]

    func baseline(_ frames: [StoredFrame]) -> [PDURow: Int] {
        count(decodeOSCAR(frames: frames).0.rows)
    }

    func count(_ rows: [PDURow]) -> [PDURow: Int] {
        var result: [PDURow: Int] = [:]
        for row in rows { result[row.withoutFrame, default: 0] += 1 }
        return result
    }

    @Test(arguments: captures)
    func reorderedDuplicatedOverlappingGiveTheSamePDUs(capture: String) throws {
        let frames = try loadFrames(FixtureCaptures.path(capture))
        let (intact, _) = decodeOSCAR(frames: frames)
        let expected = count(intact.rows)
        #expect(!expected.isEmpty)
        // On a connection picked up mid-stream, the first segment seen fixes where the stream
        // starts: if a piece of it was reordered behind a later one, that direction's first
        // PDU is lost. Only those PDUs may be missing.
        var firstOfMidstream = Set<PDURow>()
        for start in intact.gaps where start.gap.reason == .midstreamStart {
            if let first = intact.rows.first(where: { $0.srcport == start.from.port && $0.dstport == start.to.port }) {
                firstOfMidstream.insert(first.withoutFrame)
            }
        }
        for seed in UInt64(1)...8 {
            let (shuffled, _) = SegmentShuffler().rewrite(frames, seed: seed)
            let (sink, table) = decodeOSCAR(frames: shuffled)
            let got = count(sink.rows)
            let missing = expected.filter { got[$0.key, default: 0] < $0.value && !firstOfMidstream.contains($0.key) }
                .map(\.key.description)
            let extra = got.filter { expected[$0.key, default: 0] < $0.value }.map(\.key.description)
            #expect(missing.isEmpty && extra.isEmpty, "seed \(seed): missing \(missing) extra \(extra)")
            #expect(table.counters.duplicateBytes + table.counters.overlapBytes > 0, "seed \(seed) exercised nothing")
            #expect(table.counters.outOfOrderSegments > 0)
        }
    }

    @Test(arguments: captures)
    func missingSegmentsAreReportedAsGaps(capture: String) throws {
        let frames = try loadFrames(FixtureCaptures.path(capture))
        let expected = baseline(frames)
        let baselineGaps = decodeOSCAR(frames: frames).1.counters.gaps
        for seed in UInt64(100)...105 {
            let (damaged, dropped) = SegmentShuffler(duplicateChance: 0, dropChance: 0.03).rewrite(frames, seed: seed)
            let (sink, table) = decodeOSCAR(frames: damaged)
            let got = count(sink.rows)
            // Nothing invented: every PDU is one the intact capture has (or OSCAR tunnelled through
            // SOCKS on 1080, found by resynchronising when the SOCKS handshake was lost).
            #expect(got.allSatisfy { expected[$0.key, default: 0] >= $0.value || $0.key.touches1080 }, "seed \(seed)")
            let lost = expected.values.reduce(0, +) - got.values.reduce(0, +)
            if dropped > 0 && lost > 0 {
                #expect(table.counters.gaps > baselineGaps, "seed \(seed): PDUs lost without a gap")
            }
            // A dropped piece costs the PDUs it touches and at most a few more while resynchronising.
            #expect(lost <= 3 * dropped, "seed \(seed): \(lost) PDUs lost for \(dropped) dropped pieces")
        }
    }

    @Test(arguments: captures)
    func tinyCapsForceCountedGapsAndBoundMemory(capture: String) throws {
        let frames = try loadFrames(FixtureCaptures.path(capture))
        let expected = baseline(frames)
        let limits = StreamLimits(bytesPerDirection: 256, holesPerDirection: 2, maxStreams: 3,
                                  maxTotalBytes: 3 * 2 * 256)
        let (shuffled, _) = SegmentShuffler(maxPieces: 6).rewrite(frames, seed: 7)
        let table = makeOSCARTable(limits)
        var sink = OSCARCollector()
        var peak = 0
        for frame in shuffled {
            frame.bytes.withUnsafeBytes { bytes in
                table.ingest(PacketDecoder.decode(bytes, linkType: frame.linkType), frame: frame.number, bytes: bytes,
                             sink: &sink)
            }
            peak = max(peak, table.bufferedBytes)
            #expect(table.allocatedBufferBytes <= limits.maxTotalBytes)
        }
        table.finishAll(frame: UInt64(shuffled.count), sink: &sink)
        #expect(peak <= limits.maxTotalBytes)
        #expect(table.streamCount <= 3)
        // Every PDU that came out is a real one; what the caps cost is counted.
        #expect(count(sink.rows).allSatisfy { expected[$0.key, default: 0] >= $0.value || $0.key.touches1080 })
        let counters = table.counters
        #expect(counters.capGaps > 0 || table.streamsEvicted > 0)
        #expect(counters.capGaps == 0 || counters.capGapBytes > 0)
    }
}

extension PDURow {
    var touches1080: Bool { srcport == 1080 || dstport == 1080 }
}
