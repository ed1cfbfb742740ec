import Testing

@testable import Report

/// The summary's protocol counts: one inline slot per counted protocol.
@Suite struct SummaryCountTests {
    /// Every case has its own slot (the slots are a fixed-size inline array: a case added to
    /// `Counted` needs the size raised), and each count lands in its own.
    @Test func everyCountedCaseHasItsOwnSlot() {
        var summary = Summary()
        #expect(summary.protocolCounts.count == Summary.Counted.allCases.count)
        for (i, counted) in Summary.Counted.allCases.enumerated() {
            for _ in 0...i { summary.count(counted) }
        }
        #expect(Summary.Counted.allCases.map { summary[$0] } == (1...UInt64(Summary.Counted.allCases.count)).map { $0 })
    }
}
