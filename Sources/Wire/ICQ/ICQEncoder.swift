/// Builds classic ICQ datagrams as real clients and servers put them on the wire, for the sample
/// generator and the lab peers. Not on the decoding path: allocating arrays here is fine.
///
/// The random choices a real sender makes (R1 and R2 of the checkcode, random filler) are
/// parameters, so that generated captures are reproducible.
public enum ICQEncoder {
    // MARK: v5

    /// The plaintext of a v5 client packet (24-byte header with a zero checkcode, then the
    /// parameters).
    public static func v5ClientPlaintext(
        uin: UInt32, session: UInt32, command: UInt16, seq1: UInt16, seq2: UInt16, parameters: [UInt8]
    ) -> [UInt8] {
        var w = ICQParameterWriter()
        w.u16(5)
        w.u32(0)
        w.u32(uin)
        w.u32(session)
        w.u16(command)
        w.u16(seq1)
        w.u16(seq2)
        w.u32(0)  // checkcode, filled by the encryption
        w.bytes += parameters
        return w.bytes
    }

    /// A v5 client packet, encrypted as a real client does. `r1` must be an offset in
    /// 0x18..<length (real clients pick it among the parameters, so there must be at least one
    /// parameter byte; climm and licq pad a bare header with 4 random bytes). Use
    /// `clientR1(random:length:)` to derive it from a random number.
    public static func v5Client(
        uin: UInt32, session: UInt32, command: UInt16, seq1: UInt16, seq2: UInt16, parameters: [UInt8],
        r1: Int, r2: UInt8
    ) -> [UInt8] {
        var packet = v5ClientPlaintext(
            uin: uin, session: session, command: command, seq1: seq1, seq2: seq2, parameters: parameters)
        packet.withUnsafeMutableBytes { _ = ICQV5Cipher.encryptClient($0, r1: r1, r2: r2) }
        return packet
    }

    /// R1 as a client picks it: an offset among the parameters (0x18 ≤ R1 < L), and below 256
    /// because the checkcode carries it in one byte.
    public static func clientR1(random: UInt32, length: Int) -> Int {
        precondition(length > 0x18, "a v5 client packet needs at least one parameter byte")
        return 0x18 + Int(random % UInt32(min(length, 256) - 0x18))
    }

    /// A v5 server packet (21-byte header, never encrypted) with a valid plain checkcode
    /// (docs/protocol.md#v5-server-checkcode). `r1` may be any offset below the length (the
    /// server's R1 may point into the header).
    public static func v5Server(
        session: UInt32, command: UInt16, seq1: UInt16, seq2: UInt16, uin: UInt32, parameters: [UInt8],
        r1: Int, r2: UInt8
    ) -> [UInt8] {
        var w = ICQParameterWriter()
        w.u16(5)
        w.u8(0)
        w.u32(session)
        w.u16(command)
        w.u16(seq1)
        w.u16(seq2)
        w.u32(uin)
        w.u32(0)
        w.bytes += parameters
        var packet = w.bytes
        let checkcode = packet.withUnsafeBytes { ICQV5Cipher.checkcode(plaintext: $0, r1: r1 % packet.count, r2: r2) }
        packet.withUnsafeMutableBytes {
            $0.storeBytes(of: checkcode.littleEndian, toByteOffset: ICQV5Cipher.serverCheckcodeOffset, as: UInt32.self)
        }
        return packet
    }

    // MARK: v2–v4

    /// A v4 client packet, obfuscated as the licq encoder does (docs/protocol.md#v3-v4; unverified
    /// against a real v4 capture). `r1` < length − 4.
    public static func v4Client(
        random: UInt16, command: UInt16, seq1: UInt16, seq2: UInt16, uin: UInt32, parameters: [UInt8],
        r1: Int, r2: UInt8
    ) -> [UInt8] {
        var w = ICQParameterWriter()
        w.u16(4)
        w.u16(random)
        w.u16(0)
        w.u16(command)
        w.u16(seq1)
        w.u16(seq2)
        w.u32(uin)
        w.u32(0)
        w.bytes += parameters
        var packet = w.bytes
        packet.withUnsafeMutableBytes { _ = ICQV4Cipher.encrypt($0, r1: r1, r2: r2) }
        return packet
    }

    /// A v3 packet (either direction; the UIN is always the client's). The checkcode is written
    /// as given: ICQ Groupware sends 0, and the public v3 table is unknown (docs/protocol.md#v3-v4).
    public static func v3(
        command: UInt16, seq1: UInt16, seq2: UInt16, uin: UInt32, checkcode: UInt32 = 0, parameters: [UInt8]
    ) -> [UInt8] {
        var w = ICQParameterWriter()
        w.u16(3)
        w.u16(command)
        w.u16(seq1)
        w.u16(seq2)
        w.u32(uin)
        w.u32(checkcode)
        return w.bytes + parameters
    }

    /// A v2 client packet (10-byte header).
    public static func v2Client(command: UInt16, seq: UInt16, uin: UInt32, parameters: [UInt8]) -> [UInt8] {
        var w = ICQParameterWriter()
        w.u16(2)
        w.u16(command)
        w.u16(seq)
        w.u32(uin)
        return w.bytes + parameters
    }

    /// A v2 server packet (6-byte header).
    public static func v2Server(command: UInt16, seq: UInt16, parameters: [UInt8]) -> [UInt8] {
        var w = ICQParameterWriter()
        w.u16(2)
        w.u16(command)
        w.u16(seq)
        return w.bytes + parameters
    }
}

