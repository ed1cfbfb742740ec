import Foundation
import SampleKit
import Testing

/// The committed ICQ samples under samples/ are the generator's output, and `icqscope read`
/// reads each cleanly and counts the ICQ packets the generator put in.
@Suite(.serialized) struct ICQSampleCommandTests {
    @Test(arguments: ICQSamples.files.map(\.file))
    func committedSampleIsTheGeneratorsOutput(_ file: String) throws {
        let committed = try Data(contentsOf: TestPaths.root.appendingPathComponent("samples/" + file))
        let generated = ICQSamples.files.first { $0.file == file }!.build().bytes
        #expect(Array(committed) == generated, "run `swift run icqscope-samples` and commit samples/")
        #expect(committed.count < 8192, "samples stay small")
    }

    /// Frames and ICQ datagrams per sample. The SOCKS sample's ICQ rides in SOCKS5 UDP datagrams
    /// to the relay port, which `read` does not unwrap yet: its ICQ count is not asserted.
    static let counts: [String: (frames: Int, icq: Int?)] = [
        "icq-v5-session.pcapng": (28, 28),
        "firewall-timeout.pcapng": (42, 42),
        "blocked-peer-port.pcapng": (38, 36),
        "dropped-reply.pcapng": (54, 50),
        "socks-association-lost.pcapng": (39, nil),
    ]

    @Test(arguments: ICQSamples.files.map(\.file))
    func readCountsTheICQPackets(_ file: String) throws {
        let r = try CommandRunner.run(["read", "--format", "ndjson", "samples/" + file])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let summary = try #require(r.records(ofType: "summary").first)
        let expected = try #require(Self.counts[file])
        #expect(summary["packets"] as? Int == expected.frames)
        let protocols = summary["protocols"] as? [String: Any]
        if let icq = expected.icq {
            #expect(protocols?["icq"] as? Int == icq)
            #expect((summary["malformed"] as? [String: Any])?.isEmpty ?? true)
        }
    }
}
