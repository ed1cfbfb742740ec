#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 address and port as the lab peers use them: the address as a.b.c.d in a u32 (a in the
/// top byte, the order ICQ writes it in network order), the port in host order.
public struct LabEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var address: UInt32
    public var port: UInt16

    public init(address: UInt32, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses "a.b.c.d:port"; nil for anything else.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"),
              let address = LabEndpoint.parseAddress(String(text[..<colon])),
              let port = UInt16(text[text.index(after: colon)...])
        else { return nil }
        self.init(address: address, port: port)
    }

    /// Parses "a.b.c.d" into a u32 with a in the top byte.
    public static func parseAddress(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    public static func addressString(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)"
    }

    public var description: String { "\(LabEndpoint.addressString(address)):\(port)" }

    var sockaddr: sockaddr_in {
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = port.bigEndian
        sa.sin_addr.s_addr = address.bigEndian
        return sa
    }

    init(_ sa: sockaddr_in) {
        self.init(address: UInt32(bigEndian: sa.sin_addr.s_addr), port: UInt16(bigEndian: sa.sin_port))
    }
}
