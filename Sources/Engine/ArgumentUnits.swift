/// Sizes as people write them on the command line (durations: `DurationParser`).
public enum ArgumentUnits {
    /// "4194304", "64K", "4M", "1G" (binary multiples), at most `limit` (the default: what an Int32 holds).
    public static func bytes(_ text: String, limit: Int64 = Int64(Int32.max)) -> Int64? {
        let multipliers: [Character: Int64] = ["K": 1 << 10, "k": 1 << 10, "M": 1 << 20, "m": 1 << 20, "G": 1 << 30, "g": 1 << 30]
        var digits = Substring(text)
        var multiplier: Int64 = 1
        if let last = digits.last, let m = multipliers[last] {
            multiplier = m
            digits = digits.dropLast()
        }
        guard let value = Int64(digits), value > 0, value <= limit / multiplier else { return nil }
        return value * multiplier
    }
}
