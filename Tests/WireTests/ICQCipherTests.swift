import Bytes
import Testing

@testable import Wire

/// The v5 and v4 ciphers against every test vector of docs/protocol.md#test-vectors, both directions,
/// and the tables against the reference's bytes and SHA-256 digests.
@Suite struct ICQCipherTests {
    typealias T = ICQTestSupport

    /// docs/protocol.md#v5-table: the table as hex, and its SHA-256.
    @Test func v5TableMatchesReference() {
        let hex = """
            5960376b6562464853614c5960575b3d5e346d36503f6f6753614c5940476339
            505f5f3f6f47436948333164355a4a425640675341076c49583b4d4668436948
            333144656246485341076c69483351545d4e6c49384b554a6246483351346d36
            505f5f5f3f6f4763594067333164355a6a526e3c51346d36505f5f3f4f374b35
            5a4a6266583b4d66585b5d4e6c49583b4d66583b4d464853614c594067333164
            556a323e4445526e3c3164556a524e6c694853614c39306f47635960575b3d3e
            64353a3a5a6a524e6c694853616c49583b4d46686339505f5f3f6f6753412541
            3c51543d5e545d4e4c39505f5f5f3f6f474369483351545d6e3c3164355a0000
            """
        #expect(ICQV5Cipher.table == T.bytes(hex))
        #expect(SHA256.hex(ICQV5Cipher.table) == "b8f915aeee55478dad7d907d065b323d535f1d0383611403bd6e4e4e09c35f92")
    }

    @Test func v4TableMatchesReferenceDigest() {
        #expect(ICQV4Cipher.table.count == 256)
        #expect(SHA256.hex(ICQV4Cipher.table) == "2bbcc0cb540e8514a56a147fe38a8ef36f2ecca61291ccbb1bfe35db0d1111f2")
    }

    @Test func scrambleIsAPermutationAndMatchesTheRealLogin() {
        // V5-REAL: scrambled on the wire 0x35DB7438 ↔ checkcode 0x6AFC3217.
        #expect(ICQV5Cipher.unscramble(0x35DB_7438) == 0x6AFC_3217)
        #expect(ICQV5Cipher.scramble(0x6AFC_3217) == 0x35DB_7438)
        var rng = T.SeededRandom(state: 42)
        for _ in 0..<1000 {
            let c = UInt32(truncatingIfNeeded: rng.next())
            #expect(ICQV5Cipher.unscramble(ICQV5Cipher.scramble(c)) == c)
        }
        // A permutation moves every single bit to exactly one place.
        var seen: UInt32 = 0
        for bit in 0..<32 { seen |= ICQV5Cipher.scramble(1 << UInt32(bit)) }
        #expect(seen == 0xFFFF_FFFF)
    }

