import Foundation
import SampleKit
import Testing
import TestSupport

/// Classic ICQ through `icqscope read`: NDJSON fields, password masking, summary counts,
/// `--icq-port`, and the negatives.
@Suite(.serialized)
struct ICQCommandTests {
    static let micq = TestPaths.captures.appendingPathComponent("real-software/icqv5-udp-and-peer-v6__iserverd-micq.pcap").path
    static let nomachine = TestPaths.captures.appendingPathComponent("public/negative/ndpi_nomachine.pcapng").path

    @Test func ndjsonCarriesWiresharkFieldsAndMasksThePassword() throws {
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--packets", Self.micq])
        #expect(r.status == 0)
        let packets = r.records(ofType: "packet")
        // 90 classic ICQ datagrams (UDP); the TCP frames' "icq" holds only the peer-to-peer "peer".
        #expect(packets.filter { $0["icq"] != nil && $0["udp"] != nil }.count == 90)
        #expect(packets.filter { ($0["icq"] as? [String: Any])?["peer"] != nil }.count == 10)
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

    /// A SRV_MULTI_PACKET (built by ICQEncoder: a user-online and a delivered message inside) makes
    /// `icq` an array in NDJSON: the outer packet, then the inner ones in wire order.
    @Test func multiPacketIsAnArray() throws {
        let multi = Array(hexString:
            "05000005000000120203000000e9030000b906ff00024600050000050000006e0001000000e90300009a04ff20ea030000"
                + "c6336408429c00000a000003040000000006000000000000005000000003000000000000000000000000000000200005"
                + "000005000000040102000000e90300009d05fe18ea03000001000300486900")
        var pcap = PcapBuilder()
        let udp = FrameBuilder.udp(sourcePort: 4000, destinationPort: 1100, payload: multi, pseudoHeader: [])
        let ip = FrameBuilder.ipv4(source: 0xC633_6401, destination: 0xC0A8_0102, protocolNumber: 17, payload: udp)
        pcap.add(nanoseconds: 1_000_000_000, frame: FrameBuilder.ethernet(etherType: 0x0800, payload: ip))
        let url = TestPaths.temporaryFile("icq-multi.pcap")
        try Data(pcap.bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--packets", url.path])
        let icq = try #require(r.records(ofType: "packet").first?["icq"] as? [[String: Any]])
        #expect(icq.count == 3)
        #expect(icq.map { $0["cmd_name"] as? String } == ["SRV_MULTI_PACKET", "SRV_USER_ONLINE", "SRV_SYS_DELIVERED_MESS"])
        #expect((icq[0]["multi"] as? [String: Any])?["num_packets"] as? Int == 2)
        #expect((icq[1]["user_online"] as? [String: Any])?["port"] as? Int == 40002)
        #expect(icq[2]["msg"] as? String == "Hi" && icq[2]["sender_uin"] as? Int == 1002)
        #expect(icq.allSatisfy { $0["checkcode_valid"] as? Bool == true })
        let summary = try #require(r.records(ofType: "summary").first?["icq"] as? [String: Any])
        #expect((summary["commands"] as? [String: Any])?["SRV_USER_ONLINE"] as? Int == 1)
    }
}

extension Array where Element == UInt8 {
    init(hexString: String) {
        self = stride(from: 0, to: hexString.count, by: 2).map {
            let start = hexString.index(hexString.startIndex, offsetBy: $0)
            return UInt8(hexString[start..<hexString.index(start, offsetBy: 2)], radix: 16)!
        }
    }
}
