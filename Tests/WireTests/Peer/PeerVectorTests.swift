import Bytes
import Testing
@testable import Wire

/// The reference's test vectors and constructed packets (docs/protocol.md#test-vectors, #peer-init
/// to #peer-cipher).
struct PeerVectorTests {
    let scratch = PeerScratch()

    func hex(_ s: String) -> [UInt8] {
        let digits = s.filter { !$0.isWhitespace }
        return stride(from: 0, to: digits.count, by: 2).map {
            let i = digits.index(digits.startIndex, offsetBy: $0)
            return UInt8(digits[i..<digits.index(i, offsetBy: 2)], radix: 16)!
        }
    }

    @Test func tableIsTheLicenceText() {
        #expect(PeerCipher.table.count == 256)
        #expect(Array(PeerCipher.table.prefix(10)) == Array("As part of".utf8))
        #expect(Array(PeerCipher.table.suffix(6)) == Array("and In".utf8))
    }

    /// TCP-1 synthetic v7 "Hello": CHECK 0xFAF1DD96, KEY 0xC0618776, plaintext as given.
    @Test func syntheticV7Hello() {
        let wire = hex("2D 00 02 96 DD F1 FA 39 80 6F C0 1B 78 61 C0 00 00 00 00 00 00 00 00 00 00 01 00 00 00 01 00 06 00 48 65 6C 6C 6F 00 00 00 00 00 FF FF FF 00")
        let plain = hex("2D 00 02 00 00 00 00 EE 07 0E 00 FE FF 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 01 00 06 00 48 65 6C 6C 6F 00 00 00 00 00 FF FF FF 00")
        let result = wire.withUnsafeBytes { PeerCipher.decrypt(UnsafeRawBufferPointer(rebasing: $0[3...]), version: 7, into: scratch) }
        #expect(result == PeerCipher.Result(check: 0xFAF1_DD96, key: 0xC061_8776, isValid: true))
        #expect(Array(scratch.plaintext(count: plain.count - 3).dropFirst(4)) == Array(plain.dropFirst(7)))
        guard case .message(let m) = PeerMessage.parseV6(scratch.plaintext(count: plain.count - 3), version: 7) else {
            Issue.record("no message"); return
        }
        #expect(m.command == 0x07EE && m.sequence == 0xFFFE && m.messageType == 1 && m.flags == 1)
        #expect(Array(scratch.plaintext(count: 100)[m.text]) == Array("Hello".utf8))
    }

    /// TCP-REAL (ICQ 2003b, from icq-devel): the first 32 bytes after 0x02 and the check values.
    /// Only the beginning of the packet is published, so the region is padded to S = 0x188 with
    /// zeros; the obfuscation touches only bytes below (S+3)/4 = 98, and M1 = 0x59 lies inside.
    @Test func realICQ2003bPacketHeader() {
        var region = hex("A5 53 97 B7 A8 84 E0 0A AA 7C EE 0A 4D 83 EE 0A 58 83 EE 0A 5C 83 F4 0A 05 83 CF 0A 47 83 EE 26")
        region += [UInt8](repeating: 0, count: 0x188 - region.count)
        let result = region.withUnsafeBytes { PeerCipher.decrypt($0, version: 9, into: scratch) }
        #expect(result?.check == 0xB797_53A5)
        #expect(result?.key == 0x0AEE_82E5)
        let expected = hex("A5 53 97 B7 EE 07 0E 00 FE FF 00 00 00 00 00 00 00 00 00 00 00 00 1A 00 00 00 21 00 01 00 00 2C")
        #expect(Array(scratch.plaintext(count: 32)) == expected)
    }

    /// The real v8 PEER_INIT of the pwicq dump (docs/protocol.md#peer-init).
    @Test func pwicqV8PeerInit() {
        let frame = hex("""
            30 00 FF 08 00 2B 00 9A 67 D4 09 00 00 58 20 00 00 CD 69 3D 00 D4 38 C4 82 D4 38 C4 82 04 58 20 00 00
            97 48 4F 4C 50 00 00 00 03 00 00 00 00 00 00 00
            """)
        var connection = PeerConnection()
        let step = frame.withUnsafeBytes { connection.consume($0, fromInitiator: true, scratch: scratch) }
        guard case .pdu(let pdu) = step, case .initPacket(let i) = pdu.content else { Issue.record("\(step)"); return }
        #expect(pdu.length == 0x32)
        #expect(i.version == 8 && i.destinationUIN == 164_915_098 && i.uin == 4_024_781)
        #expect(i.listenPort == 8280 && i.listenPort2 == 8280 && i.mode == 4)
        #expect(i.externalIP.description == "212.56.196.130" && i.internalIP.description == "212.56.196.130")
        #expect(i.cookie == 0x4C4F_4897 && i.connectionID == 0)
        let ack = hex("04 00 01 00 00 00")
        let ackStep = ack.withUnsafeBytes { connection.consume($0, fromInitiator: false, scratch: scratch) }
        #expect(ackStep == .pdu(PeerPDU(content: .initAck, length: 6, isDecrypted: false)))
    }

