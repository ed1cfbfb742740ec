/// Builds real, checksummed frames (Ethernet, IPv4/IPv6, UDP, TCP, ICMP) for the sample
/// generator and the tests. Output only: nothing here is used to analyse packets.
public enum FrameBuilder {
    public static func ethernet(source: UInt64 = 0x0200_0000_0001, destination: UInt64 = 0x0200_0000_0002,
                                vlans: [UInt16] = [], etherType: UInt16, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(14 + 4 * vlans.count + payload.count)
        out.appendBE48(destination)
        out.appendBE48(source)
        for (i, vlan) in vlans.enumerated() {
            out.appendBE16(i == 0 && vlans.count > 1 ? 0x88A8 : 0x8100)
            out.appendBE16(vlan & 0x0FFF)
        }
        out.appendBE16(etherType)
        out += payload
        return out
    }

    /// IPv4 addresses are given as a.b.c.d in one UInt32 (0xC0A80001 is 192.168.0.1).
    public static func ipv4(source: UInt32, destination: UInt32, protocolNumber: UInt8, ttl: UInt8 = 64,
                            identification: UInt16 = 0, dontFragment: Bool = true, moreFragments: Bool = false,
                            fragmentOffset: Int = 0, options: [UInt8] = [], payload: [UInt8]) -> [UInt8] {
        precondition(options.count % 4 == 0)
        let headerLength = 20 + options.count
        var out: [UInt8] = []
        out.append(0x40 | UInt8(headerLength / 4))
        out.append(0)
        out.appendBE16(UInt16(headerLength + payload.count))
        out.appendBE16(identification)
        var flags = UInt16(fragmentOffset / 8)
        if dontFragment { flags |= 0x4000 }
        if moreFragments { flags |= 0x2000 }
        out.appendBE16(flags)
        out.append(ttl)
        out.append(protocolNumber)
        out.appendBE16(0)
        out.appendBE32(source)
        out.appendBE32(destination)
        out += options
        let sum = checksum(out)
        out[10] = UInt8(sum >> 8)
        out[11] = UInt8(sum & 0xFF)
        return out + payload
    }

