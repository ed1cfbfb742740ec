import Bytes
import Testing

@testable import Wire

/// The encoder builds what real senders put on the wire: what it writes, the decoder reads back,
/// with valid checkcodes; and the field visitor masks the password unless told otherwise.
@Suite struct ICQEncoderTests {
    typealias T = ICQTestSupport

    /// The encoder reproduces the reference's login vector V5-2 byte for byte.
    @Test func encoderMatchesVectorV52() {
        let parameters = T.bytes(
            "00 CA 9A 3B D2 04 00 00 05 00 74 65 73 74 00 D5 00 00 00 C0 A8 01 02 04 00 00 00 00 06 00 00 00"
                + "EC 01 2C 82 50 00 00 00 03 00 00 00 64 5F A0 3A")
        let packet = ICQEncoder.v5Client(
            uin: 12_345_678, session: 0x1A2B_3C4D, command: 0x03E8, seq1: 0x2F11, seq2: 1,
            parameters: parameters, r1: 0x1E, r2: 0x07)
        #expect(packet == T.bytes(
            "05 00 00 00 00 00 4E 61 BC 00 E8 BA AE E5 5C 85 94 D0 C7 86 FF 97 E9 05 85 35 3F BD 57 FB BC 86"
                + "80 FF CC E3 F6 8B 9C 53 85 FF 8A 46 2D FE A1 82 85 FF C0 86 83 FF C5 86 69 FE 8A 04 D5 FF C2 86"
                + "86 FF 9D 86 E1 A0 01 BC"))
    }

    @Test func loginRoundTripAndPasswordMasking() {
        let decoder = ICQDecoder()
        let packet = ICQEncoder.v5Client(
            uin: 1001, session: 0x27EE_AB0B, command: 0x03E8, seq1: 0x29F7, seq2: 1,
            parameters: ICQParameters.login(time: 0x3A5E_A74F, tcpPort: 40001, password: "secret1", lanIP: 0xC0A8_0102),
            r1: ICQEncoder.clientR1(random: 12345, length: 24 + 51), r2: 0x99)
        packet.withUnsafeBytes { payload in
            guard let p = decoder.classify(payload, sourcePort: 1100, destinationPort: 4000).packet else {
                Issue.record("login not decoded")
                return
            }
            #expect(p.checkcodeValid == true)
            #expect(p.summary() == "v5 C→S CMD_LOGIN uin=1001 seq=0x29f7/1 tcp_port=40001 lan_ip=192.168.1.2 mode=direct dc=6 status=online password=********")
            #expect(p.summary(revealSecrets: true).hasSuffix("password=\"secret1\""))
            var visitor = Collect()
            p.visitFields(&visitor, revealSecrets: false)
            let masked = visitor.fields
            #expect(masked["icq.login.password"] == "********")
            #expect(masked["icq.login.port"] == "40001")
            #expect(masked["icq.login.ip"] == "192.168.1.2")
            #expect(masked["icq.uin"] == "1001" && masked["icq.sessionid"] == String(0x27EE_AB0B))
            #expect(masked["icq.client_cmd"] == "1000" && masked["icq.cmd_name"] == "CMD_LOGIN")
            #expect(masked["icq.checkcode_valid"] == "true" && masked["icq.login.dc_version"] == "6")
            var revealing = Collect()
            p.visitFields(&revealing, revealSecrets: true)
            #expect(revealing.fields["icq.login.password"] == "secret1")
            // Fields of one group come together, so a streaming writer opens each group once.
            var groups: [String] = []
            for name in visitor.names {
                let parts = name.split(separator: ".")
                let group = parts.count > 2 ? String(parts[1]) : ""
                if group != groups.last { groups.append(group) }
            }
            #expect(Set(groups.filter { !$0.isEmpty }).count == groups.filter { !$0.isEmpty }.count)
        }
    }

    /// A server session piece: login reply, a multi-packet with a user-online and a delivered
    /// message inside, each inner packet decoded like a standalone one.
    @Test func serverPacketsAndMultiPacket() {
        let decoder = ICQDecoder()
        let reply = ICQEncoder.v5Server(
            session: 5, command: 0x005A, seq1: 0, seq2: 1, uin: 1001,
            parameters: ICQParameters.loginReply(externalIP: 0xC633_6407), r1: 0x15, r2: 3)
        #expect(decoder.classify(reply, sourcePort: 4000, destinationPort: 1100).packet?.body
            == .loginReply(ICQLoginReply(externalIP: IPAddress(ipv4: 0xC633_6407), keepAliveHint: 110)))
        let online = ICQEncoder.v5Server(
            session: 5, command: 0x006E, seq1: 1, seq2: 0, uin: 1001,
            parameters: ICQParameters.userOnline(uin: 1002, externalIP: 0xC633_6408, tcpPort: 40002, lanIP: 0x0A00_0003),
            r1: 0x20, r2: 4)
        let message = ICQEncoder.v5Server(
            session: 5, command: 0x0104, seq1: 2, seq2: 0, uin: 1001,
            parameters: ICQParameters.message(uin: 1002, text: "Grüße"), r1: 0x19, r2: 5)
        let multi = ICQEncoder.v5Server(
            session: 5, command: 0x0212, seq1: 3, seq2: 0, uin: 1001,
            parameters: ICQParameters.multi([online, message]), r1: 2, r2: 6)
        multi.withUnsafeBytes { payload in
            guard let p = decoder.classify(payload, sourcePort: 4000, destinationPort: 1100).packet else {
                Issue.record("multi not decoded")
                return
            }
            #expect(p.checkcodeValid == true && p.body == .multi(ICQMultiPacket(count: 2, firstEntryOffset: 22)))
            var inner: [String] = []
            ICQDecoder.forEachInnerPacket(of: p) { index, result in
                guard let q = result.packet else {
                    Issue.record("inner \(index): \(result)")
                    return
                }
                #expect(q.checkcodeValid == true)
                inner.append(q.summary())
            }
            #expect(inner == [
                "v5 S→C SRV_USER_ONLINE uin=1001 seq=0x0001/0 peer=1002 ip=198.51.100.8 tcp_port=40002 lan_ip=10.0.0.3 mode=direct dc=6 status=online",
                "v5 S→C SRV_SYS_DELIVERED_MESS uin=1001 seq=0x0002/0 from=1002 type=MSG_TEXT text=\"Grüße\"",
            ])
        }
    }
}
