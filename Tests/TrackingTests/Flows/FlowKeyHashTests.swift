@testable import Tracking
import Bytes
import Testing

/// The flow table files a flow under one hash whichever direction its packets go.
struct FlowKeyHashTests {
    @Test func bothDirectionsHashAlikeAndPortsCount() {
        let a = IPAddress(ipv4: 0x0A00_0001), b = IPAddress(ipv4: 0xC633_6404)
        let forward = FlowTuple(source: a, destination: b, sourcePort: 40000, destinationPort: 4000, protocolNumber: 17)
        #expect(FlowTable.hash(forward.key) == FlowTable.hash(forward.reversed.key))
        let other = FlowTuple(source: a, destination: b, sourcePort: 40001, destinationPort: 4000, protocolNumber: 17)
        #expect(FlowTable.hash(forward.key) != FlowTable.hash(other.key))
        let tcp = FlowTuple(source: a, destination: b, sourcePort: 40000, destinationPort: 4000, protocolNumber: 6)
        #expect(FlowTable.hash(forward.key) != FlowTable.hash(tcp.key))
    }
}
