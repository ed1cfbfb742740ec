import Bytes
import Testing

@testable import Wire

/// Truncated and corrupted datagrams: every outcome is ICQ, malformed with a reason, or not ICQ;
/// never a trap. Random input comes from a fixed seed so that failures reproduce.
@Suite struct ICQRobustnessTests {
    typealias T = ICQTestSupport

    /// One valid datagram of every header form, with the ports that make it that form.
    static let forms: [(name: String, bytes: [UInt8], from: UInt16, to: UInt16, header: Int)] = [
        ("v5 client", T.bytes(
            "05 00 00 00 00 00 4E 61 BC 00 E8 BA AE E5 5C 85 94 D0 C7 86 FF 97 E9 05 85 35 3F BD 57 FB BC 86"
                + "80 FF CC E3 F6 8B 9C 53 85 FF 8A 46 2D FE A1 82 85 FF C0 86 83 FF C5 86 69 FE 8A 04 D5 FF C2 86"
                + "86 FF 9D 86 E1 A0 01 BC"), 1100, 4000, 24),
        ("v5 server", T.bytes("05 00 00 1F 11 95 86 0A 00 F7 29 01 00 8F E4 5E 00 48 9E 7B 05"), 4000, 1100, 21),
        ("v4 client", T.bytes("04 00 19 F4 50 5C 6D AA 07 00 00 00 4E 61 BC 00 B8 4A 41 13 BE BA FE CA"), 1100, 4000, 20),
        ("v3", T.bytes("03 00 2E 04 07 00 00 00 8F E4 5E 00 00 00 00 00"), 1100, 4000, 16),
        ("v2 client", T.bytes("02 00 2E 04 07 00 8F E4 5E 00"), 1100, 4000, 10),
        ("v2 server", T.bytes("02 00 6E 00 0B 00 8F 76 20 00 CD CD 77 90 3F 50 00 00 7F 00 00 01 04 00 00 00 00 03 00 00 00"), 4000, 1100, 6),
    ]

    /// Every prefix shorter than the header, from 0 bytes, is malformed "truncated_header".
    @Test func everyTruncatedHeaderIsMalformed() {
        let decoder = ICQDecoder()
        for form in Self.forms {
            let full = decoder.classify(form.bytes, sourcePort: form.from, destinationPort: form.to)
            #expect(full.isICQ, "\(form.name) itself decodes")
            for length in 0..<form.header {
                let result = decoder.classify(Array(form.bytes[..<length]), sourcePort: form.from, destinationPort: form.to)
                #expect(result.reasonText == "truncated_header", "\(form.name) cut to \(length) bytes: \(result)")
            }
        }
    }

    /// Bodies cut short: a login cut anywhere inside its fixed fields is malformed with a body
    /// reason; the v5 client packet is re-encrypted for each length so that its checkcode holds.
    @Test func truncatedLoginBodies() {
        let decoder = ICQDecoder()
        let full = ICQEncoder.v5ClientPlaintext(
            uin: 1001, session: 0x1234_5678, command: 0x03E8, seq1: 0x100, seq2: 1,
            parameters: ICQParameters.login(time: 1, tcpPort: 40001, password: "pass1001", lanIP: 0x0A00_0002))
        // Fixed fields end after the status: 24 + 4 + 4 + (2 + 9) + 4 + 4 + 1 + 4.
        let fixedEnd = 24 + 8 + 11 + 13
        for length in 25..<fixedEnd {
            var packet = Array(full[..<length])
            packet.withUnsafeMutableBytes { _ = ICQV5Cipher.encryptClient($0, r1: 0x18, r2: 7) }
            let result = decoder.classify(packet, sourcePort: 1100, destinationPort: 4000)
            let reason = result.reasonText
            #expect(reason == "truncated_body" || reason == "string_overrun", "login cut to \(length): \(result)")
        }
    }

    /// Lengths inside bodies that overrun the datagram.
    @Test func overrunningLengths() {
        let decoder = ICQDecoder()
        func client(_ command: UInt16, _ parameters: [UInt8]) -> ICQClassification {
            var p = ICQEncoder.v5ClientPlaintext(uin: 7, session: 9, command: command, seq1: 1, seq2: 1, parameters: parameters)
            p.withUnsafeMutableBytes { _ = ICQV5Cipher.encryptClient($0, r1: 0x18, r2: 1) }
            return decoder.classify(p, sourcePort: 1100, destinationPort: 4000)
        }
        #expect(client(0x0406, [200, 1, 0, 0, 0]).reasonText == "uin_list_overrun")
        #expect(client(0x010E, [1, 0, 0, 0, 1, 0, 0xFF, 0x7F, 0x41]).reasonText == "string_overrun")
        #expect(client(0x0438, [0x10, 0x00, 0x41]).reasonText == "string_overrun")
        let inner = ICQEncoder.v5Server(session: 9, command: 0x000A, seq1: 1, seq2: 1, uin: 7, parameters: [], r1: 3, r2: 9)
        let multi = ICQEncoder.v5Server(
            session: 9, command: 0x0212, seq1: 2, seq2: 0, uin: 7,
            parameters: [2, UInt8(inner.count), 0] + inner + [0xFF, 0x00], r1: 3, r2: 9)
        #expect(decoder.classify(multi, sourcePort: 4000, destinationPort: 1100).reasonText == "multi_packet_overrun")
    }