    /// IPv6 addresses as 16 bytes.
    public static func ipv6(source: [UInt8], destination: [UInt8], nextHeader: UInt8, hopLimit: UInt8 = 64,
                            extensionHeaders: [UInt8] = [], payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x60, 0, 0, 0]
        out.appendBE16(UInt16(extensionHeaders.count + payload.count))
        out.append(nextHeader)
        out.append(hopLimit)
        out += source
        out += destination
        return out + extensionHeaders + payload
    }

    public static func udp(sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8],
                           pseudoHeader: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendBE16(sourcePort)
        out.appendBE16(destinationPort)
        out.appendBE16(UInt16(8 + payload.count))
        out.appendBE16(0)
        out += payload
        var sum = checksum(pseudoHeader + out)
        if sum == 0 { sum = 0xFFFF }
        out[6] = UInt8(sum >> 8)
        out[7] = UInt8(sum & 0xFF)
        return out
    }

    public struct TCPFlags: OptionSet, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let fin = TCPFlags(rawValue: 0x01)
        public static let syn = TCPFlags(rawValue: 0x02)
        public static let rst = TCPFlags(rawValue: 0x04)
        public static let psh = TCPFlags(rawValue: 0x08)
        public static let ack = TCPFlags(rawValue: 0x10)
    }

    public static func tcp(sourcePort: UInt16, destinationPort: UInt16, sequence: UInt32, acknowledgement: UInt32,
                           flags: TCPFlags, window: UInt16 = 65535, options: [UInt8] = [], payload: [UInt8],
                           pseudoHeader: [UInt8]) -> [UInt8] {
        precondition(options.count % 4 == 0)
        var out: [UInt8] = []
        out.appendBE16(sourcePort)
        out.appendBE16(destinationPort)
        out.appendBE32(sequence)
        out.appendBE32(acknowledgement)
        out.appendBE16(UInt16((20 + options.count) / 4) << 12 | flags.rawValue)
        out.appendBE16(window)
        out.appendBE16(0)
        out.appendBE16(0)
        out += options
        out += payload
        let sum = checksum(pseudoHeader + out)
        out[16] = UInt8(sum >> 8)
        out[17] = UInt8(sum & 0xFF)
        return out
    }

    public static func icmp(type: UInt8, code: UInt8, rest: UInt32 = 0, body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [type, code, 0, 0]
        out.appendBE32(rest)
        out += body
        let sum = checksum(out)
        out[2] = UInt8(sum >> 8)
        out[3] = UInt8(sum & 0xFF)
        return out
    }

    /// The IPv4 pseudo-header for UDP/TCP checksums.
    public static func pseudoHeaderV4(source: UInt32, destination: UInt32, protocolNumber: UInt8, length: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.appendBE32(source)
        out.appendBE32(destination)
        out.append(0)
        out.append(protocolNumber)
        out.appendBE16(UInt16(length))
        return out
    }

    public static func pseudoHeaderV6(source: [UInt8], destination: [UInt8], protocolNumber: UInt8, length: Int) -> [UInt8] {
        var out = source + destination
        out.appendBE32(UInt32(length))
        out += [0, 0, 0, protocolNumber]
        return out
    }

    /// The Internet checksum (RFC 1071).
    public static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count {
            sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            i += 2
        }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    // MARK: convenience: whole frames

    public static func udpFrame(from source: UInt32, _ sourcePort: UInt16, to destination: UInt32, _ destinationPort: UInt16,
                                payload: [UInt8], ttl: UInt8 = 64, identification: UInt16 = 0, vlans: [UInt16] = []) -> [UInt8] {
        let pseudo = pseudoHeaderV4(source: source, destination: destination, protocolNumber: 17, length: 8 + payload.count)
        let segment = udp(sourcePort: sourcePort, destinationPort: destinationPort, payload: payload, pseudoHeader: pseudo)
        let packet = ipv4(source: source, destination: destination, protocolNumber: 17, ttl: ttl,
                          identification: identification, payload: segment)
        return ethernet(vlans: vlans, etherType: 0x0800, payload: packet)
    }

    public static func tcpFrame(from source: UInt32, _ sourcePort: UInt16, to destination: UInt32, _ destinationPort: UInt16,
                                sequence: UInt32, acknowledgement: UInt32, flags: TCPFlags, payload: [UInt8] = [],
                                options: [UInt8] = [], ttl: UInt8 = 64, identification: UInt16 = 0) -> [UInt8] {
        let pseudo = pseudoHeaderV4(source: source, destination: destination, protocolNumber: 6,
                                    length: 20 + options.count + payload.count)
        let segment = tcp(sourcePort: sourcePort, destinationPort: destinationPort, sequence: sequence,
                          acknowledgement: acknowledgement, flags: flags, options: options, payload: payload,
                          pseudoHeader: pseudo)
        let packet = ipv4(source: source, destination: destination, protocolNumber: 6, ttl: ttl,
                          identification: identification, payload: segment)
        return ethernet(etherType: 0x0800, payload: packet)
    }

    /// An ICMP destination unreachable from `router` quoting the first 28 bytes of `quotedIPPacket`.
    public static func icmpUnreachableFrame(from router: UInt32, to destination: UInt32, code: UInt8,
                                            quoting quotedIPPacket: [UInt8], ttl: UInt8 = 64) -> [UInt8] {
        let body = Array(quotedIPPacket.prefix(28))
        let message = icmp(type: 3, code: code, body: body)
        let packet = ipv4(source: router, destination: destination, protocolNumber: 1, ttl: ttl, payload: message)
        return ethernet(etherType: 0x0800, payload: packet)
    }
}

extension Array where Element == UInt8 {
    public mutating func appendBE16(_ v: UInt16) { append(UInt8(v >> 8)); append(UInt8(v & 0xFF)) }
    public mutating func appendBE32(_ v: UInt32) { appendBE16(UInt16(v >> 16)); appendBE16(UInt16(v & 0xFFFF)) }
    public mutating func appendBE48(_ v: UInt64) { appendBE16(UInt16(truncatingIfNeeded: v >> 32)); appendBE32(UInt32(truncatingIfNeeded: v)) }
    public mutating func appendLE16(_ v: UInt16) { append(UInt8(v & 0xFF)); append(UInt8(v >> 8)) }
    public mutating func appendLE32(_ v: UInt32) { appendLE16(UInt16(v & 0xFFFF)); appendLE16(UInt16(v >> 16)) }
    public mutating func append16(_ v: UInt16, bigEndian: Bool) { bigEndian ? appendBE16(v) : appendLE16(v) }
    public mutating func append32(_ v: UInt32, bigEndian: Bool) { bigEndian ? appendBE32(v) : appendLE32(v) }
    public mutating func append64(_ v: UInt64, bigEndian: Bool) {
        if bigEndian {
            appendBE32(UInt32(v >> 32)); appendBE32(UInt32(v & 0xFFFF_FFFF))
        } else {
            appendLE32(UInt32(v & 0xFFFF_FFFF)); appendLE32(UInt32(v >> 32))
        }
    }
}
