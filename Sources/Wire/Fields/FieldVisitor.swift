import Bytes

/// One decoded field value as a stream decoder hands it to an output writer. Text stays a view
/// of the borrowed bytes (with the charset it is in) until the writer formats it, so visiting
/// fields allocates nothing.
public enum FieldValue {
    case unsigned(UInt64)
    case address(IPAddress)
    /// Bytes of text as they are on the wire; `charset` says how to turn them into a string.
    case text(UnsafeRawBufferPointer, TextCharset)
    /// A fixed name from a table (a command, reply code or message type name).
    case name(StaticString)
    case bool(Bool)
    /// A secret that is present but not shown (`--reveal-secrets` not given).
    case masked
    /// A list of small integers (e.g. the SOCKS5 methods offered), one per byte.
    case byteList(UnsafeRawBufferPointer)
    /// A list of 32-bit little-endian integers (e.g. the UINs of an ICQ contact list).
    case u32LEList(UnsafeRawBufferPointer)
}

/// How text bytes are to be read at output.
public enum TextCharset: Sendable {
    /// Plain ASCII protocol text (host names, user names); other bytes are escaped by the writer.
    case ascii
    /// UTF-8 declared by the sender (the ICQ UTF-8 capability GUID accompanies the text).
    case utf8
    /// The sender's local 8-bit code page, unknown: UTF-8 when the bytes are valid UTF-8,
    /// otherwise Windows-1252.
    case localCodePage
}

/// Receives the fields of one PDU in wire order. `name` is the full dotted field name
/// (Wireshark's where it has one, e.g. `socks.dstport`; `icq.peer.*` for the peer protocol), so an
/// NDJSON writer nests objects by splitting it at the dots.
public protocol FieldVisitor {
    mutating func visit(_ name: StaticString, _ value: FieldValue)
}

extension FieldValue {
    /// The value as text, for tests and simple writers (allocates; not for the per-packet path).
    public var renderedText: String {
        switch self {
        case .unsigned(let v): return String(v)
        case .address(let a): return a.description
        case .text(let bytes, let charset): return TextDecoding.string(bytes, charset)
        case .name(let n): return n.description
        case .bool(let b): return b ? "true" : "false"
        case .masked: return "********"
        case .byteList(let bytes): return bytes.map { String($0) }.joined(separator: "|")
        case .u32LEList(let bytes):
            return stride(from: 0, to: bytes.count - 3, by: 4).map { String(bytes.u32LE(at: $0)) }.joined(separator: "|")
        }
    }
}

/// Turning wire text into Swift strings, done only at output time.
public enum TextDecoding {
    public static func string(_ bytes: UnsafeRawBufferPointer, _ charset: TextCharset) -> String {
        switch charset {
        case .ascii, .utf8:
            return String(decoding: bytes, as: UTF8.self)
        case .localCodePage:
            if let s = String(validating: bytes, as: UTF8.self) { return s }
            return String(String.UnicodeScalarView(bytes.map { windows1252Scalar($0) }))
        }
    }

    /// Windows-1252 differs from Latin-1 only in 0x80...0x9F.
    static func windows1252Scalar(_ byte: UInt8) -> Unicode.Scalar {
        let high: [UInt32] = [
            0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
            0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
            0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
        ]
        if (0x80...0x9F).contains(byte) { return Unicode.Scalar(high[Int(byte) - 0x80])! }
        return Unicode.Scalar(byte)
    }
}
