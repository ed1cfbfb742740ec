import Bytes
import Capture

/// A frame decoded up to layer 4, held entirely by value: decoding allocates nothing.
/// Payload is a range into the frame's borrowed bytes, read in place by the next decoder.
public struct DecodedPacket: Sendable {
    public var link: LinkLayer? = nil
    public var network: NetworkLayer? = nil
    public var transport: TransportLayer? = nil
    /// Where the IP header starts, and where its payload starts (after IPv6 extension headers),
    /// as offsets into the frame; what IP reassembly needs.
    public var networkOffset: Int = 0
    public var ipPayloadOffset: Int = 0
    /// The end of the IP datagram within the captured bytes.
    public var ipEnd: Int = 0
    /// Application payload (after UDP/TCP headers) as offset and length into the frame.
    public var payloadOffset: Int = 0
    public var payloadLength: Int = 0
    /// The payload's length on the wire, from the IP and transport headers; larger than
    /// `payloadLength` when the snap length cut the frame (Wireshark's `tcp.len`).
    public var payloadWireLength: Int = 0
    /// Set when a decoder stopped early; the layers before it are still valid.
    public var malformation: Malformation? = nil

    public init() {}

    /// This frame is one fragment of an IP datagram.
    public var isFragment: Bool { ipv4?.isFragment ?? ipv6?.isFragment ?? false }

    public var ipv4: IPv4Header? {
        if case .ipv4(let h) = network { return h }
        return nil
    }

    public var ipv6: IPv6Header? {
        if case .ipv6(let h) = network { return h }
        return nil
    }

    public var sourceAddress: IPAddress? {
        switch network {
        case .ipv4(let h): h.source
        case .ipv6(let h): h.source
        case nil: nil
        }
    }

    public var destinationAddress: IPAddress? {
        switch network {
        case .ipv4(let h): h.destination
        case .ipv6(let h): h.destination
        case nil: nil
        }
    }

    /// The payload as borrowed bytes of `frame`.
    @inlinable
    public func payload(of frame: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: frame[payloadOffset..<(payloadOffset + payloadLength)])
    }
}

public enum NetworkLayer: Sendable {
    case ipv4(IPv4Header)
    case ipv6(IPv6Header)
}

public enum TransportLayer: Sendable {
    case udp(UDPHeader)
    case tcp(TCPHeader)
    case icmp(ICMPMessage)
    case icmpv6(ICMPMessage)
}

public struct IPv4Header: Sendable {
    public var headerLength: Int
    public var totalLength: Int
    public var tos: UInt8
    public var identification: UInt16
    public var dontFragment: Bool
    public var moreFragments: Bool
    /// In bytes (the wire field times 8).
    public var fragmentOffset: Int
    public var ttl: UInt8
    public var protocolNumber: UInt8
    public var checksum: UInt16
    public var source: IPAddress
    public var destination: IPAddress
    public var hasOptions: Bool { headerLength > 20 }
    public var isFragment: Bool { moreFragments || fragmentOffset > 0 }
}

public struct IPv6Header: Sendable {
    public var trafficClass: UInt8
    public var flowLabel: UInt32
    public var payloadLength: Int
    /// The Next Header field of the fixed header.
    public var nextHeader: UInt8
    public var hopLimit: UInt8
    public var source: IPAddress
    public var destination: IPAddress
    /// The upper-layer protocol after the extension headers.
    public var upperProtocol: UInt8
    /// How many extension headers were walked.
    public var extensionHeaderCount: Int
    /// A fragment header was present.
    public var isFragment: Bool
    public var fragmentOffset: Int
    public var moreFragments: Bool
    public var fragmentIdentification: UInt32
}

public struct UDPHeader: Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var length: Int
    public var checksum: UInt16
}

public struct TCPHeader: Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequenceNumber: UInt32
    public var acknowledgementNumber: UInt32
    public var headerLength: Int
    /// The 12 flag bits (NS, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN), as Wireshark's `tcp.flags`.
    public var flags: UInt16
    public var window: UInt16
    public var checksum: UInt16
    public var urgentPointer: UInt16
    public var options: TCPOptions

    public static let fin: UInt16 = 0x001
    public static let syn: UInt16 = 0x002
    public static let rst: UInt16 = 0x004
    public static let psh: UInt16 = 0x008
    public static let ack: UInt16 = 0x010
    public static let urg: UInt16 = 0x020
    public static let ece: UInt16 = 0x040
    public static let cwr: UInt16 = 0x080

    public var isSYN: Bool { flags & Self.syn != 0 }
    public var isACK: Bool { flags & Self.ack != 0 }
    public var isRST: Bool { flags & Self.rst != 0 }
    public var isFIN: Bool { flags & Self.fin != 0 }

    /// Flags as Wireshark's `tcp.flags.str` letters, e.g. "·······A··S·".
    public var flagLetters: String {
        let letters: [(UInt16, Character)] = [
            (0x800, "R"), (0x400, "R"), (0x200, "R"), (0x100, "N"), (0x80, "C"), (0x40, "E"),
            (0x20, "U"), (0x10, "A"), (0x08, "P"), (0x04, "R"), (0x02, "S"), (0x01, "F"),
        ]
        return String(letters.map { flags & $0.0 != 0 ? $0.1 : "·" })
    }
}

public struct TCPOptions: Sendable {
    public var maximumSegmentSize: UInt16? = nil
    public var windowScale: UInt8? = nil
    public var sackPermitted = false
    public var sackBlocks = 0
    public var timestampValue: UInt32? = nil
    public var timestampEcho: UInt32? = nil
    public init() {}
}

/// An ICMP or ICMPv6 message; for errors, the quoted original datagram's addresses and ports,
/// which tie the error to the flow that caused it.
public struct ICMPMessage: Sendable {
    public var type: UInt8
    public var code: UInt8
    public var checksum: UInt16
    /// Echo identifier and sequence (echo request/reply only).
    public var identifier: UInt16? = nil
    public var sequence: UInt16? = nil
    public var quoted: QuotedDatagram? = nil

    public var isError: Bool { quoted != nil }
}

public struct QuotedDatagram: Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    public var protocolNumber: UInt8
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?
    /// TTL (or hop limit) and IP id as quoted, for telling who sent the error.
    public var ttl: UInt8
    public var identification: UInt16
    /// A quoted UDP datagram's payload, as far as the error quotes it (offset into the frame or
    /// reassembled datagram the error was decoded from; 0 and 0 when it quotes no UDP payload),
    /// and its length on the wire as the quoted UDP header states it.
    public var udpPayloadOffset = 0
    public var udpPayloadQuoted = 0
    public var udpPayloadWireLength = 0

    public init(source: IPAddress, destination: IPAddress, protocolNumber: UInt8, sourcePort: UInt16?,
                destinationPort: UInt16?, ttl: UInt8, identification: UInt16) {
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.ttl = ttl
        self.identification = identification
    }

    /// The quoted UDP payload's bytes (empty when none is quoted).
    public func udpPayload(of bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[udpPayloadOffset..<(udpPayloadOffset + udpPayloadQuoted)])
    }
}

public enum IPProtocol {
    public static let icmp: UInt8 = 1
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let icmpv6: UInt8 = 58
}
