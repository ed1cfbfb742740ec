import Testing
import Wire

@testable import Report

/// The summary counts malformed packets by layer and reason text.
@Suite struct SummaryMalformationTests {
    /// Reasons given at different places (here: a literal and a stored one) count as one key when
    /// their text is the same, and apart when the layer or the text differs.
    @Test func countsByLayerAndReasonText() {
        let stored: StaticString = "header truncated"
        var summary = Summary()
        summary.countMalformed(Malformation(.ipv4, at: 0, "header truncated"))
        summary.countMalformed(Malformation(.ipv4, at: 7, stored))
        summary.countMalformed(Malformation(.ipv6, at: 0, stored))
        summary.countMalformed(Malformation(.ipv4, at: 0, "options truncated"))
        summary.countMalformed(Malformation(.ipv4, at: 3, "header truncated"))
        #expect(summary.malformed.map(\.key) == ["ipv4.header_truncated", "ipv4.options_truncated", "ipv6.header_truncated"])
        #expect(summary.malformed.map(\.count) == [3, 1, 1])
    }

    /// Keys equal by text hash alike (a dictionary relies on it).
    @Test func equalKeysHashAlike() {
        let a = Summary.MalformationKey(Malformation(.tcp, at: 0, "header length below 20"))
        let b = Summary.MalformationKey(Malformation(.tcp, at: 9, "header length below 20"))
        let c = Summary.MalformationKey(Malformation(.udp, at: 0, "header length below 20"))
        #expect(a == b && a.hashValue == b.hashValue)
        #expect(a != c)
    }
}
