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

    /// The tables of fixed size keep their usual sizes from 64 MiB up (the default's output does
    /// not depend on the budget) and shrink below it, never to nothing; the advertised endpoints
    /// have theirs from the default 1 GiB up.
    @Test func fixedTablesShrinkOnlyBelow64MiB() {
        for bytes in [64 << 20, 1 << 30, 8 << 30] {
            let budget = MemoryBudget(bytes: bytes)
            #expect(budget.addressCapacity == 65_536)
            #expect(budget.advertisedEndpointCapacity == (bytes >= 1 << 30 ? 262_144 : 16_384))
            #expect(budget.gatewayCapacity == 65_536)
            #expect(budget.reassemblyDatagrams == 1_024)
            #expect(budget.reassemblyBytes == 8 << 20)
        }
        let small = MemoryBudget(bytes: 16 << 20)
        #expect(small.addressCapacity == 16_384 && small.advertisedEndpointCapacity == 4_096)
        #expect(small.reassemblyDatagrams == 256 && small.reassemblyBytes == 2 << 20)
        let smallest = MemoryBudget(bytes: 1 << 20)
        #expect(smallest.addressCapacity == 1_024 && smallest.advertisedEndpointCapacity == 1_024)
        #expect(smallest.gatewayCapacity == 1_024 && smallest.reassemblyDatagrams == 64)
        #expect(smallest.reassemblyBytes == 256 << 10)
    }
}
