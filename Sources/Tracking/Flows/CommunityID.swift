import Bytes
import Crypto

/// Community ID v1 (corelight/community-id-spec): `"1:" + base64(SHA1(seed, addresses, protocol,
/// padding, ports))`, with the endpoints put in a fixed order so that both directions give the same
/// value. Computed once per flow, when the flow ends, never per packet.
public struct CommunityID: Hashable, Sendable {
    public var seed: UInt16

    public init(seed: UInt16 = 0) {
        self.seed = seed
    }

    /// - Parameters:
    ///   - sourcePort/destinationPort: ports for TCP, UDP and SCTP; for ICMP and ICMPv6 the values of
    ///     `ICMPFlowPorts` (type, and counterpart type or code). Ignored for other protocols.
    ///   - isOneWay: an ICMP message with no counterpart; its tuple is hashed as sent, not ordered.
    public func compute(source: IPAddress, destination: IPAddress, protocolNumber: UInt8,
                        sourcePort: UInt16, destinationPort: UInt16, isOneWay: Bool = false) -> String {
        var (a, b, portA, portB) = (source, destination, sourcePort, destinationPort)
        // The spec orders by address, then port, unless the message is one-way.
        if !isOneWay && (b < a || (a == b && portB < portA)) {
            swap(&a, &b)
            swap(&portA, &portB)
        }
        let hasPorts = Self.protocolHasPorts(protocolNumber)
        let digest = withUnsafeTemporaryAllocation(byteCount: 40, alignment: 1) { buffer -> Insecure.SHA1.Digest in
            var n = 0
            func put(_ byte: UInt8) { buffer[n] = byte; n += 1 }
            func put16(_ v: UInt16) { put(UInt8(v >> 8)); put(UInt8(truncatingIfNeeded: v)) }
            func put64(_ v: UInt64) { for shift in stride(from: 56, through: 0, by: -8) { put(UInt8(truncatingIfNeeded: v >> UInt64(shift))) } }
            func putAddress(_ address: IPAddress) {
                if address.isIPv6 {
                    put64(address.high)
                    put64(address.low)
                } else {
                    let v = address.ipv4Value
                    put16(UInt16(v >> 16))
                    put16(UInt16(truncatingIfNeeded: v))
                }
            }
            put16(seed)
            putAddress(a)
            putAddress(b)
            put(protocolNumber)
            put(0)
            if hasPorts {
                put16(portA)
                put16(portB)
            }
            var hasher = Insecure.SHA1()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            return hasher.finalize()
        }
        return "1:" + digest.withUnsafeBytes { Base64.encode($0) }
    }

    /// The protocols whose ports take part in the hash: TCP, UDP, SCTP, ICMP, ICMPv6.
    public static func protocolHasPorts(_ protocolNumber: UInt8) -> Bool {
        switch protocolNumber {
        case 6, 17, 132, 1, 58: true
        default: false
        }
    }
}

/// Standard base64 with padding (RFC 4648 §4), for the 20-byte digest.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(group >> 18 & 63)])
            out.append(alphabet[Int(group >> 12 & 63)])
            out.append(i + 1 < bytes.count ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(group & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