/// Little-endian writer for ICQ parameters; IPv4 addresses in network order.
public struct ICQParameterWriter {
    public var bytes: [UInt8] = []

    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    }

    public mutating func u32(_ v: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    /// An IPv4 address given as a.b.c.d in a u32 (a in the top byte), written a, b, c, d.
    public mutating func ipv4(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    /// LNTS: u16 length including the NUL, the bytes, the NUL.
    public mutating func lnts(_ text: [UInt8]) {
        u16(UInt16(text.count + 1))
        bytes += text
        bytes.append(0)
    }

    /// LNTS from a Swift string; characters outside Latin-1 become "?" (the classic clients
    /// sent their ANSI code page).
    public mutating func lnts(_ text: String) {
        lnts(text.unicodeScalars.map { $0.value < 0x100 ? UInt8($0.value) : 0x3F })
    }
}

/// Parameter blocks of the commands a session uses (docs/protocol.md#classic-client-commands to
/// #classic-bodies), v5 layouts.
public enum ICQParameters {
    /// CMD_LOGIN: time, TCP port, password, X1, LAN IP, DC mode, status, DC version, then the
    /// DC cookie, 0x50 and 0x03 as the real ICQ 99 and mICQ send them.
    public static func login(
        time: UInt32, tcpPort: UInt32, password: String, lanIP: UInt32, mode: UInt8 = 0x04,
        status: UInt32 = 0, dcVersion: UInt32 = 6, x1: UInt32 = 0xD5, dcCookie: UInt32 = 0
    ) -> [UInt8] {
        var w = ICQParameterWriter()
        w.u32(time)
        w.u32(tcpPort)
        w.lnts(password)
        w.u32(x1)
        w.ipv4(lanIP)
        w.u8(mode)
        w.u32(status)
        w.u32(dcVersion)
        w.u32(dcCookie)
        w.u32(0x50)
        w.u32(0x03)
        return w.bytes
    }

    /// Random filler of CMD_ACK, CMD_KEEP_ALIVE, CMD_LOGIN_1.
    public static func random(_ value: UInt32) -> [UInt8] {
        var w = ICQParameterWriter()
        w.u32(value)
        return w.bytes
    }

    /// CMD_CONTACT_LIST / CMD_VIS_LIST / CMD_INVIS_LIST.
    public static func uinList(_ uins: [UInt32]) -> [UInt8] {
        precondition(uins.count <= 255)
        var w = ICQParameterWriter()
        w.u8(UInt8(uins.count))
        for uin in uins { w.u32(uin) }
        return w.bytes
    }

    /// CMD_SEND_MESSAGE (to `uin`) and SRV_SYS_DELIVERED_MESS (from `uin`).
    public static func message(uin: UInt32, type: UInt16 = 0x0001, text: String) -> [UInt8] {
        var w = ICQParameterWriter()
        w.u32(uin)
        w.u16(type)
        w.lnts(text)
        return w.bytes
    }

    /// CMD_STATUS_CHANGE.
    public static func status(_ status: UInt32) -> [UInt8] { random(status) }

    /// CMD_SEND_TEXT_CODE; "B_USER_DISCONNECTED" with x1 = 5 is a log-off (as mICQ sends it).
    public static func textCode(_ text: String = "B_USER_DISCONNECTED", x1: UInt16 = 0x0005) -> [UInt8] {
        var w = ICQParameterWriter()
        w.lnts(text)
        w.u16(x1)
        return w.bytes
    }

    /// SRV_LOGIN_REPLY in iserverd's layout: 0x008C, 0, keep-alive − 10, timeout, 0x000A,
    /// retries, then the client's address as the server sees it, then a u32.
    public static func loginReply(externalIP: UInt32, keepAlive: UInt16 = 120, timeout: UInt16 = 10, retries: UInt16 = 5) -> [UInt8] {
        var w = ICQParameterWriter()
        w.u16(0x008C)
        w.u16(0)
        w.u16(keepAlive &- 10)
        w.u16(timeout)
        w.u16(0x000A)
        w.u16(retries)
        w.ipv4(externalIP)
        w.u32(0)
        return w.bytes
    }

    /// SRV_USER_ONLINE: UIN, external IP, TCP port, LAN IP, mode, status, DC version, then the
    /// DC cookie, 0x50, 0x03 and three timestamps as iserverd sends them.
    public static func userOnline(
        uin: UInt32, externalIP: UInt32, tcpPort: UInt32, lanIP: UInt32, mode: UInt8 = 0x04,
        status: UInt32 = 0, dcVersion: UInt32 = 6
    ) -> [UInt8] {
        var w = ICQParameterWriter()
        w.u32(uin)
        w.ipv4(externalIP)
        w.u32(tcpPort)
        w.ipv4(lanIP)
        w.u8(mode)
        w.u32(status)
        w.u32(dcVersion)
        for v: UInt32 in [0, 0x50, 0x03, 0, 0, 0] { w.u32(v) }
        return w.bytes
    }

    /// SRV_USER_OFFLINE.
    public static func userOffline(uin: UInt32) -> [UInt8] { random(uin) }

    /// SRV_STATUS_UPDATE.
    public static func statusUpdate(uin: UInt32, status: UInt32) -> [UInt8] {
        var w = ICQParameterWriter()
        w.u32(uin)
        w.u32(status)
        return w.bytes
    }

    /// SRV_MULTI_PACKET: each entry a complete server packet.
    public static func multi(_ packets: [[UInt8]]) -> [UInt8] {
        precondition(packets.count <= 255)
        var w = ICQParameterWriter()
        w.u8(UInt8(packets.count))
        for p in packets {
            w.u16(UInt16(p.count))
            w.bytes += p
        }
        return w.bytes
    }
}
