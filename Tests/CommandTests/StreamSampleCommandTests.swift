import Foundation
import SampleKit
import Testing
import TestSupport

/// The committed TCP stream samples (OSCAR, ICQ peer-to-peer) are the generator's output, and
/// `icqscope read --packets` reads them cleanly: every OSCAR PDU the generator wrote comes out
/// once, with its channel, SNAC family and subtype, the DC info port and the message texts.
@Suite(.serialized) struct StreamSampleCommandTests {
    @Test(arguments: StreamSamples.files.map(\.file))
    func committedSampleIsTheGeneratorsOutput(_ file: String) throws {
        let committed = try Data(contentsOf: TestPaths.root.appendingPathComponent("samples/" + file))
        let generated = StreamSamples.files.first { $0.file == file }!.build()
        #expect(Array(committed) == generated, "run `swift run icqscope-samples` and commit samples/")
        #expect(committed.count < 8192, "samples stay small")
    }

    func read(_ file: String) throws -> (records: [[String: Any]], summary: [String: Any]) {
        let r = try CommandRunner.run(["read", "--packets", "--format", "ndjson", "samples/" + file])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let summary = try #require(r.records(ofType: "summary").first)
        #expect((summary["malformed"] as? [String: Any])?.isEmpty ?? false)
        return (r.records, summary)
    }

    /// Each frame's OSCAR PDUs (one object or an array), in frame order.
    func aim(_ records: [[String: Any]]) -> [(frame: Int, pdus: [[String: Any]])] {
        records.compactMap { record in
            guard record["type"] as? String == "packet", let aim = record["aim"],
                  let frame = (record["frame"] as? [String: Any])?["number"] as? Int else { return nil }
            if let one = aim as? [String: Any] { return (frame, [one]) }
            return (frame, aim as? [[String: Any]] ?? [])
        }
    }

    @Test func oscarSessionEveryPDUOnce() throws {
        let (records, summary) = try read("oscar-session.pcapng")
        #expect(summary["packets"] as? Int == 39)
        let frames = aim(records)
        let pdus = frames.flatMap(\.pdus)
        // `protocols.oscar` counts frames that carry OSCAR.
        #expect((summary["protocols"] as? [String: Any])?["oscar"] as? Int == frames.count)
        func key(_ p: [String: Any]) -> String {
            let channel = p["channel"] as? Int ?? -1
            guard let fnac = p["fnac"] as? [String: Any] else { return "ch\(channel)" }
            return "ch\(channel) \(fnac["family"] as? Int ?? -1),\(fnac["subtype"] as? Int ?? -1)"
        }
        #expect(pdus.map(key) == [
            "ch1", "ch1", "ch4", "ch4",  // login server: hello, sign-on, redirect to the BOS, sign-off
            "ch1", "ch1", "ch2 1,3", "ch2 1,6", "ch2 1,7", "ch2 1,8", "ch2 19,5", "ch2 19,6",
            "ch2 19,7", "ch2 1,30", "ch2 1,2", "ch2 3,11", "ch2 4,6", "ch2 4,7", "ch5", "ch4",
        ])
        // The sign-on: the UIN, the password masked; the login server's answer names the BOS.
        let signOn = pdus[1]["signon"] as? [String: Any]
        #expect(signOn?["screen_name"] as? String == "1001")
        #expect(signOn?["password"] as? String == "********")
        let bos = pdus[2]["bos"] as? [String: Any]
        #expect(bos?["address"] as? String == "198.51.100.11:5190")
        #expect(bos?["cookie_length"] as? Int == 256)
        #expect((pdus[5]["signon"] as? [String: Any])?["cookie_length"] as? Int == 256)
        // FLAP sequence numbers count up per direction.
        let fromClient = [1, 3, 5, 7, 9, 10, 12, 13, 14, 16, 18, 19]
        let seqs = fromClient.dropFirst(4).map { pdus[$0]["seqno"] as? Int ?? -1 }
        #expect(seqs == Array(seqs[0]..<(seqs[0] + seqs.count)))
        // The rate info is split over two segments: reported once, at the frame that completes it.
        let rate = try #require(frames.first { $0.pdus.contains { key($0) == "ch2 1,7" } })
        #expect(rate.frame == 21)
        // Several FLAPs in one segment come out as an array.
        #expect(frames.contains { $0.pdus.map(key) == ["ch2 19,7", "ch2 1,30", "ch2 1,2"] })
        #expect(frames.contains { $0.pdus.map(key) == ["ch2 1,8", "ch2 19,5"] })
        // Own and peer DC info; the texts each way.
        let own = pdus[13]["dcinfo"] as? [String: Any]
        #expect(own?["addr"] as? String == "192.168.1.2")
        #expect(own?["tcpport"] as? Int == Int(OSCARSample.dcPort))
        let buddy = pdus[15]
        #expect(buddy["buddyname"] as? String == "1002")
        #expect((buddy["dcinfo"] as? [String: Any])?["tcpport"] as? Int == Int(ICQScenarios.peerA.tcpPort))
        #expect((buddy["dcinfo"] as? [String: Any])?["addr"] as? String == "10.0.0.20")
        #expect((buddy["userinfo"] as? [String: Any])?["external_ip"] as? String == "198.51.100.20")
        #expect((pdus[16]["messageblock"] as? [String: Any])?["message"] as? String == OSCARSample.messageOut)
        #expect((pdus[17]["messageblock"] as? [String: Any])?["message"] as? String == OSCARSample.messageIn)
        #expect((pdus[16]["icbm"] as? [String: Any])?["channel"] as? Int == 1)
    }

    /// `read` does not decode peer streams yet on this branch (the streams work wires them in):
    /// the peer sample reads cleanly, every frame counted, nothing taken for OSCAR. Its content
    /// is checked with the peer decoder in WireTests (PeerSampleTests).
    @Test func peerSampleReadsCleanly() throws {
        let (records, summary) = try read("peer-file-transfer.pcapng")
        #expect(summary["packets"] as? Int == 35)
        #expect(aim(records).isEmpty)
        #expect((summary["protocols"] as? [String: Any])?["tcp"] as? Int == 35)
    }
}
