/// Reads a fuzzer's bytes as a little program: control bytes and chunks taken from the front.
/// Past the end every read yields zero or nothing, so any input is a valid program.
struct FuzzInput {
    let bytes: UnsafeRawBufferPointer
    private(set) var at = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { at >= bytes.count }
    var remaining: Int { bytes.count - at }

    mutating func byte() -> UInt8 {
        guard at < bytes.count else { return 0 }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func u16() -> UInt16 {
        UInt16(byte()) | UInt16(byte()) << 8
    }

    /// Up to `count` bytes (fewer at the end).
    mutating func take(_ count: Int) -> UnsafeRawBufferPointer {
        let end = min(bytes.count, at + max(0, count))
        defer { at = end }
        return UnsafeRawBufferPointer(rebasing: bytes[at..<end])
    }

    mutating func rest() -> UnsafeRawBufferPointer { take(remaining) }
}

/// What one run of an entry point reached, so a test can tell that the decoder it names ran:
/// `decoded` counts the units it decoded whole (packets, PDUs, messages), `malformed` those it
/// reported as damaged, `kinds` has one bit per variant seen (an ICQ version and direction, a
/// link type, a PDU kind), `fields` counts the fields visited and rendered.
public struct FuzzTally: Sendable {
    public var decoded = 0
    public var malformed = 0
    public var kinds: UInt64 = 0
    public var fields = 0

    public init() {}

    mutating func saw(kind bit: Int) { kinds |= 1 << UInt64(bit & 63) }

    public static func + (a: FuzzTally, b: FuzzTally) -> FuzzTally {
        var r = a
        r.decoded += b.decoded
        r.malformed += b.malformed
        r.kinds |= b.kinds
        r.fields += b.fields
        return r
    }
}
