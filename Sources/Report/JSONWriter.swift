import Bytes

/// Builds NDJSON records straight into a reusable byte buffer: keys are static strings, integers
/// and addresses are written digit by digit, so a record costs no allocation once the buffer has
/// grown to its working size.
public struct JSONWriter {
    public private(set) var buffer: [UInt8] = []
    /// One bit per nesting level: set when the container at that level already has a member.
    private var hasMember: UInt64 = 0
    private var depth = 0

    public init(capacity: Int = 1 << 16) {
        buffer.reserveCapacity(capacity)
    }

    public mutating func removeAll() {
        buffer.removeAll(keepingCapacity: true)
        hasMember = 0
        depth = 0
    }

    // MARK: containers

    public mutating func beginObject() {
        separate()
        buffer.append(UInt8(ascii: "{"))
        push()
    }

    public mutating func endObject() {
        pop()
        buffer.append(UInt8(ascii: "}"))
    }

    public mutating func beginArray() {
        separate()
        buffer.append(UInt8(ascii: "["))
        push()
    }

    public mutating func endArray() {
        pop()
        buffer.append(UInt8(ascii: "]"))
    }

    /// Starts a member `"key":` of the current object; the next value call completes it.
    public mutating func key(_ name: StaticString) {
        separate()
        buffer.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { buffer.append(contentsOf: $0) }
        Self.quoteColon.withUTF8Buffer { buffer.append(contentsOf: $0) }
        // The value that follows must not add a comma of its own.
        suppressNextSeparator = true
    }

    /// Same as `key(_:)` for a key given as UTF-8 bytes that need no escaping (a part of a static
    /// dotted field name).
    public mutating func key(utf8 name: UnsafeBufferPointer<UInt8>) {
        separate()
        buffer.append(UInt8(ascii: "\""))
        buffer.append(contentsOf: name)
        buffer.append(UInt8(ascii: "\""))
        buffer.append(UInt8(ascii: ":"))
        suppressNextSeparator = true
    }

    /// Same as `key(_:)` for keys only known at run time (map keys in summaries).
    public mutating func key(_ name: String) {
        separate()
        appendQuoted(name)
        buffer.append(UInt8(ascii: ":"))
        suppressNextSeparator = true
    }

    public mutating func beginObject(_ name: StaticString) {
        key(name)
        beginObject()
    }

    public mutating func beginArray(_ name: StaticString) {
        key(name)
        beginArray()
    }

    // MARK: members

    public mutating func field(_ name: StaticString, _ value: some BinaryInteger) {
        key(name)
        integer(value)
    }

