import Engine
import Testing
import Tracking

struct MemoryBudgetTests {
    @Test func sizesAsPeopleWriteThem() {
        #expect(MemoryBudget(parsing: "1G")?.bytes == 1 << 30)
        #expect(MemoryBudget(parsing: "512M")?.bytes == 512 << 20)
        #expect(MemoryBudget(parsing: "512MiB")?.bytes == 512 << 20)
        #expect(MemoryBudget(parsing: "2048k")?.bytes == 2 << 20)
        #expect(MemoryBudget(parsing: "4194304")?.bytes == 4 << 20)
        #expect(MemoryBudget(parsing: "64K") == nil, "below the 1 MiB minimum")
        #expect(MemoryBudget(parsing: "") == nil)
        #expect(MemoryBudget(parsing: "G") == nil)
        #expect(MemoryBudget(parsing: "99999999999T") == nil, "overflows")
    }

    @Test func sharesFollowTheBudget() {
        let budget = MemoryBudget(bytes: 1 << 30)
        #expect(budget.maximumFlows == (3 << 27) / FlowTable.bytesPerFlow)
        #expect(budget.maximumFlows >= 1_000_000, "a million flows fit the default budget")
        #expect(budget.flowConfiguration.maximumFlows == budget.maximumFlows)
        #expect(budget.streamBufferBytes == 1 << 27)
        #expect(budget.streamLimits.maxTotalBytes == 1 << 27)
        #expect(budget.streamLimits.effectiveMaxStreams == budget.maximumStreams)
        #expect(budget.maximumStreams >= 100_000, "streams are slots, their buffers lent only while bytes wait")
        #expect(budget.maximumICQSessions == (1 << 28) / ICQSessionTracker.approximateBytesPerSession)
        #expect(budget.maximumICQSessions >= 100_000, "a gateway of 100,000 ICQ users fits the default budget")
        // Doubling the budget doubles each share.
        let double = MemoryBudget(bytes: 2 << 30)
        #expect(double.maximumFlows == 2 * budget.maximumFlows || double.maximumFlows == 2 * budget.maximumFlows + 1)
        #expect(MemoryBudget(bytes: 1 << 20).maximumFlows >= 1024, "never fewer than 1,024 flows")
        #expect(MemoryBudget(bytes: 1 << 20).maximumStreams >= 1024)
    }
}
