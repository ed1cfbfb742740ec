/// An address prefix as users write it (`10.0.0.0/8`, `192.168.1.7`, `2001:db8::/32`), for
/// options such as `--inside`.
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.parse(String(parts[0])) else { return nil }
        let most = address.isIPv6 ? 128 : 32
        let length: Int
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...most).contains(n) else { return nil }
            length = n
        } else {
            length = most
        }
        self.address = Self.masked(address, length)
        prefixLength = length
    }

    public func contains(_ other: IPAddress) -> Bool {
        other.isIPv6 == address.isIPv6 && Self.masked(other, prefixLength) == address
    }

    public var description: String { "\(address)/\(prefixLength)" }

    static func masked(_ a: IPAddress, _ length: Int) -> IPAddress {
        func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : (bits >= 64 ? .max : ~(UInt64.max >> UInt64(bits))) }
        if !a.isIPv6 {
            return IPAddress(ipv4: UInt32(truncatingIfNeeded: a.low & (mask(length + 32) & 0xFFFF_FFFF)))
        }
        return IPAddress(ipv6High: a.high & mask(length), low: a.low & mask(length - 64))
    }

    /// A dotted quad, or IPv6 text with at most one `::`.
    static func parse(_ text: String) -> IPAddress? {
        if !text.contains(":") {
            let octets = text.split(separator: ".", omittingEmptySubsequences: false)
            guard octets.count == 4 else { return nil }
            var value: UInt32 = 0
            for octet in octets {
                guard octet.count <= 3, let byte = UInt8(octet) else { return nil }
                value = value << 8 | UInt32(byte)
            }
            return IPAddress(ipv4: value)
        }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]), let tail = halves.count == 2 ? groups(halves[1]) : [] else { return nil }
        let all: [UInt16]
        if halves.count == 2 {
            guard head.count + tail.count < 8 else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { return nil }
            all = head
        }
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(all[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(all[i]) }
        return IPAddress(ipv6High: high, low: low)
    }
}