    public mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        string(value)
    }

    public mutating func field(_ name: StaticString, static value: StaticString) {
        key(name)
        string(value)
    }

    public mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bool(value)
    }

    public mutating func field(_ name: StaticString, _ value: IPAddress) {
        key(name)
        address(value)
    }

    public mutating func fieldNull(_ name: StaticString) {
        key(name)
        null()
    }

    /// A capture timestamp as a string with all nine nanosecond digits, as OUTPUT.md requires.
    public mutating func field(_ name: StaticString, nanoseconds: Int64) {
        key(name)
        timestamp(nanoseconds)
    }

    // MARK: values

    public mutating func integer(_ value: some BinaryInteger) {
        separate()
        appendInteger(value)
    }

    public mutating func bool(_ value: Bool) {
        separate()
        if value {
            buffer.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        } else {
            buffer.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        }
    }

    public mutating func null() {
        separate()
        buffer.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
    }

    public mutating func string(_ value: StaticString) {
        separate()
        buffer.append(UInt8(ascii: "\""))
        value.withUTF8Buffer { buffer.append(contentsOf: $0) }
        buffer.append(UInt8(ascii: "\""))
    }

    public mutating func string(_ value: String) {
        separate()
        appendQuoted(value)
    }

    /// Raw UTF-8 bytes as a JSON string; invalid UTF-8 is replaced, control characters escaped.
    public mutating func string(utf8 bytes: UnsafeRawBufferPointer) {
        separate()
        appendQuoted(String(decoding: bytes, as: UTF8.self))
    }

    public mutating func address(_ value: IPAddress) {
        separate()
        buffer.append(UInt8(ascii: "\""))
        if value.isIPv6 {
            buffer.append(contentsOf: value.description.utf8)
        } else {
            IPAddress.withDottedQuad(value.ipv4Value, port: nil) { buffer.append(contentsOf: $0) }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    public mutating func timestamp(_ nanoseconds: Int64) {
        separate()
        buffer.append(UInt8(ascii: "\""))
        appendTimestamp(nanoseconds)
        buffer.append(UInt8(ascii: "\""))
    }

    /// A duration in seconds with nanosecond digits, as a JSON number ("12.000500000").
    public mutating func seconds(_ nanoseconds: Int64) {
        separate()
        appendTimestamp(nanoseconds)
    }

    /// Ends the record: a newline, and the nesting state is reset for the next one.
    public mutating func endLine() {
        buffer.append(UInt8(ascii: "\n"))
        hasMember = 0
        depth = 0
    }

    /// A value another `JSONWriter` already wrote (e.g. PDUs collected while a frame was
    /// analysed, written into the frame's record afterwards).
    public mutating func rawValue(_ bytes: UnsafeBufferPointer<UInt8>) {
        separate()
        buffer.append(contentsOf: bytes)
    }

    // MARK: plumbing

    private static let quoteColon: StaticString = "\":"

    private var suppressNextSeparator = false

    private mutating func separate() {
        if suppressNextSeparator {
            suppressNextSeparator = false
            return
        }
        guard depth > 0 else { return }
        let bit: UInt64 = 1 << UInt64(depth - 1)
        if hasMember & bit != 0 {
            buffer.append(UInt8(ascii: ","))
        } else {
            hasMember |= bit
        }
    }

    private mutating func push() {
        depth += 1
        precondition(depth <= 64, "JSON nesting deeper than 64")
        hasMember &= ~(1 << UInt64(depth - 1))
    }

    private mutating func pop() {
        depth -= 1
    }

    private mutating func appendInteger(_ value: some BinaryInteger) {
        if value < 0 {
            buffer.append(UInt8(ascii: "-"))
            appendMagnitude(UInt64(value.magnitude))
        } else {
            appendMagnitude(UInt64(value))
        }
    }

    private mutating func appendMagnitude(_ value: UInt64) {
        if value < 10 {
            buffer.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        // Digits into a buffer on the stack, then one append: a byte at a time, every append
        // checks the array's capacity and uniqueness, which made numbers the bulk of a record.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            var v = value
            while v > 0 {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    /// Seconds, a point and nine digits of nanoseconds, with one append.
    private mutating func appendTimestamp(_ nanoseconds: Int64) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { text in
            let n = nanoseconds.magnitude
            var seconds = n / 1_000_000_000
            var fraction = n % 1_000_000_000
            // Written from the end: nine fraction digits, the point, the seconds, the sign.
            var start = 32
            for _ in 0..<9 {
                start -= 1
                text[start] = UInt8(ascii: "0") + UInt8(fraction % 10)
                fraction /= 10
            }
            start -= 1
            text[start] = UInt8(ascii: ".")
            repeat {
                start -= 1
                text[start] = UInt8(ascii: "0") + UInt8(seconds % 10)
                seconds /= 10
            } while seconds > 0
            if nanoseconds < 0 {
                start -= 1
                text[start] = UInt8(ascii: "-")
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<32]))
        }
    }

    /// A JSON string: runs of bytes that need no escape are appended whole (a finding's
    /// explanation and advice are hundreds of bytes, and an append costs about as much for one
    /// byte as for a run).
    private mutating func appendQuoted(_ value: String) {
        buffer.append(UInt8(ascii: "\""))
        var text = value
        text.withUTF8 { bytes in
            var runStart = 0
            for i in 0..<bytes.count {
                let byte = bytes[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F else { continue }
                if runStart < i { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                appendEscaped(byte)
                runStart = i + 1
            }
            if runStart < bytes.count { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): buffer.append(contentsOf: [0x5C, 0x22])
        case UInt8(ascii: "\\"): buffer.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: buffer.append(contentsOf: [0x5C, 0x6E])
        case 0x0D: buffer.append(contentsOf: [0x5C, 0x72])
        case 0x09: buffer.append(contentsOf: [0x5C, 0x74])
        default:
            buffer.append(contentsOf: [0x5C, 0x75, 0x30, 0x30])
            buffer.append(Hex.digits[Int(byte >> 4)])
            buffer.append(Hex.digits[Int(byte & 0xF)])
        }
    }
}
