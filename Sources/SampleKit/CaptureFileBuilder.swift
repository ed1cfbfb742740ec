/// Writes classic pcap bytes in either byte order and time resolution.
public struct PcapBuilder {
    public private(set) var bytes: [UInt8] = []
    public let bigEndian: Bool
    public let nanosecond: Bool

    public init(linkType: UInt32 = 1, snapLength: UInt32 = 262_144, bigEndian: Bool = false, nanosecond: Bool = false) {
        self.bigEndian = bigEndian
        self.nanosecond = nanosecond
        bytes.append32(nanosecond ? 0xA1B2_3C4D : 0xA1B2_C3D4, bigEndian: bigEndian)
        bytes.append16(2, bigEndian: bigEndian)
        bytes.append16(4, bigEndian: bigEndian)
        bytes.append32(0, bigEndian: bigEndian)
        bytes.append32(0, bigEndian: bigEndian)
        bytes.append32(snapLength, bigEndian: bigEndian)
        bytes.append32(linkType, bigEndian: bigEndian)
    }

    /// Adds a record; `capturedLength` defaults to the frame's length (a test may lie here).
    public mutating func add(nanoseconds: Int64, frame: [UInt8], originalLength: Int? = nil, capturedLength: Int? = nil) {
        bytes.append32(UInt32(nanoseconds / 1_000_000_000), bigEndian: bigEndian)
        let fraction = nanoseconds % 1_000_000_000
        bytes.append32(UInt32(nanosecond ? fraction : fraction / 1000), bigEndian: bigEndian)
        bytes.append32(UInt32(capturedLength ?? frame.count), bigEndian: bigEndian)
        bytes.append32(UInt32(originalLength ?? frame.count), bigEndian: bigEndian)
        bytes += frame
    }
}

/// Writes pcapng bytes: sections, interfaces with options, every packet block kind, statistics.
public struct PcapngBuilder {
    public private(set) var bytes: [UInt8] = []
    public private(set) var bigEndian: Bool

    public init(bigEndian: Bool = false) {
        self.bigEndian = bigEndian
        section(bigEndian: bigEndian)
    }

    public mutating func section(bigEndian: Bool) {
        self.bigEndian = bigEndian
        var body: [UInt8] = []
        body.append32(0x1A2B_3C4D, bigEndian: bigEndian)
        body.append16(1, bigEndian: bigEndian)
        body.append16(0, bigEndian: bigEndian)
        body.append64(UInt64.max, bigEndian: bigEndian)  // section length unknown
        block(type: 0x0A0D_0D0A, body: body)
    }

    /// `resolution` is the raw if_tsresol byte (6 = µs, 9 = ns, 0x80|n = 2^-n).
    public mutating func interface(linkType: UInt16, snapLength: UInt32 = 262_144, name: String? = nil,
                                   resolution: UInt8? = nil, offsetSeconds: Int64? = nil) {
        var body: [UInt8] = []
        body.append16(linkType, bigEndian: bigEndian)
        body.append16(0, bigEndian: bigEndian)
        body.append32(snapLength, bigEndian: bigEndian)
        if let name { option(&body, code: 2, value: Array(name.utf8)) }
        if let resolution { option(&body, code: 9, value: [resolution]) }
        if let offsetSeconds {
            var v: [UInt8] = []
            v.append64(UInt64(bitPattern: offsetSeconds), bigEndian: bigEndian)
            option(&body, code: 14, value: v)
        }
        option(&body, code: 0, value: [])
        block(type: 1, body: body)
    }

    public mutating func enhancedPacket(interface: UInt32, units: UInt64, frame: [UInt8], originalLength: Int? = nil) {
        var body: [UInt8] = []
        body.append32(interface, bigEndian: bigEndian)
        body.append32(UInt32(units >> 32), bigEndian: bigEndian)
        body.append32(UInt32(units & 0xFFFF_FFFF), bigEndian: bigEndian)
        body.append32(UInt32(frame.count), bigEndian: bigEndian)
        body.append32(UInt32(originalLength ?? frame.count), bigEndian: bigEndian)
        body += padded(frame)
        block(type: 6, body: body)
    }

    public mutating func simplePacket(frame: [UInt8], originalLength: Int? = nil) {
        var body: [UInt8] = []
        body.append32(UInt32(originalLength ?? frame.count), bigEndian: bigEndian)
        body += padded(frame)
        block(type: 3, body: body)
    }

    public mutating func obsoletePacket(interface: UInt16, units: UInt64, frame: [UInt8]) {
        var body: [UInt8] = []
        body.append16(interface, bigEndian: bigEndian)
        body.append16(0, bigEndian: bigEndian)
        body.append32(UInt32(units >> 32), bigEndian: bigEndian)
        body.append32(UInt32(units & 0xFFFF_FFFF), bigEndian: bigEndian)
        body.append32(UInt32(frame.count), bigEndian: bigEndian)
        body.append32(UInt32(frame.count), bigEndian: bigEndian)
        body += padded(frame)
        block(type: 2, body: body)
    }

    public mutating func interfaceStatistics(interface: UInt32, received: UInt64, interfaceDropped: UInt64, osDropped: UInt64? = nil) {
        var body: [UInt8] = []
        body.append32(interface, bigEndian: bigEndian)
        body.append32(0, bigEndian: bigEndian)
        body.append32(0, bigEndian: bigEndian)
        var v: [UInt8] = []
        v.append64(received, bigEndian: bigEndian)
        option(&body, code: 4, value: v)
        v = []
        v.append64(interfaceDropped, bigEndian: bigEndian)
        option(&body, code: 5, value: v)
        if let osDropped {
            v = []
            v.append64(osDropped, bigEndian: bigEndian)
            option(&body, code: 7, value: v)
        }
        option(&body, code: 0, value: [])
        block(type: 5, body: body)
    }

    /// A name resolution block with one IPv4 record, which readers skip.
    public mutating func nameResolution() {
        var body: [UInt8] = []
        var record: [UInt8] = [192, 0, 2, 1]
        record += Array("server.example".utf8) + [0]
        body.append16(1, bigEndian: bigEndian)
        body.append16(UInt16(record.count), bigEndian: bigEndian)
        body += padded(record)
        body.append32(0, bigEndian: bigEndian)
        block(type: 4, body: body)
    }

    /// A custom block (type 0x40000BAD) with a private enterprise number, which readers skip.
    public mutating func customBlock(payload: [UInt8]) {
        var body: [UInt8] = []
        body.append32(32473, bigEndian: bigEndian)
        body += padded(payload)
        block(type: 0x4000_0BAD, body: body)
    }

    /// Any block; `trailingLength` lets a test make the two length fields disagree.
    public mutating func block(type: UInt32, body: [UInt8], trailingLength: UInt32? = nil) {
        let total = UInt32(12 + body.count)
        bytes.append32(type, bigEndian: bigEndian)
        bytes.append32(total, bigEndian: bigEndian)
        bytes += body
        bytes.append32(trailingLength ?? total, bigEndian: bigEndian)
    }

    private func option(_ body: inout [UInt8], code: UInt16, value: [UInt8]) {
        body.append16(code, bigEndian: bigEndian)
        body.append16(UInt16(value.count), bigEndian: bigEndian)
        body += padded(value)
    }

    private func padded(_ data: [UInt8]) -> [UInt8] {
        data + [UInt8](repeating: 0, count: (4 - data.count % 4) % 4)
    }
}

/// A small deterministic generator (SplitMix64), so samples are identical on every machine.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
