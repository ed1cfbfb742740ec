import Bytes
import Capture
import Testing
import Tracking
import Wire

/// The table's own behaviour: keying, expiry on capture time, eviction, determinism.
@Suite struct FlowTableTests {
    static let second: Int64 = 1_000_000_000
    static let t0: Int64 = 1_700_000_000 * second

    func drain(_ table: inout FlowTable) -> [FlowRecord] {
        var records: [FlowRecord] = []
        table.drainEndedFlows { records.append($0) }
        return records
    }

    @Test func bothDirectionsShareOneKey() {
        let tuple = FlowTuple(source: parseAddress("10.0.0.1"), destination: parseAddress("10.0.0.2"),
                              sourcePort: 40000, destinationPort: 4000, protocolNumber: 17)
        #expect(tuple.key == tuple.reversed.key)
        let v6 = FlowTuple(source: parseAddress("2001:db8::1"), destination: parseAddress("2001:db8::2"),
                           sourcePort: 1, destinationPort: 2, protocolNumber: 6)
        #expect(v6.key == v6.reversed.key)
        // Same addresses on a loopback, told apart by the ports only.
        let loop = FlowTuple(source: parseAddress("127.0.0.1"), destination: parseAddress("127.0.0.1"),
                             sourcePort: 49970, destinationPort: 4000, protocolNumber: 17)
        #expect(loop.key == loop.reversed.key)
        var otherProtocol = tuple
        otherProtocol.protocolNumber = 6
        #expect(otherProtocol.key != tuple.key)
    }

    @Test func replyJoinsTheFlowAndTheFirstSenderIsOriginator() {
        var table = FlowTable()
        let client = (UInt8(10), UInt8(0), UInt8(0), UInt8(1)), server = (UInt8(10), UInt8(0), UInt8(0), UInt8(2))
        let first = feed(&table, udpFrame(client, 40000, server, 4000), time: Self.t0, frame: 1)
        let reply = feed(&table, udpFrame(server, 4000, client, 40000), time: Self.t0 + 1, frame: 2)
        #expect(first?.isNewFlow == true && first?.fromOriginator == true)
        #expect(reply?.isNewFlow == false && reply?.fromOriginator == false)
        #expect(first?.handle == reply?.handle)
        table.finish()
        let records = drain(&table)
        #expect(records.count == 1)
        #expect(records[0].originator == Endpoint(address: parseAddress("10.0.0.1"), port: 40000))
        #expect(records[0].connState == .SF && records[0].history == "Dd")
        // 20 IP + 8 UDP + 4 payload each way.
        #expect(records[0].originatorCounters.ipBytes == 32 && records[0].responderCounters.ipBytes == 32)
    }

    @Test func vlanIsPartOfTheKey() {
        var table = FlowTable()
        let a = (UInt8(192), UInt8(168), UInt8(1), UInt8(10)), b = (UInt8(192), UInt8(168), UInt8(1), UInt8(20))
        feed(&table, udpFrame(a, 5000, b, 4000, vlan: 10), time: Self.t0, frame: 1)
        feed(&table, udpFrame(a, 5000, b, 4000, vlan: 20), time: Self.t0, frame: 2)
        feed(&table, udpFrame(b, 4000, a, 5000, vlan: 10), time: Self.t0, frame: 3)
        feed(&table, udpFrame(a, 5000, b, 4000), time: Self.t0, frame: 4)
        #expect(table.activeFlowCount == 3)
        table.finish()
        let records = drain(&table)
        #expect(records.map(\.vlan) == [10, 20, 0])
        #expect(records[0].connState == .SF && records[1].connState == .S0)
    }

    @Test func udpIdleTimeoutRunsOnCaptureTime() {
        var table = FlowTable()
        let c = (UInt8(10), UInt8(0), UInt8(0), UInt8(1)), s = (UInt8(10), UInt8(0), UInt8(0), UInt8(2))
        // Keep-alives 599.9 s apart and then exactly 600 s apart stay one flow (the default UDP
        // timeout is 600 s and a flow ends only when idle for longer).
        feed(&table, udpFrame(c, 40000, s, 4000), time: Self.t0, frame: 1)
        feed(&table, udpFrame(c, 40000, s, 4000), time: Self.t0 + 599 * Self.second + Self.second * 9 / 10, frame: 2)
        feed(&table, udpFrame(c, 40000, s, 4000), time: Self.t0 + 1199 * Self.second + Self.second * 9 / 10, frame: 3)
        #expect(drain(&table).isEmpty)
        // The next after 600.000000001 s: the old flow ends (idle_timeout), a new one starts.
        let late = Self.t0 + 1799 * Self.second + Self.second * 9 / 10 + 1
        let observation = feed(&table, udpFrame(c, 40000, s, 4000), time: late, frame: 4)
        #expect(observation?.isNewFlow == true)
        let ended = drain(&table)
        #expect(ended.count == 1)
        #expect(ended.first?.endReason == .idleTimeout)
        #expect(ended.first?.lastFrame == 3)
        #expect(ended.first?.originatorCounters.packets == 3)
        #expect(ended.first?.lastTime == Self.t0 + 1199 * Self.second + Self.second * 9 / 10)
        #expect(table.statistics.flowsEndedByIdleTimeout == 1)
    }

