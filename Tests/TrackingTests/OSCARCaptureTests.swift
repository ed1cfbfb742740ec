import Bytes
import Capture
import Testing
import Tracking
import Wire

@Suite
struct OSCARCaptureTests {
    @Test func ndpiOscarMatchesTsharkPerPDU() throws {
        let (sink, table) = try decodeOSCAR(FixtureCaptures.path("public/oscar/ndpi_Oscar.pcap"))
        let expected = try loadFixture("ndpi_Oscar.tshark-pdus.tsv")
        #expect(expected.count == 58)
        #expect(sink.rows == expected)
        // Ten FLAPs completed by frame 25, the 1651-byte rate info completed by frame 14.
        #expect(sink.rows.filter { $0.frame == 25 }.count == 10)
        #expect(sink.rows.first { $0.frame == 14 }?.datalen == "1651")
        // The gap between frames 25 and 26 is reported in both directions, then decoding resumes.
        let gaps = sink.gaps.filter { $0.gap.reason == .acknowledgedUnseen }
        #expect(gaps.count == 2)
        #expect(Set(gaps.map(\.from.port)) == [443, 63357])
        #expect(gaps.first { $0.from.port == 63357 }?.gap.lostBytes == 10780 - 1029)
        #expect(gaps.first { $0.from.port == 443 }?.gap.lostBytes == 64350 - 3010)
        #expect(table.counters.gaps == 2)
    }

    @Test func ndpiOscarMatchesTsharkFrameTable() throws {
        // The frame-level table shipped beside the capture: one line per frame, FLAPs joined by "|".
        let (sink, _) = try decodeOSCAR(FixtureCaptures.path("public/oscar/ndpi_Oscar.pcap"))
        let text = try String(contentsOfFile: FixtureCaptures.path("public/oscar/ndpi_Oscar.tshark-flap.tsv"), encoding: .utf8)
        var checked = 0
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let frame = UInt64(f[0])!
            let mine = sink.rows.filter { $0.frame == frame }
            #expect(mine.map(\.channel).joined(separator: "|") == f[3], "frame \(frame)")
            #expect(mine.map(\.seqno).joined(separator: "|") == f[4], "frame \(frame)")
            #expect(mine.map(\.datalen).joined(separator: "|") == f[5], "frame \(frame)")
            #expect(mine.map(\.family).joined(separator: "|") == f[6], "frame \(frame)")
            #expect(mine.map(\.subtype).joined(separator: "|") == f[7], "frame \(frame)")
            #expect(mine.map(\.flags).joined(separator: "|") == f[8], "frame \(frame)")
            #expect(mine.map(\.id).joined(separator: "|") == f[9], "frame \(frame)")
            checked += 1
        }
        #expect(checked == 37)
    }

    /// The pyserver capture has holes of its own (tshark: "ACKed unseen segment"): its second BOS
    /// connection starts without a SYN, and four times ~0.15–1.1 MB of both directions are missing.
    /// Every PDU after each hole must still come out. (A jump larger than the buffer gives up only
    /// as much as makes room, then the ACK proves the rest lost: two gaps per such hole.)
    @Test(arguments: [
        ("real-software/oscar__iserverd-climm.pcap", "iserverd-climm.tshark-pdus.tsv", 0),
        ("real-software/oscar__pyserver-micq-sample.pcap", "pyserver-micq.tshark-pdus.tsv", 15),
        ("real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap", "iserverd-micq-peer-socks.tshark-pdus.tsv", 0),
    ])
    func realSoftwareMatchesTshark(capture: String, fixture: String, gaps: Int) throws {
        let (sink, table) = try decodeOSCAR(FixtureCaptures.path(capture))
        // tshark also decodes the OSCAR that the SOCKS dissector finds tunnelled on port 1080;
        // that belongs to the SOCKS decoder, not to OSCAR found on a direct connection.
        let expected = try loadFixture(fixture).filter { $0.srcport != 1080 && $0.dstport != 1080 }
        #expect(!expected.isEmpty)
        // Matched by (direction, FLAP sequence), as the captures README says; frames must agree too.
        func keyed(_ rows: [PDURow]) -> [String: PDURow] {
            Dictionary(rows.map { ("\($0.srcport)>\($0.dstport)#\($0.seqno)", $0) }, uniquingKeysWith: { a, _ in a })
        }
        let mine = keyed(sink.rows)
        let theirs = keyed(expected)
        #expect(mine.count == sink.rows.count, "no (direction, seq) reported twice")
        // Compared key by key (a failed #expect on two large dictionaries is unreadable).
        let missing = theirs.keys.filter { mine[$0] == nil }.sorted()
        let extra = mine.keys.filter { theirs[$0] == nil }.sorted()
        let different = theirs.keys.filter { mine[$0] != nil && mine[$0] != theirs[$0] }.sorted()
        #expect(missing.isEmpty, "tshark has, we lack: \(missing.prefix(5).map { theirs[$0]!.description })")
        #expect(extra.isEmpty, "we have, tshark lacks: \(extra.prefix(5).map { mine[$0]!.description })")
        let differences = different.prefix(5).map { key in mine[key]!.description + " vs " + theirs[key]!.description }
        #expect(different.isEmpty, "differ: \(differences)")
        #expect(table.counters.gaps == gaps)
        #expect(sink.gaps.filter { $0.gap.reason != .midstreamStart }.count == gaps)
        #expect(sink.gaps.allSatisfy { [.acknowledgedUnseen, .bufferFull, .midstreamStart].contains($0.gap.reason) })
    }

    @Test(arguments: [
        "public/negative/ndpi_fix.pcap",
        "public/negative/arkime_wireshark-retrans.pcap",
        "public/negative/aiengine_icq.pcapng",
        "public/negative/ndpi_nomachine.pcapng",
    ])
    func negativesHaveNoOSCAR(capture: String) throws {
        let (sink, table) = try decodeOSCAR(FixtureCaptures.path(capture))
        #expect(sink.pdus == 0)
        // Recognised as not OSCAR from the first bytes: nothing is buffered for them.
        #expect(table.bufferedBytes == 0)
    }
}
