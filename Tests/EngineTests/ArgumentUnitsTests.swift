import Engine
import Testing

/// Sizes as people write them for --buffer-size, --write-size and --memcap.
struct ArgumentUnitsTests {
    @Test(arguments: [("4194304", Int64(4_194_304)), ("64K", 65_536), ("4M", 4 << 20), ("1g", 1 << 30)])
    func sizes(_ text: String, _ bytes: Int64) {
        #expect(ArgumentUnits.bytes(text) == bytes)
    }

    /// Nothing, zero, a unit alone, an unknown unit, and more than the limit (an Int32 unless told).
    @Test(arguments: ["", "0", "M", "4T", "-1", "2G", "3.5M"])
    func notSizes(_ text: String) {
        #expect(ArgumentUnits.bytes(text) == nil)
    }

    @Test func aLargerLimit() {
        #expect(ArgumentUnits.bytes("2G", limit: Int64(1) << 50) == Int64(2) << 30)
    }
}
