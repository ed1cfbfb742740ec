/// Lower-case hex digits, for MAC addresses and raw bytes at output time.
public enum Hex {
    public static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func string(_ bytes: UnsafeRawBufferPointer, separator: String = "") -> String {
        var out = ""
        out.reserveCapacity(bytes.count * (2 + separator.count))
        for (i, b) in bytes.enumerated() {
            if i > 0 { out += separator }
            out.unicodeScalars.append(UnicodeScalar(digits[Int(b >> 4)]))
            out.unicodeScalars.append(UnicodeScalar(digits[Int(b & 0xF)]))
        }
        return out
    }

    /// Six bytes held in the low 48 bits, as `aa:bb:cc:dd:ee:ff`.
    public static func mac(_ value: UInt64) -> String {
        var out = ""
        for i in stride(from: 40, through: 0, by: -8) {
            let b = UInt8(truncatingIfNeeded: value >> UInt64(i))
            if i != 40 { out += ":" }
            out.unicodeScalars.append(UnicodeScalar(digits[Int(b >> 4)]))
            out.unicodeScalars.append(UnicodeScalar(digits[Int(b & 0xF)]))
        }
        return out
    }

    /// Parses "0a1B 2c" style text (whitespace ignored); nil on any other character.
    public static func parse(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var pending: UInt8? = nil
        for scalar in text.unicodeScalars {
            let v: UInt8
            switch scalar {
            case "0"..."9": v = UInt8(scalar.value - 48)
            case "a"..."f": v = UInt8(scalar.value - 87)
            case "A"..."F": v = UInt8(scalar.value - 55)
            case " ", "\n", "\t", "\r": continue
            default: return nil
            }
            if let p = pending { out.append(p << 4 | v); pending = nil } else { pending = v }
        }
        return pending == nil ? out : nil
    }
}
