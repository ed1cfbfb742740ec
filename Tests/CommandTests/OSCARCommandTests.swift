import Foundation
import Testing
import TestSupport

/// `read --packets --format ndjson` shows each OSCAR PDU once, with Wireshark's field names,
/// several FLAPs of one frame as an array; secrets are masked unless revealed.
@Suite(.serialized)
struct OSCARCommandTests {
    func aimRecords(_ capture: String, _ extra: [String] = []) throws -> [(frame: Int, pdus: [[String: Any]])] {
        let path = TestPaths.captures.appendingPathComponent(capture).path
        let result = try CommandRunner.run(["read", "--packets", "--format", "ndjson"] + extra + [path])
        #expect(result.status == 0)
        return result.records.compactMap { record in
            guard record["type"] as? String == "packet", let aim = record["aim"],
                  let frame = (record["frame"] as? [String: Any])?["number"] as? Int else { return nil }
            if let one = aim as? [String: Any] { return (frame, [one]) }
            return (frame, aim as? [[String: Any]] ?? [])
        }
    }

    @Test func ndpiOscarEveryFLAPOnceWithWiresharkNames() throws {
        let records = try aimRecords("public/oscar/ndpi_Oscar.pcap")
        #expect(records.reduce(0) { $0 + $1.pdus.count } == 58)
        let frame25 = records.first { $0.frame == 25 }
        #expect(frame25?.pdus.count == 10)
        #expect(frame25?.pdus.map { $0["seqno"] as? Int } == Array(13...22))
        let rate = records.first { $0.frame == 14 }?.pdus.first
        #expect(rate?["datalen"] as? Int == 1651)
        let fnac = rate?["fnac"] as? [String: Any]
        #expect(fnac?["family"] as? Int == 1)
        #expect(fnac?["subtype"] as? Int == 7)
        #expect(fnac?["subtype_name"] as? String == "Rate Info")
    }

    @Test func passwordMaskedUnlessRevealed() throws {
        func password(_ extra: [String]) throws -> String? {
            let signOn = try aimRecords("real-software/oscar__iserverd-climm.pcap", extra).first { $0.frame == 6 }?.pdus.first
            return (signOn?["signon"] as? [String: Any])?["password"] as? String
        }
        #expect(try password([]) == "********")
        #expect(try password(["--reveal-secrets"]) == "pass1003")
    }
}
