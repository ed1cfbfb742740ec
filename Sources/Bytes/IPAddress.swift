/// An IPv4 or IPv6 address held by value (no allocation), formatted only at output.
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// IPv4 addresses live in the low 32 bits of `low` with `high == 0`.
    public let high: UInt64
    public let low: UInt64
    public let isIPv6: Bool

    @inlinable
    public init(ipv4 value: UInt32) {
        high = 0
        low = UInt64(value)
        isIPv6 = false
    }

    @inlinable
    public init(ipv6High high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
        isIPv6 = true
    }

    /// Reads an address in network byte order; `bytes` must hold 4 or 16 bytes from `offset`.
    @inlinable
    public static func ipv4(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> IPAddress {
        IPAddress(ipv4: bytes.u32BE(at: offset))
    }

    @inlinable
    public static func ipv6(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> IPAddress {
        IPAddress(ipv6High: bytes.u64BE(at: offset), low: bytes.u64BE(at: offset + 8))
    }

    @inlinable
    public var ipv4Value: UInt32 { UInt32(truncatingIfNeeded: low) }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.isIPv6 != b.isIPv6 { return !a.isIPv6 }
        if a.high != b.high { return a.high < b.high }
        return a.low < b.low
    }

    /// RFC 1918, loopback and link-local for IPv4; unique-local, link-local and loopback for IPv6.
    /// Inlinable: `read --threads` asks it of every frame's addresses.
    @inlinable
    public var isPrivate: Bool {
        if !isIPv6 { return Self.isPrivate(ipv4: ipv4Value) }
        return high >> 57 == 0x7E || high >> 54 == 0x3FA || (high == 0 && low == 1)
    }

    @inlinable
    public static func isPrivate(ipv4 v: UInt32) -> Bool {
        v >> 24 == 10 || v >> 20 == 0xAC1 || v >> 16 == 0xC0A8 || v >> 24 == 127 || v >> 16 == 0xA9FE
    }

    /// An IPv4 address is one word to the hasher, not three (the tables keyed by address and
    /// endpoint hash at most packets). IPv6 keeps both words: folding them into one would let
    /// a sender choose addresses that collide.
    @inlinable
    public func hash(into hasher: inout Hasher) {
        if isIPv6 {
            hasher.combine(high)
            hasher.combine(low)
        } else {
            hasher.combine(low)
        }
    }

    /// Dotted quad, or RFC 5952 text for IPv6.
    public var description: String {
        if !isIPv6 { return Self.dottedQuad(ipv4Value, port: nil) }
        var groups = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 {
            groups[i] = UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64(i)))
            groups[i + 4] = UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64(i)))
        }
        // Longest run of two or more zero groups becomes "::".
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                let length = i - runStart
                if length > bestLength && length >= 2 { bestStart = runStart; bestLength = length }
                runStart = -1
            }
        }
        func hex(_ g: UInt16) -> String { String(g, radix: 16) }
        if bestStart < 0 { return groups.map(hex).joined(separator: ":") }
        let head = groups[..<bestStart].map(hex).joined(separator: ":")
        let tail = groups[(bestStart + bestLength)...].map(hex).joined(separator: ":")
        return head + "::" + tail
    }
}

/// An address and a port, as endpoints appear in findings and flow records.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// An IPv4 endpoint is one word to the hasher (address and port side by side, which no two
    /// endpoints share); an IPv6 one its three parts.
    @inlinable
    public func hash(into hasher: inout Hasher) {
        if address.isIPv6 {
            address.hash(into: &hasher)
            hasher.combine(port)
        } else {
            hasher.combine(address.low | UInt64(port) << 32)
        }
    }

    /// `a.b.c.d:port`, or `[v6]:port`.
    public var description: String {
        address.isIPv6 ? "[\(address)]:\(port)" : IPAddress.dottedQuad(address.ipv4Value, port: port)
    }
}

extension IPAddress {
    /// `a.b.c.d`, and `:port` when given.
    static func dottedQuad(_ v: UInt32, port: UInt16?) -> String {
        withDottedQuad(v, port: port) { String(decoding: $0, as: UTF8.self) }
    }

    /// Lends `a.b.c.d` (and `:port` when given) as UTF-8, written digit by digit into a buffer on
    /// the stack: the reports write addresses on most lines, and interpolating the four numbers
    /// costs about ten times as much.
    public static func withDottedQuad<R>(_ v: UInt32, port: UInt16?, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { buffer in
            var n = 0
            func put(_ byte: UInt8) {
                buffer[n] = byte
                n += 1
            }
            func decimal(_ value: UInt32) {
                // At most five digits (a port), most significant first.
                var divisor: UInt32 = 10_000
                while divisor > 1 && value < divisor { divisor /= 10 }
                while divisor > 0 {
                    put(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                    divisor /= 10
                }
            }
            decimal(v >> 24)
            put(UInt8(ascii: "."))
            decimal((v >> 16) & 0xFF)
            put(UInt8(ascii: "."))
            decimal((v >> 8) & 0xFF)
            put(UInt8(ascii: "."))
            decimal(v & 0xFF)
            if let port {
                put(UInt8(ascii: ":"))
                decimal(UInt32(port))
            }
            return body(UnsafeBufferPointer(rebasing: buffer[..<n]))
        }
    }
}