    @Test func advanceEndsIdleFlowsWithoutPackets() {
        var table = FlowTable()
        let c = (UInt8(10), UInt8(0), UInt8(0), UInt8(1)), s = (UInt8(10), UInt8(0), UInt8(0), UInt8(2))
        feed(&table, udpFrame(c, 40000, s, 4000), time: Self.t0, frame: 1)
        feed(&table, tcpFrame(c, 40001, s, 5190, flags: 0x002, seq: 1), time: Self.t0, frame: 2)
        // The unanswered SYN is transitory (240 s); the UDP flow lasts 600 s.
        table.advance(to: Self.t0 + 240 * Self.second)
        #expect(drain(&table).isEmpty)
        table.advance(to: Self.t0 + 241 * Self.second)
        let syn = drain(&table)
        #expect(syn.count == 1 && syn[0].protocolName == "tcp" && syn[0].connState == .S0 && syn[0].history == "S")
        // The clock never goes back.
        table.advance(to: Self.t0)
        #expect(table.clock == Self.t0 + 241 * Self.second)
        table.advance(to: Self.t0 + 601 * Self.second)
        let udp = drain(&table)
        #expect(udp.count == 1 && udp[0].endReason == .idleTimeout && udp[0].connState == .S0)
        #expect(table.activeFlowCount == 0)
    }

    @Test func timeoutsAreConfigurable() {
        var configuration = FlowConfiguration()
        configuration.timeouts.udp = 30 * Self.second
        var table = FlowTable(configuration: configuration)
        let c = (UInt8(10), UInt8(0), UInt8(0), UInt8(1)), s = (UInt8(10), UInt8(0), UInt8(0), UInt8(2))
        feed(&table, udpFrame(c, 40000, s, 4000), time: Self.t0, frame: 1)
        feed(&table, udpFrame(c, 40000, s, 4000), time: Self.t0 + 31 * Self.second, frame: 2)
        #expect(drain(&table).count == 1)
    }

    @Test func evictionAtTheCapIsCountedAndTakesTheLeastRecentlyActive() {
        var configuration = FlowConfiguration()
        configuration.maximumFlows = 2
        configuration.initialFlows = 1
        var table = FlowTable(configuration: configuration)
        let c = (UInt8(10), UInt8(0), UInt8(0), UInt8(1)), s = (UInt8(10), UInt8(0), UInt8(0), UInt8(2))
        feed(&table, udpFrame(c, 1, s, 4000), time: Self.t0, frame: 1)
        feed(&table, udpFrame(c, 2, s, 4000), time: Self.t0 + 1, frame: 2)
        feed(&table, udpFrame(c, 1, s, 4000), time: Self.t0 + 2, frame: 3)  // flow 1 is now the most recent
        feed(&table, udpFrame(c, 3, s, 4000), time: Self.t0 + 3, frame: 4)
        let evicted = drain(&table)
        #expect(evicted.count == 1)
        #expect(evicted.first?.originator.port == 2 && evicted.first?.endReason == .eviction)
        #expect(table.statistics.flowsEvicted == 1)
        #expect(table.activeFlowCount == 2)
        #expect(table.statistics.peakActiveFlows == 2)
    }

    /// A table of one flow on a real capture: every new flow evicts the previous, every eviction is
    /// counted, and every tracked packet is still in exactly one record.
    @Test
    func evictionKeepsEveryPacketAccounted() throws {
        var configuration = FlowConfiguration()
        configuration.maximumFlows = 1
        let (records, statistics) = try flowRecords("real-software/icqv5-udp-and-peer-v6__iserverd-micq.pcap",
                                                    configuration: configuration)
        #expect(statistics.flowsEvicted == statistics.flowsCreated - 1)
        #expect(UInt64(records.count) == statistics.flowsCreated)
        #expect(records.filter { $0.endReason == .eviction }.count == Int(statistics.flowsEvicted))
        let packets = records.reduce(UInt64(0)) { $0 + $1.originatorCounters.packets + $1.responderCounters.packets }
        #expect(packets == statistics.packetsTracked && statistics.packetsTracked == 120)
        // Client and server alternate, so the 6 conversations become many more flows.
        #expect(statistics.flowsCreated > 6)
    }

    /// The same capture read twice gives identical flow records, in the same order.
    @Test(arguments: ["real-software/socks-dante-microsocks.pcap", "real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap",
                      "public/community-id/icmp6.pcap", "public/negative/ndpi_fix.pcap"])
    func deterministic(capture: String) throws {
        let first = try flowRecords(capture)
        let second = try flowRecords(capture)
        #expect(first.records == second.records)
        #expect(first.statistics == second.statistics)
        #expect(!first.records.isEmpty)
    }

    /// Annotations from later decoders land on the live flow and in its record; a stale handle is
    /// ignored.
    @Test func protocolsAndUINs() {
        var table = FlowTable()
        let c = (UInt8(10), UInt8(0), UInt8(0), UInt8(1)), s = (UInt8(10), UInt8(0), UInt8(0), UInt8(2))
        let handle = feed(&table, udpFrame(c, 40000, s, 4000), time: Self.t0, frame: 1)!.handle
        table.addProtocol(.icq, to: handle)
        table.addProtocol(.socks, to: handle)
        for uin in [1001, 1002, 1001, 1003, 1004, 1005] as [UInt32] { table.addUIN(uin, to: handle) }
        #expect(table.protocols(of: handle) == [.icq, .socks])
        table.finish()
        let record = drain(&table)[0]
        #expect(record.protocols.names == ["icq", "socks"])
        #expect(record.uins == [1001, 1002, 1003, 1004] && record.uinsNotListed == 1)
        table.addUIN(7, to: handle)  // the flow has ended: ignored
        #expect(table.protocols(of: handle) == nil)
    }
}
