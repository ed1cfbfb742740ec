import Foundation
import Testing

/// Classic ICQ through `icqscope read`: NDJSON fields, password masking, summary counts,
/// `--icq-port`, and the negatives.
@Suite(.serialized, .enabled(if: TestPaths.sharedPresent, "needs ../shared/captures (present in CI)"))
struct ICQCommandTests {
    static let micq = TestPaths.captures.appendingPathComponent("real-software/icqv5-udp-and-peer-v6__iserverd-micq.pcap").path
    static let nomachine = TestPaths.captures.appendingPathComponent("public/negative/ndpi_nomachine.pcapng").path

    @Test func ndjsonCarriesWiresharkFieldsAndMasksThePassword() throws {
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--packets", Self.micq])
        #expect(r.status == 0)
        let packets = r.records(ofType: "packet")
        #expect(packets.filter { $0["icq"] != nil }.count == 90)
        let login = try #require(packets.first?["icq"] as? [String: Any])
        #expect(login["version"] as? Int == 5 && login["uin"] as? Int == 1001)
        #expect(login["sessionid"] as? Int == 0x27EE_AB0B && login["client_cmd"] as? Int == 1000)
        #expect(login["cmd_name"] as? String == "CMD_LOGIN" && login["checkcode_valid"] as? Bool == true)
        #expect(login["seqnum1"] as? Int == 0x386C && login["seqnum2"] as? Int == 1 && login["checkcode"] as? Int == 0xD108_D858)
        let fields = try #require(login["login"] as? [String: Any])
        #expect(fields["port"] as? Int == 40001 && fields["ip"] as? String == "1.0.0.127")
        #expect(fields["password"] as? String == "********")
        #expect(!r.stdout.contains("pass1001"))
        let online = try #require(packets[12]["icq"] as? [String: Any])
        let peer = try #require(online["user_online"] as? [String: Any])
        #expect(peer["ip"] as? String == "127.0.0.1" && peer["port"] as? Int == 40002 && peer["realip"] as? String == "1.0.0.127")
        let summary = try #require(r.records(ofType: "summary").first)
        let icq = try #require(summary["icq"] as? [String: Any])
        #expect((icq["versions"] as? [String: Any])?["v5"] as? Int == 90)
        #expect((icq["commands"] as? [String: Any])?["CMD_LOGIN"] as? Int == 3)
        #expect((summary["protocols"] as? [String: Any])?["icq"] as? Int == 90)
    }

    @Test func revealSecretsShowsThePassword() throws {
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--packets", "--reveal-secrets", Self.micq])
        let login = r.records(ofType: "packet").first?["icq"] as? [String: Any]
        #expect((login?["login"] as? [String: Any])?["password"] as? String == "pass1001")
        let text = try CommandRunner.run(["read", "--packets", Self.micq])
        #expect(text.stdout.contains("ICQ v5 C→S CMD_LOGIN uin=1001 seq=0x386c/1 tcp_port=40001"))
        #expect(text.stdout.contains("password=********") && !text.stdout.contains("pass1001"))
        #expect(text.stdout.contains("icq          v5 90; CMD_ACK 22,"))
    }

    /// NoMachine on UDP 4000: no ICQ, not even malformed ICQ.
    @Test func noMachineIsNotICQ() throws {
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--packets", Self.nomachine])
        #expect(r.status == 0)
        #expect(r.records(ofType: "packet").allSatisfy { $0["icq"] == nil })
        let summary = r.records(ofType: "summary").first
        #expect(summary?["icq"] == nil)
        #expect((summary?["malformed"] as? [String: Any])?.keys.contains { $0.hasPrefix("icq") } == false)
    }

    /// `--icq-port` is repeatable and adds to 4000 (the classifier's handling of extra server
    /// ports is tested in WireTests); a value that is not a port is a usage error.
    @Test func icqPortOption() throws {
        let relayed = TestPaths.captures.appendingPathComponent("real-software/icqv5-udp-and-peer-v6__iserverd-micq.pcap").path
        let r = try CommandRunner.run(["read", "--icq-port", "4000", "--icq-port", "5000", relayed])
        #expect(r.status == 0 && r.stdout.contains("icq          v5 90"))
        let bad = try CommandRunner.run(["read", "--icq-port", "notaport", relayed])
        #expect(bad.status == 64)
    }
}
