import Bytes
import Testing
import Wire

/// The byte examples of the protocol reference (docs/protocol.md#oscar-login to
/// #oscar-icq-extensions, from the iserverd documentation), and malformed input that must be
/// refused without a trap.
struct OSCARDecoderTests {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = hex.filter { $0.isHexDigit }
        var out: [UInt8] = []
        var i = digits.startIndex
        while i < digits.endIndex {
            let j = digits.index(i, offsetBy: 2)
            out.append(UInt8(digits[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    static func text(_ b: UnsafeRawBufferPointer?) -> String? { b.map { String(decoding: $0, as: UTF8.self) } }

    @Test func cliIdentExample() {
        var pdu = Self.bytes("2A 01 13 5A 00 83 00 00 00 01 00 01 00 06 37 37 37 37 37 37 00 02 00 08 83 47 F2 B7 4E E9 A9 F6")
        pdu += Array("\u{00}\u{03}\u{00}\u{33}ICQ Inc. - Product of ICQ (TM).2000b.4.65.1.3281.85".utf8)
        pdu += Self.bytes("00 16 00 02 01 0A 00 17 00 02 00 04 00 18 00 02 00 41 00 19 00 02 00 01 00 1A 00 02 0C D1 00 14 00 04 00 00 00 55 00 0F 00 02 65 6E 00 0E 00 02 75 73")
        #expect(pdu.count == 6 + 0x83)
        pdu.withUnsafeBytes { raw in
            guard let decoded = OSCARPDU.decode(raw), case .signOn(let s) = decoded.body else {
                Issue.record("not decoded as sign-on")
                return
            }
            #expect(decoded.flap == FLAPHeader(channel: 1, sequence: 0x135A, dataLength: 0x83))
            #expect(s.flapVersion == 1)
            #expect(Self.text(s.screenName) == "777777")
            #expect(s.roastedPassword.map(PasswordRoasting.unroast) == "password")
            #expect(s.roastedPassword.map { OSCARSecret.password(roasted: $0, reveal: false) } == "********")
            #expect(s.roastedPassword.map { OSCARSecret.password(roasted: $0, reveal: true) } == "password")
            #expect(s.tlvCount == 11)
        }
    }

    @Test func srvCookieExample() {
        var pdu = Self.bytes("2A 04 62 BF 01 21 00 01 00 06 37 37 37 37 37 37 00 05 00 0F")
        pdu += Array("10.10.10.9:5190".utf8)
        pdu += Self.bytes("00 06 01 00") + [UInt8](repeating: 0xAB, count: 256)
        pdu.withUnsafeBytes { raw in
            guard let decoded = OSCARPDU.decode(raw), case .signOff(let r) = decoded.body else {
                Issue.record("not decoded as the login reply")
                return
            }
            #expect(Self.text(r.bosAddress) == "10.10.10.9:5190")
            #expect(r.bosPort == 5190)
            #expect(Self.text(r.bosAddress.map(ServerAddress.host)) == "10.10.10.9")
            #expect(r.bosAddress.map(ServerAddress.host).flatMap(ServerAddress.ipv4) == IPAddress(ipv4: 0x0A0A_0A09))
            #expect(r.cookie?.count == 256)
            #expect(r.errorCode == nil)
        }
    }

    /// A BOS address is followed only when it is a dotted IPv4 address (a host name cannot be
    /// resolved from the capture); anything malformed is no address, never a trap.
    @Test(arguments: [
        ("64.12.161.153", "64.12.161.153"), ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
        ("ibucp-vip-d.blue.aol.com", nil), ("256.1.1.1", nil), ("1.2.3", nil), ("1.2.3.4.5", nil), ("1..2.3", nil),
        ("1.2.3.", nil), ("", nil), ("0001.2.3.4", nil), ("1.2.3.4 ", nil),
    ] as [(String, String?)])
    func bosHostAsIPv4(text: String, expected: String?) {
        let parsed = Array(text.utf8).withUnsafeBytes { ServerAddress.ipv4($0) }
        #expect(parsed?.description == expected)
    }

    @Test func setStatusWithDCInfoExample() {
        let pdu = Self.bytes("""
            2A 02 1F B6 00 41 00 01 00 1E 00 00 00 00 00 1E 00 06 00 04 00 03 00 00
            00 08 00 02 00 00 00 0C 00 25 0A 0A 0A 08 00 00 26 2C 04 00 07 34 F9 C6 54 00 00 00 50 00 00 00 03
            3D DA EE D0 3D E1 8A 3B 00 00 00 00 00 00
            """)
        pdu.withUnsafeBytes { raw in
            guard let decoded = OSCARPDU.decode(raw), case .setStatus(let p) = decoded.body, let dc = p.dcInfo else {
                Issue.record("not decoded as set status with DC info")
                return
            }
            #expect(decoded.snac == SNACHeader(family: 1, subtype: 0x1E, flags: 0, requestID: 0x1E))
            #expect(decoded.snac?.familyName.description == "AIM Generic")
            #expect(decoded.snac?.subtypeName.description == "Set Extended Status Request")
            #expect(p.statusFlags == 0x0003)
            #expect(dc.internalAddress.description == "10.10.10.8")
            #expect(dc.tcpPort == 9772)
            #expect(dc.type == 4)
            #expect(dc.protocolVersion == 7)
            #expect(dc.authCookie == 0x34F9_C654)
        }
    }

    @Test func icqMetaRequestExample() {
        let pdu = Self.bytes("2A 02 79 75 00 1E 00 15 00 02 00 00 00 07 00 02 00 01 00 10 0E 00 8F E4 5E 00 D0 07 08 00 2E 04 06 00 31 32 33 34 35 00")
        pdu.withUnsafeBytes { raw in
            guard let decoded = OSCARPDU.decode(raw), case .icq(let q) = decoded.body else {
                Issue.record("not decoded as ICQ extension")
                return
            }
            #expect(q.chunkSize == 14)
            #expect(q.ownerUIN == 0x005E_E48F)
            #expect(q.requestType == ICQExtension.metaRequest)
            #expect(q.requestSequence == 8)
            #expect(q.metaSubtype == 0x042E)
        }
    }

    @Test func md5LoginAndKey() {
        // SNAC(17,06) key request, (17,07) key, (17,02) login: layout of docs/protocol.md#oscar-login.
        let request = Self.bytes("2A 02 00 01 00 14 00 17 00 06 00 00 00 00 00 01 00 01 00 06") + Array("123456".utf8)
        request.withUnsafeBytes { raw in
            guard case .md5KeyRequest(let name)? = OSCARPDU.decode(raw)?.body else { Issue.record("key request"); return }
            #expect(Self.text(name) == "123456")
        }
        let key = Self.bytes("2A 02 00 02 00 16 00 17 00 07 00 00 00 00 00 01 00 0A") + Array("0123456789".utf8)
        key.withUnsafeBytes { raw in
            guard case .md5Key(let k)? = OSCARPDU.decode(raw)?.body else { Issue.record("key"); return }
            #expect(Self.text(k) == "0123456789")
        }
        let login = Self.bytes("2A 02 00 03 00 2C 00 17 00 02 00 00 00 00 00 02 00 01 00 06") + Array("123456".utf8)
            + Self.bytes("00 25 00 10") + [UInt8](repeating: 0x5A, count: 16) + Self.bytes("00 4C 00 00")
        login.withUnsafeBytes { raw in
            guard case .md5Login(let m)? = OSCARPDU.decode(raw)?.body else { Issue.record("md5 login"); return }
            #expect(Self.text(m.screenName) == "123456")
            #expect(m.passwordHash?.count == 16)
            #expect(m.passwordHash.map { OSCARSecret.hash($0, reveal: false) } == "********")
            #expect(m.passwordHash.map { OSCARSecret.hash($0, reveal: true) } == String(repeating: "5a", count: 16))
            #expect(m.hashesPasswordMD5)
        }
    }

    @Test func redirect() {
        let pdu = Self.bytes("2A 02 00 05 00 2A 00 01 00 05 00 00 00 00 00 01 00 0D 00 02 00 10 00 05 00 0E")
            + Array("10.0.0.1:12345".utf8) + Self.bytes("00 06 00 04 DE AD BE EF")
        pdu.withUnsafeBytes { raw in
            guard case .redirect(let r)? = OSCARPDU.decode(raw)?.body else { Issue.record("redirect"); return }
            #expect(r.family == 0x10)
            #expect(r.port == 12345)
            #expect(r.cookie?.count == 4)
        }
    }

    @Test func framerResynchronisesOnConsecutiveHeaders() {
        // Junk, then two FLAPs numbered 7 and 8.
        let stream = Self.bytes("00 2A 09 11 2A 01 FF") + Self.bytes("2A 05 00 07 00 00") + Self.bytes("2A 05 00 08 00 00")
        stream.withUnsafeBytes { raw in
            var framer = OSCARFramer(midstream: true)
            var offset = 0
            var pdus: [Int] = []
            var guardCount = 0
            while offset < raw.count, guardCount < 100 {
                guardCount += 1
                switch framer.next(UnsafeRawBufferPointer(rebasing: raw[offset...])) {
                case .pdu(let n): pdus.append(offset); offset += n
                case .junk(let n): offset += n
                case .needMore, .notOSCAR: guardCount = 100
                }
            }
            #expect(pdus == [7, 13])
            #expect(framer.junkBytes == 7)
            #expect(framer.resyncCount == 1)
        }
    }

    @Test func notOSCARFromTheFirstBytes() {
        for text in ["GET / HTTP/1.1\r\n", "8=FIX.4.2\u{01}9=65", "NICK bob\r\n", "\u{05}\u{01}\u{00}"] {
            Array(text.utf8).withUnsafeBytes { raw in
                var framer = OSCARFramer()
                guard case .notOSCAR = framer.next(raw) else { Issue.record("\(text) taken for OSCAR"); return }
            }
        }
    }

    @Test func truncatedAndLyingLengthsNeverTrap() {
        // Every prefix of a real PDU, and the PDU with each length byte set to 0xFF.
        var pdu = Self.bytes("""
            2A 02 1F B6 00 41 00 01 00 1E 00 00 00 00 00 1E 00 06 00 04 00 03 00 00
            00 08 00 02 00 00 00 0C 00 25 0A 0A 0A 08 00 00 26 2C 04 00 07 34 F9 C6 54 00 00 00 50 00 00 00 03
            3D DA EE D0 3D E1 8A 3B 00 00 00 00 00 00
            """)
        for n in 0...pdu.count {
            Array(pdu[..<n]).withUnsafeBytes { _ = OSCARPDU.decode($0) }
        }
        for i in 6..<pdu.count {
            let saved = pdu[i]
            pdu[i] = 0xFF
            pdu.withUnsafeBytes { _ = OSCARPDU.decode($0) }
            // Every family and subtype decoder on the same garbage.
            for family: UInt16 in [1, 3, 4, 0x13, 0x15, 0x17] {
                for subtype: UInt16 in 1...0x20 {
                    var copy = pdu
                    copy[6] = UInt8(family >> 8); copy[7] = UInt8(family & 0xFF)
                    copy[8] = 0; copy[9] = UInt8(subtype)
                    copy.withUnsafeBytes { _ = OSCARPDU.decode($0) }
                }
            }
            pdu[i] = saved
        }
    }
}