    struct V5Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var plaintext: String
        var ciphertext: String
        var r1: Int
        var r2: UInt8
        var checkcode: UInt32
        var scrambled: UInt32
        var key: UInt32
        var testDescription: String { name }
    }

    /// The real ICQ 99-era login of docs/protocol.md#cmd-login (plaintext as published, checkcode
    /// bytes zeroed as the sender had them) and the synthetic vectors.
    static let v5Vectors: [V5Vector] = [
        V5Vector(
            name: "V5-REAL",
            plaintext: """
                05 00 00 00 00 00 8F E4 5E 00 1F 11 95 86 E8 03 F7 29 01 00 00 00 00 00 4F A7 5E 3A 90 75 00 00
                07 00 64 64 64 64 64 64 00 3F 01 0B 00 0A 0A 0A 02 04 00 00 03 00 06 00 00 00 00 00 00 00 02 00
                3F 01 50 00 00 00 03 00 00 00 84 89 03 38 05 0E C1 37 00 00 00 00 00 00 00 00 1F 00 49 43 51 20
                49 6E 63 2E 20 2D 20 50 72 6F 64 75 63 74 20 6F 66 20 49 43 51 20 28 54 4D 29 00
                """,
            ciphertext: """
                05 00 00 00 00 00 8F E4 5E 00 58 5B 22 15 BE 49 40 BA 69 4A 38 74 DB 35 F8 34 19 70 27 E6 5E 4A
                B0 93 3E 2E D3 F7 5A 2E B7 AC 2D 41 B7 99 4F 40 B5 97 62 4A B4 93 61 4A B7 93 48 4A B7 93 66 4A
                88 92 6F 4A B7 93 40 4A B7 93 E3 C3 B4 AB 49 44 76 A4 67 4A B7 93 50 4A B7 93 5C 4A FE D0 39 6A
                FE FD 39 64 97 BE 62 1A C5 FC 06 3F D4 E7 10 25 D1 B3 20 09 E6 B3 40 1E FA BA 5A
                """,
            r1: 0x34, r2: 0x32, checkcode: 0x6AFC_3217, scrambled: 0x35DB_7438, key: 0x93B7_49FB),
        V5Vector(
            name: "V5-1 keep-alive",
            plaintext: "05 00 00 00 00 00 4E 61 BC 00 4D 3C 2B 1A 2E 04 10 2F 00 00 00 00 00 00 EF BE AD DE",
            ciphertext: "05 00 00 00 00 00 4E 61 BC 00 5C 23 03 15 0E 1B 38 20 32 1F E0 5D 29 40 C7 B1 BC C1",
            r1: 0x18, r2: 0x42, checkcode: 0xA410_42F5, scrambled: 0x4029_5DE0, key: 0x0F28_1EC5),
        V5Vector(
            name: "V5-2 login",
            plaintext: """
                05 00 00 00 00 00 4E 61 BC 00 4D 3C 2B 1A E8 03 11 2F 01 00 00 00 00 00 00 CA 9A 3B D2 04 00 00
                05 00 74 65 73 74 00 D5 00 00 00 C0 A8 01 02 04 00 00 00 00 06 00 00 00 EC 01 2C 82 50 00 00 00
                03 00 00 00 64 5F A0 3A
                """,
            ciphertext: """
                05 00 00 00 00 00 4E 61 BC 00 E8 BA AE E5 5C 85 94 D0 C7 86 FF 97 E9 05 85 35 3F BD 57 FB BC 86
                80 FF CC E3 F6 8B 9C 53 85 FF 8A 46 2D FE A1 82 85 FF C0 86 83 FF C5 86 69 FE 8A 04 D5 FF C2 86
                86 FF 9D 86 E1 A0 01 BC
                """,
            r1: 0x1E, r2: 0x07, checkcode: 0xA2FF_07F9, scrambled: 0x05E9_97FF, key: 0xFF85_8659),
    ]

    @Test(arguments: v5Vectors) func v5Encrypt(_ v: V5Vector) {
        var bytes = T.bytes(v.plaintext)
        let checkcode = bytes.withUnsafeMutableBytes { ICQV5Cipher.encryptClient($0, r1: v.r1, r2: v.r2) }
        #expect(checkcode == v.checkcode)
        #expect(bytes == T.bytes(v.ciphertext))
        #expect(ICQV5Cipher.scramble(v.checkcode) == v.scrambled)
        #expect(ICQV5Cipher.key(checkcode: v.checkcode, length: bytes.count) == v.key)
    }

    @Test(arguments: v5Vectors) func v5Decrypt(_ v: V5Vector) {
        let wire = T.bytes(v.ciphertext)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 8)
        defer { scratch.deallocate() }
        let (checkcode, key) = wire.withUnsafeBytes { ICQV5Cipher.decryptClient($0, into: scratch) }
        #expect(checkcode == v.checkcode)
        #expect(key == v.key)
        let plain = Array(UnsafeRawBufferPointer(rebasing: scratch[0..<wire.count]))
        #expect(plain == T.bytes(v.plaintext))
        let valid = plain.withUnsafeBytes {
            ICQV5Cipher.isValid(checkcode: checkcode, plaintext: $0, checkcodeOffset: 0x14)
        }
        #expect(valid)
        // The decoder reaches the same plaintext and says the checkcode is valid.
        let decoder = ICQDecoder()
        let packet = decoder.classify(wire, sourcePort: 1100, destinationPort: 4000).packet
        #expect(packet?.checkcodeValid == true)
        #expect(packet?.plainCheckcode == v.checkcode)
        #expect(packet?.header.checkcode == v.scrambled)
        #expect(packet.map { Array($0.bytes) } == T.bytes(v.plaintext))
    }

    /// docs/protocol.md#cmd-login: the AOL server's SRV_ACK to the real login; its plain checkcode
    /// validates.
    @Test func realAOLServerAckCheckcode() {
        let ack = T.bytes("05 00 00 1F 11 95 86 0A 00 F7 29 01 00 8F E4 5E 00 48 9E 7B 05")
        let valid = ack.withUnsafeBytes {
            ICQV5Cipher.isValid(checkcode: 0x057B_9E48, plaintext: $0, checkcodeOffset: 0x11)
        }
        #expect(valid)
        ack.withUnsafeBytes { payload in
            let result = ICQDecoder().classify(payload, sourcePort: 4000, destinationPort: 1100)
            guard case .icq(let p) = result else {
                Issue.record("the AOL SRV_ACK was not decoded: \(result)")
                return
            }
            #expect(p.header.command == 0x000A && p.header.seq1 == 0x29F7 && p.header.seq2 == 1)
            #expect(p.header.uin == 6_218_895 && p.header.sessionID == 0x8695_111F)
            #expect(p.checkcodeValid == true)
        }
    }

    static let v4Plain = "04 00 5A 5A 00 00 2E 04 07 00 00 00 4E 61 BC 00 00 00 00 00 BE BA FE CA"
    static let v4Cipher = "04 00 19 F4 50 5C 6D AA 07 00 00 00 4E 61 BC 00 B8 4A 41 13 BE BA FE CA"

    @Test func v4Encrypt() {
        var bytes = T.bytes(Self.v4Plain)
        let checkcode = bytes.withUnsafeMutableBytes { ICQV4Cipher.encrypt($0, r1: 0x14, r2: 0x10) }
        #expect(checkcode == 0x1341_4AB8)
        #expect(ICQV4Cipher.key(checkcode: checkcode, length: 24) == 0xAE43_5C30)
        #expect(bytes == T.bytes(Self.v4Cipher))
    }

    @Test func v4Decrypt() {
        var bytes = T.bytes(Self.v4Cipher)
        let checkcode = bytes.withUnsafeMutableBytes { ICQV4Cipher.decrypt($0) }
        #expect(checkcode == 0x1341_4AB8)
        // Decrypting leaves the checkcode in place at 0x10; everything else is the plaintext.
        var expected = T.bytes(Self.v4Plain)
        expected.replaceSubrange(0x10..<0x14, with: [0xB8, 0x4A, 0x41, 0x13])
        #expect(bytes == expected)
        let packet = ICQDecoder().classify(T.bytes(Self.v4Cipher), sourcePort: 1100, destinationPort: 4000).packet
        #expect(packet?.header.version == 4)
        #expect(packet?.header.command == 0x042E)
        #expect(packet?.header.seq1 == 7 && packet?.header.uin == 12_345_678 && packet?.header.random == 0x5A5A)
        #expect(packet?.checkcodeValid == true)
        #expect(packet?.body == .random(0xCAFE_BABE))
    }
}

/// A small SHA-256 (FIPS 180-4) so the tables can be checked against the reference's digests
/// without a crypto dependency in this test target.
enum SHA256 {
    static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static func hex(_ message: [UInt8]) -> String {
        var h: [UInt32] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
        ]
        var data = message + [0x80]
        while data.count % 64 != 56 { data.append(0) }
        let bits = UInt64(message.count) * 8
        for i in (0..<8).reversed() { data.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        for chunk in stride(from: 0, to: data.count, by: 64) {
            var w = [UInt32](repeating: 0, count: 64)
            for i in 0..<16 {
                let b = chunk + 4 * i
                w[i] = UInt32(data[b]) << 24 | UInt32(data[b + 1]) << 16 | UInt32(data[b + 2]) << 8 | UInt32(data[b + 3])
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
        }
        return h.map { v in
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 8 - s.count) + s
        }.joined()
    }
}
