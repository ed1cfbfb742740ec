import Bytes

/// One SOCKS handshake message, decoded by value. Text fields (user id, user name, password,
/// domain names, method list) are ranges into the message's own bytes (offset 0 = its first byte),
/// read only at output.
public struct SOCKSMessage: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// SOCKS4/4a CONNECT or BIND request.
        case v4Request
        /// SOCKS4 8-byte reply (its VN byte is 0).
        case v4Reply
        /// SOCKS5 version/method greeting.
        case v5Greeting
        /// SOCKS5 method selection.
        case v5MethodSelection
        /// RFC 1929 username/password request.
        case v5AuthRequest
        /// RFC 1929 status reply.
        case v5AuthReply
        /// SOCKS5 CONNECT / BIND / UDP ASSOCIATE request.
        case v5Request
        /// SOCKS5 reply.
        case v5Reply
    }

    public var kind: Kind
    /// Total length in bytes.
    public var length: Int
    /// The first byte as sent: 4 or 5, 0 for the SOCKS4 reply, 1 for the RFC 1929 sub-negotiation.
    public var versionByte: UInt8
    /// Request command (1 CONNECT, 2 BIND, 3 UDP ASSOCIATE); 0 in other messages.
    public var command: UInt8 = 0
    /// Reply code (v4 CD, v5 REP), accepted method, or RFC 1929 status.
    public var code: UInt8 = 0
    /// v5 address type (1 IPv4, 3 domain, 4 IPv6); 0 for SOCKS4.
    public var addressType: UInt8 = 0
    /// IPv4/IPv6 address of the request or reply (SOCKS4: DSTIP, also 0.0.0.x for 4a).
    public var address: IPAddress? = nil
    public var port: UInt16 = 0
    /// SOCKS5 DOMAINNAME or SOCKS4a host name.
    public var domain: Range<Int> = 0..<0
    /// SOCKS4 USERID.
    public var userID: Range<Int> = 0..<0
    /// v5 greeting method list.
    public var methods: Range<Int> = 0..<0
    public var username: Range<Int> = 0..<0
    public var password: Range<Int> = 0..<0

    public init(kind: Kind, length: Int, versionByte: UInt8) {
        self.kind = kind
        self.length = length
        self.versionByte = versionByte
    }

    /// SOCKS4a: DSTIP 0.0.0.x with x != 0 announces a host name after the user id.
    public var isSOCKS4a: Bool {
        kind == .v4Request && address.map { $0.ipv4Value != 0 && $0.ipv4Value <= 0xFF } == true
    }

    /// Whether a reply grants what was asked (v4 0x5A, v5 0).
    public var isSuccessReply: Bool {
        switch kind {
        case .v4Reply: code == 0x5A
        case .v5Reply: code == 0
        default: false
        }
    }
}
