import Bytes
import Capture
import SampleKit
import Testing
@testable import Tracking
import Wire

/// Flow slots keep each address in four bytes: IPv4 itself, IPv6 as a number in the table's pool,
/// counted by the flows that name it. Mixed families, the same address in many flows, and flows
/// ending must give back exactly the endpoints that came in, and leave the pool empty.
struct CompactFlowKeyTests {
    static func v6(_ last: UInt8) -> [UInt8] { [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [last] }

    static func address(_ bytes: [UInt8]) -> IPAddress { bytes.withUnsafeBytes { IPAddress.ipv6($0, at: 0) } }

    static func udp6Frame(from source: [UInt8], _ sourcePort: UInt16, to destination: [UInt8], _ destinationPort: UInt16) -> [UInt8] {
        let udp = FrameBuilder.udp(sourcePort: sourcePort, destinationPort: destinationPort, payload: [1, 2, 3],
                                   pseudoHeader: FrameBuilder.pseudoHeaderV6(source: source, destination: destination,
                                                                             protocolNumber: 17, length: 11))
        return FrameBuilder.ethernet(etherType: 0x86DD,
                                     payload: FrameBuilder.ipv6(source: source, destination: destination, nextHeader: 17, payload: udp))
    }

    @Test func ipv6AddressesAreSharedCountedAndGivenBack() throws {
        var table = FlowTable()
        let server = Self.v6(1)
        var handles: [FlowHandle] = []
        // 50 clients, two flows each to the same server: the server's address is named 100 times.
        for client in UInt8(2)...51 {
            for port in [UInt16(40_000), 40_001] {
                let frame = UInt64(handles.count + 1)
                let o = try #require(feed(&table, Self.udp6Frame(from: Self.v6(client), port, to: server, 4000),
                                          time: Int64(frame) * 1_000_000, frame: frame))
                #expect(o.isNewFlow)
                handles.append(o.handle)
            }
        }
        // An IPv4 flow beside them keeps its addresses in the slot.
        let v4 = try #require(feed(&table, udpFrame((10, 0, 0, 1), 1234, (192, 0, 2, 7), 53), time: 200_000_000, frame: 101))
        #expect(table.ipv6.count == 51)
        #expect(table.activeFlowCount == 101)
        // Replies find their flow (either direction), and the endpoints come back whole.
        let reply = try #require(feed(&table, Self.udp6Frame(from: server, 4000, to: Self.v6(7), 40_001),
                                      time: 300_000_000, frame: 102))
        #expect(!reply.isNewFlow && !reply.fromOriginator)
        let endpoints = try #require(table.endpoints(of: reply.handle))
        #expect(endpoints.originator == Endpoint(address: Self.address(Self.v6(7)), port: 40_001))
        #expect(endpoints.responder.address == Self.address(server))
        #expect(table.endpoints(of: v4.handle)?.responder == Endpoint(address: IPAddress(ipv4: 0xC000_0207), port: 53))
        // An address no flow has cannot match a flow, and is not added by looking.
        #expect(table.handle(for: FlowTuple(source: Self.address(Self.v6(99)),
                                            destination: Self.address(server),
                                            sourcePort: 40_000, destinationPort: 4000, protocolNumber: 17)) == nil)
        #expect(table.ipv6.count == 51)
        // Every flow ends: records carry the whole addresses, and the pool is empty again.
        var records: [FlowRecord] = []
        table.finish { records.append($0) }
        #expect(records.count == 101)
        #expect(records.filter { $0.responder.address == Self.address(server) }.count == 100)
        #expect(Set(records.map(\.originator)).count == 101)
        #expect(table.ipv6.count == 0)
    }

    @Test func slotStaysSmall() {
        // What makes a million flows fit in a quarter of a gigabyte (issue 10: at most 256 bytes
        // a flow with its index entry).
        #expect(MemoryLayout<FlowSlot>.stride <= 232)
    }
}