    /// Random bytes after a valid header of every form, any length up to 300: the decoder
    /// returns; a malformed result always names its reason and an offset inside the datagram.
    @Test func randomBodiesAfterValidHeaders() {
        var rng = T.SeededRandom(state: 0x1CC5_C09E)
        let decoder = ICQDecoder()
        var outcomes = [String: Int]()
        for _ in 0..<3000 {
            let form = Self.forms[Int(rng.next() % UInt64(Self.forms.count))]
            var bytes = Array(form.bytes[..<form.header])
            bytes += (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if form.name == "v5 client", bytes.count > 0x18 {
                // A sender's packet: header fields in clear, then a valid checkcode over the random body.
                bytes.withUnsafeMutableBytes { raw in
                    let plain = T.bytes("05 00 00 00 00 00 4E 61 BC 00 4D 3C 2B 1A E8 03 11 2F 01 00 00 00 00 00")
                    for i in 0..<24 { raw[i] = plain[i] }
                    let command: [UInt16] = [0x03E8, 0x010E, 0x0406, 0x0438, 0x064A, 0x041A, 0x0424, 0x015E, 0x000A]
                    raw.storeBytes(of: command[Int(rng.next() % 9)].littleEndian, toByteOffset: 0x0E, as: UInt16.self)
                    let r1 = ICQEncoder.clientR1(random: UInt32(truncatingIfNeeded: rng.next()), length: raw.count)
                    _ = ICQV5Cipher.encryptClient(raw, r1: r1, r2: UInt8(truncatingIfNeeded: rng.next()))
                }
            }
            let result = decoder.classify(bytes, sourcePort: form.from, destinationPort: form.to)
            switch result {
            case .icq: outcomes["icq", default: 0] += 1
            case .malformed(let m, _):
                #expect(!m.reason.description.isEmpty && m.offset >= 0 && m.offset <= bytes.count)
                outcomes[m.reason.description, default: 0] += 1
            case .notICQ: outcomes["not", default: 0] += 1
            }
            // Multi-packets decode their entries without trapping too.
            bytes.withUnsafeBytes { raw in
                if case .icq(let p) = decoder.classify(raw, sourcePort: form.from, destinationPort: form.to) {
                    ICQDecoder.forEachInnerPacket(of: p) { _, _ in }
                    var visitor = Collect()
                    p.visitFields(&visitor, revealSecrets: true)
                    _ = p.summary()
                }
            }
        }
        #expect(outcomes["icq", default: 0] > 0)
        #expect(outcomes.keys.contains("string_overrun") || outcomes.keys.contains("truncated_body"))
    }

    /// Flipped bytes in real encrypted client packets: a flipped byte past the clear header is
    /// caught by the checkcode (malformed "checkcode") or makes the bytes unrecognisable; a
    /// flipped byte in the UIN (part of the checkcode's input) likewise.
    @Test func corruptedClientPacketsFailTheCheckcode() {
        var rng = T.SeededRandom(state: 7)
        let decoder = ICQDecoder()
        let original = Self.forms[0].bytes
        var caught = 0
        for _ in 0..<500 {
            var bytes = original
            let at = 6 + Int(rng.next() % UInt64(bytes.count - 6))
            bytes[at] ^= UInt8(1 + rng.next() % 255)
            switch decoder.classify(bytes, sourcePort: 1100, destinationPort: 4000) {
            case .icq(let p):
                // Only possible when the flip misses both bytes the checkcode covers.
                #expect(p.checkcodeValid == true)
            case .malformed(let m, _):
                #expect(["checkcode", "truncated_body", "string_overrun"].contains(m.reason.description))
                caught += 1
            case .notICQ:
                caught += 1
            }
        }
        #expect(caught > 0)
    }

    /// Arbitrary datagrams on the server port: never a trap.
    @Test func randomDatagramsOnServerPort() {
        var rng = T.SeededRandom(state: 4000)
        let decoder = ICQDecoder()
        for i in 0..<5000 {
            var bytes = (0..<Int(rng.next() % 120)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if bytes.count >= 2 && i % 2 == 0 { bytes[0] = UInt8(2 + rng.next() % 4); bytes[1] = 0 }
            let result = decoder.classify(bytes, sourcePort: UInt16(i % 2 == 0 ? 1100 : 4000), destinationPort: i % 2 == 0 ? 4000 : 1100)
            if case .malformed(let m, _) = result { #expect(!m.reason.description.isEmpty) }
        }
    }
}

/// A field visitor that keeps rendered fields, for tests.
struct Collect: FieldVisitor {
    var fields: [String: String] = [:]
    var names: [String] = []
    mutating func visit(_ name: StaticString, _ value: FieldValue) {
        fields["\(name)"] = value.renderedText
        names.append("\(name)")
    }
}
