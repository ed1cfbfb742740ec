/// A SOCKS4 CONNECT (the protocol's 1990s definition, as ICQ 98/99 clients speak it to a
/// "Socks4" server): the request names the target's IPv4 address and port and a user id; the
/// proxy's 8-byte reply grants (90) or rejects (91–93) it. SOCKS4 has no UDP: a client that uses
/// it still sends its UDP to the ICQ server directly (the guide's requirement #1).
enum Socks4Connect {
    /// VN 4, CD 1 (CONNECT), DSTPORT, DSTIP, USERID, NUL.
    static func request(to target: LabEndpoint, user: String = "icqlab") -> [UInt8] {
        var bytes: [UInt8] = [4, 1, UInt8(target.port >> 8), UInt8(target.port & 0xFF)]
        for shift in [24, 16, 8, 0] { bytes.append(UInt8((target.address >> UInt32(shift)) & 0xFF)) }
        bytes += Array(user.utf8) + [0]
        return bytes
    }

    enum Reply: Equatable {
        case granted
        case rejected(code: UInt8)
    }

    /// The reply once its 8 bytes are in; nil while fewer are.
    static func reply(_ bytes: [UInt8]) -> Reply? {
        guard bytes.count >= 8 else { return nil }
        return bytes[1] == 90 ? .granted : .rejected(code: bytes[1])
    }
}
