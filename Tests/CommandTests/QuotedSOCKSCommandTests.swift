import Foundation
import Testing
import TestSupport

/// An ICMP error quoting a datagram relayed through a SOCKS5 UDP association: the quoted SOCKS
/// UDP header (`icmp.quoted.socks.*`) and the classic ICQ behind it (`icmp.quoted.icq.*`),
/// against tshark, which decodes both once it has seen the association. The lab's
/// socks-association-lost recording: dante dropped the association, and its host answers the
/// client's keep-alives to the old relay port with port unreachables, on both gateway sides.
struct QuotedSOCKSCommandTests {
    static let recording = "samples/lab/socks-association-lost/gateway.pcapng"

    static func rows() throws -> [[String]] {
        let url = TestPaths.root.appendingPathComponent("Tests/Fixtures/icq/lab-socks-association-lost.tshark-quoted.tsv")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    static func hex(_ s: String) -> Int? { s.hasPrefix("0x") ? Int(s.dropFirst(2), radix: 16) : Int(s) }

    @Test func quotedSOCKSHeaderAndICQEqualTshark() throws {
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--packets", Self.recording])
        #expect(r.status == 0, "\(r.stderr)")
        var quoted: [Int: [String: Any]] = [:]
        for packet in r.records(ofType: "packet") {
            guard let frame = (packet["frame"] as? [String: Any])?["number"] as? Int,
                  let q = (packet["icmp"] as? [String: Any])?["quoted"] as? [String: Any] else { continue }
            quoted[frame] = q
        }
        let rows = try Self.rows()
        #expect(rows.count == 12)
        for row in rows {
            let frame = Int(row[0])!
            guard let q = quoted[frame], let socks = q["socks"] as? [String: Any], let icq = q["icq"] as? [String: Any] else {
                Issue.record("frame \(frame): \(quoted[frame] ?? [:])")
                continue
            }
            #expect(socks["dst"] as? String == row[3], "frame \(frame)")
            #expect(socks["dstport"] as? Int == Int(row[4]), "frame \(frame)")
            #expect(socks["fragment_number"] as? Int == 0 && socks["address_type"] as? Int == 1, "frame \(frame)")
            #expect(icq["version"] as? Int == Int(row[5]), "frame \(frame)")
            #expect(icq["client"] as? Bool == true, "frame \(frame)")
            #expect(icq["uin"] as? Int == Int(row[6]), "frame \(frame)")
            #expect(icq["sessionid"] as? Int == Self.hex(row[7]), "frame \(frame)")
            #expect(icq["client_cmd"] as? Int == Int(row[8]), "frame \(frame)")
            #expect(icq["seqnum1"] as? Int == Self.hex(row[9]) && icq["seqnum2"] as? Int == Self.hex(row[10]), "frame \(frame)")
            #expect(icq["checkcode"] as? Int == Self.hex(row[11]), "frame \(frame)")
        }
        // Exactly the errors tshark decodes: the recording's other ICMP (pings) quote nothing.
        #expect(Set(quoted.filter { $0.value["socks"] != nil }.keys) == Set(rows.map { Int($0[0])! }))
    }

    /// The text report names the real server behind the relay before the quoted ICQ.
    @Test func textShowsTheRealServerAndTheQuotedICQ() throws {
        let r = try CommandRunner.run(["read", "--packets", Self.recording])
        let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("77 ") }.map(String.init) ?? ""
        #expect(line.hasSuffix("quoting 10.77.1.2:34952 → 10.78.1.4:43919 [SOCKS5 UDP 10.78.1.2:4000] [ICQ v5 C→S CMD_KEEP_ALIVE uin=1001 seq=0x349b/0]"),
                "\(line)")
    }
}