    /// v2–v5 PEER_INIT (26 bytes) and a v2 plain message, built from the layouts of
    /// docs/protocol.md#peer-init and #peer-messages.
    @Test func v2HandshakeAndPlainMessage() {
        var connection = PeerConnection()
        // 0xFF, version 2, port 1234, UIN 1001, IP 10.0.0.1, real IP 192.168.0.1, mode 4, port 1234.
        let handshake = hex("1A 00 FF 02 00 00 00 D2 04 00 00 E9 03 00 00 0A 00 00 01 C0 A8 00 01 04 D2 04 00 00")
        let step = handshake.withUnsafeBytes { connection.consume($0, fromInitiator: true, scratch: scratch) }
        guard case .pdu(let pdu) = step, case .initPacket(let i) = pdu.content else { Issue.record("\(step)"); return }
        #expect(i.version == 2 && i.uin == 1001 && i.listenPort == 1234 && i.listenPort2 == 1234)
        #expect(i.externalIP.description == "10.0.0.1" && i.internalIP.description == "192.168.0.1")
        // UIN, version, 0x07EE, 0, UIN, type 1, LNTS "Hi", IP, real IP, port, mode, status, flags 0x10, seq.
        var body = hex("E9 03 00 00 02 00 EE 07 00 00 E9 03 00 00 01 00 03 00 48 69 00")
        body += hex("0A 00 00 01 C0 A8 00 01 D2 04 00 00 04 00 00 10 00 FE FF FF FF")
        let frame = [UInt8(body.count), 0] + body
        let messageStep = frame.withUnsafeBytes { connection.consume($0, fromInitiator: true, scratch: scratch) }
        guard case .pdu(let mp) = messageStep, case .message(let m) = mp.content else { Issue.record("\(messageStep)"); return }
        #expect(!mp.isDecrypted && m.checkcode == nil && m.uin == 1001 && m.flags == 0x10 && m.sequence == 0xFFFF_FFFE)
        var v = CollectingVisitor()
        frame.withUnsafeBytes { mp.visitFields(frame: $0, scratch: scratch, into: &v) }
        #expect(v.value("icq.peer.text") == "Hi")
    }

    /// v4/v5: the check sits after UIN and version, the first 6 bytes stay clear
    /// (docs/protocol.md#peer-cipher). No real v4/v5 DC capture exists, so this round-trips a
    /// packet through the sender's algorithm as the reference states it (licq Encrypt_Client) with
    /// fixed M1/X2.
    @Test func v5RoundTrip() {
        var body = hex("E9 03 00 00 05 00 00 00 00 00 EE 07 00 00 E9 03 00 00 01 00 0C 00")
        body += Array("Hello there".utf8) + [0]
        body += hex("0A 00 00 01 C0 A8 00 01 D2 04 00 00 04 00 00 10 00 FE FF FF FF")
        let plain = body
        let size = body.count
        let m1 = 20, x2 = 51
        let b1 = UInt32(body[10]) << 24 | UInt32(body[12]) << 16 | UInt32(body[2]) << 8 | UInt32(body[0])
        let check = (UInt32(m1) << 24 | UInt32(body[m1] ^ 0xFF) << 16 | UInt32(x2) << 8 | UInt32(PeerCipher.table[x2] ^ 0xFF)) ^ b1
        let key = 0x6765_7268 &* UInt32(size) &+ check
        var i = 0
        while i < (size + 3) / 4 {
            let word = key &+ UInt32(PeerCipher.table[i & 0xFF])
            for j in 0..<4 { body[i + j] ^= UInt8(truncatingIfNeeded: word >> (8 * UInt32(j))) }
            i += 4
        }
        for j in 0..<6 { body[j] = plain[j] }
        for j in 0..<4 { body[6 + j] = UInt8(truncatingIfNeeded: check >> (8 * UInt32(j))) }
        #expect(body != plain)

        var connection = PeerConnection()
        let handshake = hex("1A 00 FF 05 00 00 00 00 00 00 00 E9 03 00 00 0A 00 00 01 C0 A8 00 01 04 D2 04 00 00")
        _ = handshake.withUnsafeBytes { connection.consume($0, fromInitiator: true, scratch: scratch) }
        #expect(connection.version == 5)
        let frame = [UInt8(size), 0] + body
        let step = frame.withUnsafeBytes { connection.consume($0, fromInitiator: true, scratch: scratch) }
        guard case .pdu(let pdu) = step, case .message(let m) = pdu.content else { Issue.record("\(step)"); return }
        #expect(m.checkValid == true && m.checkcode == check && m.uin == 1001 && m.command == 0x07EE)
        var v = CollectingVisitor()
        frame.withUnsafeBytes { pdu.visitFields(frame: $0, scratch: scratch, into: &v) }
        #expect(v.value("icq.peer.text") == "Hello there")
    }

    @Test func textCharsets() {
        let latin = [UInt8]([0x47, 0x72, 0xFC, 0xDF, 0x65, 0x80])
        #expect(latin.withUnsafeBytes { TextDecoding.string($0, .localCodePage) } == "Grüße€")
        let utf8 = Array("Grüße".utf8)
        #expect(utf8.withUnsafeBytes { TextDecoding.string($0, .localCodePage) } == "Grüße")
    }
}
