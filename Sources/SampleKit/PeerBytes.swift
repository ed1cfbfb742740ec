/// ICQ direct-connection (peer-to-peer) wire bytes for the samples, TCP v7/v8
/// (docs/protocol.md#peer-init to #peer-file-transfer): length-framed packets, PEER_INIT / INIT_ACK
/// / PEER_INIT2, PEER_MSG messages and acks obfuscated as a sending client does
/// (docs/protocol.md#peer-cipher), file-transfer sub-connection packets. All integers
/// little-endian, IPs in network order.
enum PeerBytes {
    /// u16 LE length + payload.
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLE16(UInt16(payload.count))
        return out + payload
    }

    /// PEER_INIT v7/v8 (48 bytes): the sender's port, UIN, IPs, DC cookie, connection id 0.
    static func peerInit(version: UInt16, destinationUIN: UInt32, port: UInt16, uin: UInt32, externalIP: UInt32,
                         internalIP: UInt32, cookie: UInt32) -> [UInt8] {
        var p: [UInt8] = [0xFF]
        p.appendLE16(version)
        p.appendLE16(0x002B)
        p.appendLE32(destinationUIN)
        p.appendLE16(0)
        p.appendLE32(UInt32(port))
        p.appendLE32(uin)
        p.appendBE32(externalIP)
        p.appendBE32(internalIP)
        p.append(4)
        p.appendLE32(UInt32(port))
        p.appendLE32(cookie)
        p.appendLE32(0x50)
        p.appendLE32(3)
        p.appendLE32(0)
        return frame(p)
    }

    static let initAck: [UInt8] = frame([1, 0, 0, 0])

    /// PEER_INIT2 (33 bytes), climm's form: direction 0 from the caller, 1 from the callee.
    static func init2(fromCaller: Bool) -> [UInt8] {
        var p: [UInt8] = [0x03]
        p.appendLE32(0x0A)
        p.appendLE32(1)
        p.appendLE32(fromCaller ? 0 : 1)
        p.appendLE32(0)
        p.appendLE32(0)
        p.appendLE32(fromCaller ? 0x0004_0001 : 0)
        p.appendLE32(0)
        p.appendLE32(fromCaller ? 0 : 0x0004_0001)
        return frame(p)
    }

    /// The v6+ PEER_MSG plaintext after its check code: command, header length 0x0E, sequence,
    /// 12 zero bytes, type, status, flags (v7+: 1 normal), LNTS text, then `extras`.
    static func messageBody(command: UInt16, sequence: UInt16, type: UInt16, status: UInt16 = 0, flags: UInt16 = 1,
                            text: String, extras: [UInt8]) -> [UInt8] {
        var b: [UInt8] = [0, 0, 0, 0]  // the check code, filled by `encrypt`
        b.appendLE16(command)
        b.appendLE16(0x000E)
        b.appendLE16(sequence)
        b += [UInt8](repeating: 0, count: 12)
        b.appendLE16(type)
        b.appendLE16(status)
        b.appendLE16(flags)
        b += lnts(text)
        return b + extras
    }

    /// Text messages end with the foreground and background colours.
    static let colours: [UInt8] = [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x00]

    /// File request extras and the accepting ack's (docs/protocol.md#peer-ports, v8): port u16 BE,
    /// u16 0, LNTS file name, size u32 LE, port u32 LE.
    static func fileExtras(port: UInt16, name: String, size: UInt32) -> [UInt8] {
        var v: [UInt8] = []
        v.appendBE16(port)
        v.appendLE16(0)
        v += lnts(name)
        v.appendLE32(size)
        v.appendLE32(UInt32(port))
        return v
    }

    /// A plugin message's extras (type 0x1A, docs/protocol.md#peer-plugins, as Licq and climm
    /// write them): u16 length of the plugin header, the GUID, u16 0, u32 length + plugin name,
    /// 15 bytes (00 00 01 00 00 01 then zeros); u32 length of the rest; u32 length + text; `data`.
    static func pluginExtras(guid: [UInt8], name: String, text: String, data: [UInt8]) -> [UInt8] {
        var v: [UInt8] = []
        v.appendLE16(UInt16(16 + 2 + 4 + name.utf8.count + 15))
        v += guid
        v.appendLE16(0)
        v.appendLE32(UInt32(name.utf8.count))
        v += Array(name.utf8)
        v += [0x00, 0x00, 0x01, 0x00, 0x00, 0x01] + [UInt8](repeating: 0, count: 9)
        v.appendLE32(UInt32(4 + text.utf8.count + data.count))
        v.appendLE32(UInt32(text.utf8.count))
        v += Array(text.utf8)
        return v + data
    }

    /// The plugin data climm writes in every plugin acknowledgement (its file layout): port u16
    /// BE, u16 0, LNTS "", u32 0, port u32 LE.
    static func pluginAckData(port: UInt16) -> [UInt8] {
        var v: [UInt8] = []
        v.appendBE16(port)
        v.appendLE16(0)
        v += lnts("")
        v.appendLE32(0)
        v.appendLE32(UInt32(port))
        return v
    }

    /// u16 LE length (including the NUL), bytes, NUL.
    static func lnts(_ text: String) -> [UInt8] {
        var v: [UInt8] = []
        v.appendLE16(UInt16(text.utf8.count + 1))
        return v + Array(text.utf8) + [0]
    }

    /// A v7/v8 PEER_MSG frame: 0x02, then `body` obfuscated (docs/protocol.md#peer-cipher, the
    /// sender's side) with M1 and X2 drawn from `random`.
    static func message(_ body: [UInt8], random: inout SeededRandom) -> [UInt8] {
        let size = body.count
        let m1 = 10 + Int(random.next() % UInt64(min(size, 255) - 10))
        let x2 = Int(random.next() % 220)
        return frame([0x02] + encrypt(body, m1: m1, x2: x2))
    }

    /// The obfuscation of a v6+ PEER_MSG region (`body` starts at its check code): the inverse
    /// of the decoder's decryption, written from the reference, not from the decoder.
    static func encrypt(_ body: [UInt8], m1: Int, x2: Int) -> [UInt8] {
        var b = body
        let size = b.count
        let x1 = UInt32(b[m1] ^ 0xFF)
        let x3 = UInt32(table[x2] ^ 0xFF)
        let b1 = UInt32(b[4]) << 24 | UInt32(b[6]) << 16 | UInt32(b[4]) << 8 | UInt32(b[6])
        let check = (UInt32(m1) << 24 | x1 << 16 | UInt32(x2) << 8 | x3) ^ b1
        let key = 0x6765_7268 &* UInt32(size) &+ check
        var i = 0
        while i < (size + 3) / 4 {
            let word = key &+ UInt32(table[i & 0xFF])
            for j in 0..<4 where i + j < size { b[i + j] ^= UInt8(truncatingIfNeeded: word >> (8 * UInt32(j))) }
            i += 4
        }
        b[0] = UInt8(check & 0xFF)
        b[1] = UInt8((check >> 8) & 0xFF)
        b[2] = UInt8((check >> 16) & 0xFF)
        b[3] = UInt8(check >> 24)
        return b
    }

    /// The first 256 bytes of the Mirabilis licence text (docs/protocol.md#peer-cipher).
    static let table: [UInt8] = Array(
        ("As part of this software beta version Mirabilis is granting a limited access to the ICQ network, "
            + "servers, directories, listings, information and databases (\"ICQ Services and Information\"). "
            + "The ICQ Service and Information may databases (\"ICQ Services and In").utf8)

    // MARK: File-transfer sub-connection (docs/protocol.md#peer-file-transfer)

    static func fileInit(files: UInt32, totalBytes: UInt32, nick: String) -> [UInt8] {
        var p: [UInt8] = [0x00]
        p.appendLE32(0)
        p.appendLE32(files)
        p.appendLE32(totalBytes)
        p.appendLE32(0x64)
        return frame(p + lnts(nick))
    }

    static func fileInitAck(nick: String) -> [UInt8] {
        var p: [UInt8] = [0x01]
        p.appendLE32(0x64)
        return frame(p + lnts(nick))
    }

    static func fileInfo(name: String, size: UInt32) -> [UInt8] {
        var p: [UInt8] = [0x02, 0x00] + lnts(name) + lnts("")
        p.appendLE32(size)
        p.appendLE32(0)
        p.appendLE32(0x64)
        return frame(p)
    }

    static func fileStart(fileIndex: UInt32) -> [UInt8] {
        var p: [UInt8] = [0x03]
        p.appendLE32(0)
        p.appendLE32(0)
        p.appendLE32(0x64)
        p.appendLE32(fileIndex)
        return frame(p)
    }

    static func fileData(_ bytes: ArraySlice<UInt8>) -> [UInt8] { frame([0x06] + bytes) }
}
