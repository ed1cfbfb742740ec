import Bytes

/// One packet as the capture stage hands it on. `bytes` is borrowed: it stays valid only until the
/// source is asked for the next packet, so later stages read it in place and keep nothing.
public struct CapturedPacket {
    /// 1-based, counted over every packet record of the file (or live run).
    public var frameNumber: UInt64
    /// Capture time, nanoseconds since the Unix epoch.
    public var timestampNanos: Int64
    /// Index into the source's `interfaces`.
    public var interfaceIndex: Int
    public var linkType: LinkType
    public var capturedLength: Int
    public var originalLength: Int
    public var bytes: UnsafeRawBufferPointer

    public init(
        frameNumber: UInt64, timestampNanos: Int64, interfaceIndex: Int, linkType: LinkType,
        originalLength: Int, bytes: UnsafeRawBufferPointer
    ) {
        self.frameNumber = frameNumber
        self.timestampNanos = timestampNanos
        self.interfaceIndex = interfaceIndex
        self.linkType = linkType
        self.capturedLength = bytes.count
        self.originalLength = originalLength
        self.bytes = bytes
    }
}

/// What a file or a live handle says about one capture interface.
public struct CaptureInterface: Sendable, Equatable {
    public var name: String?
    public var description: String?
    public var linkType: LinkType
    public var snapLength: UInt32
    /// Timestamp units per second as recorded (1_000_000 for microseconds, 1e9 for nanoseconds).
    public var timestampResolution: TimestampResolution
    /// Seconds added to every timestamp (pcapng `if_tsoffset`).
    public var timestampOffsetSeconds: Int64
    /// Capture statistics, where the file or the live handle records them.
    public var statistics: InterfaceStatistics?

    public init(
        name: String? = nil, description: String? = nil, linkType: LinkType, snapLength: UInt32,
        timestampResolution: TimestampResolution = .microseconds, timestampOffsetSeconds: Int64 = 0
    ) {
        self.name = name
        self.description = description
        self.linkType = linkType
        self.snapLength = snapLength
        self.timestampResolution = timestampResolution
        self.timestampOffsetSeconds = timestampOffsetSeconds
    }
}

/// Drop and delivery counters (pcapng interface statistics block, or `pcap_stats`).
public struct InterfaceStatistics: Sendable, Equatable {
    /// Packets the interface received (`isb_ifrecv`, `ps_recv`).
    public var received: UInt64?
    /// Dropped by the interface or driver (`isb_ifdrop`, `ps_ifdrop`).
    public var interfaceDropped: UInt64?
    /// Dropped by the operating system for lack of buffer space (`isb_osdrop`, `ps_drop`).
    public var osDropped: UInt64?
    /// Accepted by the capture filter (`isb_filteraccept`).
    public var filterAccepted: UInt64?
    /// Delivered to the user (`isb_usrdeliv`).
    public var delivered: UInt64?

    public init(
        received: UInt64? = nil, interfaceDropped: UInt64? = nil, osDropped: UInt64? = nil,
        filterAccepted: UInt64? = nil, delivered: UInt64? = nil
    ) {
        self.received = received
        self.interfaceDropped = interfaceDropped
        self.osDropped = osDropped
        self.filterAccepted = filterAccepted
        self.delivered = delivered
    }

    public var totalDropped: UInt64 { (interfaceDropped ?? 0) + (osDropped ?? 0) }
}

/// A timestamp unit: 10^-n or 2^-n seconds (pcapng `if_tsresol`).
public struct TimestampResolution: Sendable, Equatable {
    public let exponent: UInt8
    public let isPowerOfTwo: Bool

    public static let microseconds = TimestampResolution(exponent: 6, isPowerOfTwo: false)
    public static let nanoseconds = TimestampResolution(exponent: 9, isPowerOfTwo: false)

    public init(exponent: UInt8, isPowerOfTwo: Bool) {
        self.exponent = exponent
        self.isPowerOfTwo = isPowerOfTwo
    }

    /// From the raw `if_tsresol` byte: high bit set means a power of two.
    public init(pcapngOption byte: UInt8) {
        self.init(exponent: byte & 0x7F, isPowerOfTwo: byte & 0x80 != 0)
    }

    /// Converts a count of units to nanoseconds without overflowing for any realistic capture.
    @inlinable
    public func nanoseconds(fromUnits units: UInt64) -> Int64 {
        if isPowerOfTwo {
            let shift = UInt64(min(exponent, 63))
            let whole = units >> shift
            let fraction = units & ((1 << shift) &- 1)
            let (high, low) = fraction.multipliedFullWidth(by: 1_000_000_000)
            let fractionNanos = shift == 0 ? 0 : (low >> shift) | (high << (64 - shift))
            return Int64(truncatingIfNeeded: whole &* 1_000_000_000 &+ fractionNanos)
        }
        if exponent <= 9 {
            return Int64(truncatingIfNeeded: units &* TimestampResolution.powersOfTen[Int(9 - exponent)])
        }
        let divisor = TimestampResolution.powersOfTen[Int(min(exponent - 9, 19))]
        return Int64(truncatingIfNeeded: units / divisor)
    }

    @usableFromInline
    static let powersOfTen: [UInt64] = (0...19).map { n in
        var v: UInt64 = 1
        for _ in 0..<n { v &*= 10 }
        return v
    }
}
