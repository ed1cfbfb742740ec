/// Names of SOCKS code values, worded as Wireshark's packet-socks.c words them where it has them.
public enum SOCKSNames {
    public static func command(_ code: UInt8) -> StaticString {
        switch code {
        case 1: "Connect"
        case 2: "Bind"
        case 3: "UdpAssociate"
        default: "Unknown"
        }
    }

    /// SOCKS4 reply codes (CD of the 8-byte reply).
    public static func v4Result(_ code: UInt8) -> StaticString {
        switch code {
        case 0x5A: "Request granted"
        case 0x5B: "Request rejected or failed"
        case 0x5C: "Request rejected because SOCKS server cannot connect to identd on the client"
        case 0x5D: "Request rejected because the client program and identd report different user-ids"
        default: "Unknown"
        }
    }

    /// SOCKS5 reply codes (REP, RFC 1928 §6).
    public static func v5Result(_ code: UInt8) -> StaticString {
        switch code {
        case 0: "Succeeded"
        case 1: "General SOCKS server failure"
        case 2: "Connection not allowed by ruleset"
        case 3: "Network unreachable"
        case 4: "Host unreachable"
        case 5: "Connection refused"
        case 6: "TTL expired"
        case 7: "Command not supported"
        case 8: "Address type not supported"
        default: "Unknown"
        }
    }

    /// SOCKS5 authentication methods (RFC 1928 §3).
    public static func method(_ code: UInt8) -> StaticString {
        switch code {
        case 0x00: "No authentication"
        case 0x01: "GSSAPI"
        case 0x02: "Username/Password"
        case 0x03: "Chap"
        case 0xFF: "No acceptable method"
        case 0x80...0xFE: "Private method"
        default: "IANA assigned"
        }
    }

    public static func addressType(_ code: UInt8) -> StaticString {
        switch code {
        case 1: "IPv4"
        case 3: "Domain Name"
        case 4: "IPv6"
        default: "Unknown"
        }
    }

    /// RFC 1929 status: 0 is success, anything else failure.
    public static func authStatus(_ code: UInt8) -> StaticString {
        code == 0 ? "Success" : "Failure"
    }
}
