import Bytes

/// PEER_INIT (first byte 0xFF), the handshake packet that opens every direct connection, and file
/// and chat sub-connections too (docs/protocol.md#peer-init). Read from the frame payload (after the
/// 2-byte length). All integers little-endian, IPs in network order.
public struct PeerInit: Sendable, Equatable {
    /// DC protocol version (2...5 as a u32, 6 and later as a u16).
    public var version: UInt16
    /// v6+: the u16 after the version ("bytes that follow", 0x2B; climm's v6 writer sends 0).
    public var declaredFollowing: UInt16?
    /// v6+: the UIN being called.
    public var destinationUIN: UInt32?
    /// The sender's listening port as first given (v2: at offset 5; v4/v5: usually 0 there).
    public var listenPort: UInt32
    /// The sender's UIN.
    public var uin: UInt32
    /// External IP (v7/v8 order; for v6 the order of the two IPs differs between clients).
    public var externalIP: IPAddress
    /// Internal (LAN, "real") IP.
    public var internalIP: IPAddress
    /// DC mode / type (4 direct, 2 indirect, 1 denied; clients also send 3 and 7).
    public var mode: UInt8
    /// The listening port again (the field clients actually read).
    public var listenPort2: UInt32
    /// v6+: the DC cookie the server published.
    public var cookie: UInt32?
    /// v7+: non-zero only when answering a reverse-connect request.
    public var connectionID: UInt32?

    /// Shortest payload of each form: 26 bytes for v2–v5; v6+ is 36 (climm) to 48 (v7/v8).
    public static let oldFormLength = 26
    public static let newFormMinimumLength = 36

    /// Reads a PEER_INIT payload; nil if it is not one (wrong first byte, version, or length).
    public static func parse(_ p: UnsafeRawBufferPointer) -> PeerInit? {
        guard p.count >= 5, p[0] == 0xFF else { return nil }
        let version32 = p.u32LE(at: 1)
        if (2...5).contains(version32) {
            guard p.count >= oldFormLength else { return nil }
            return PeerInit(
                version: UInt16(version32), declaredFollowing: nil, destinationUIN: nil,
                listenPort: p.u32LE(at: 5), uin: p.u32LE(at: 9), externalIP: .ipv4(p, at: 13),
                internalIP: .ipv4(p, at: 17), mode: p[21], listenPort2: p.u32LE(at: 22), cookie: nil,
                connectionID: nil)
        }
        let version = p.u16LE(at: 1)
        guard (6...11).contains(version), p.count >= newFormMinimumLength else { return nil }
        return PeerInit(
            version: version, declaredFollowing: p.u16LE(at: 3), destinationUIN: p.u32LE(at: 5),
            listenPort: p.u32LE(at: 11), uin: p.u32LE(at: 15), externalIP: .ipv4(p, at: 19),
            internalIP: .ipv4(p, at: 23), mode: p[27], listenPort2: p.u32LE(at: 28),
            cookie: p.u32LE(at: 32), connectionID: version >= 7 && p.count >= 48 ? p.u32LE(at: 44) : nil)
    }

    /// Whether a frame length fits this version's PEER_INIT (used to detect the protocol by
    /// content on an arbitrary port: 0x1A for v2–v5, 0x24...0x2C for v6, 0x2C...0x34 for v7+).
    public static func plausibleLength(_ length: Int, version: UInt16) -> Bool {
        switch version {
        case 2...5: length == oldFormLength
        case 6: (36...44).contains(length)
        default: (44...52).contains(length)
        }
    }
}

/// PEER_INIT2 (first byte 0x03, v7/v8): 33 bytes, sent by both sides after the acknowledgements.
public struct PeerInit2: Sendable, Equatable {
    /// The u32 after 0x03 (0x0A).
    public var marker: UInt32
    /// climm: 0 from the caller, 1 from the callee; licq puts a channel id there.
    public var direction: UInt32

    public static let length = 33

    public static func parse(_ p: UnsafeRawBufferPointer) -> PeerInit2? {
        guard p.count == length, p[0] == 0x03 else { return nil }
        return PeerInit2(marker: p.u32LE(at: 1), direction: p.u32LE(at: 9))
    }
}
