import Bytes
import Foundation
import Testing
import Tracking

/// Community ID v1 against the spec's own expected values (corelight/community-id-spec, stored in
/// Tests/Fixtures/captures/public/community-id/).
@Suite struct CommunityIDTests {
    struct BaselineEntry: Decodable {
        var proto: UInt8
        var saddr: String
        var daddr: String
        var sport: UInt16?
        var dport: UInt16?
        var communityid: String
    }

    static func baseline(_ name: String) throws -> [BaselineEntry] {
        let data = try Data(contentsOf: URL(fileURLWithPath: FixtureCaptures.path("public/community-id/" + name)))
        return try JSONDecoder().decode([BaselineEntry].self, from: data)
    }

    /// The spec baselines list, per packet tuple, (proto, saddr, daddr, sport, dport) as the packet
    /// was sent; for ICMP the "ports" are already type and counterpart-or-code.
    static func compute(_ entry: BaselineEntry, seed: UInt16) -> String {
        var isOneWay = false
        if entry.proto == 1 || entry.proto == 58 {
            isOneWay = ICMPFlowPorts.ports(type: UInt8(entry.sport!), code: UInt8(entry.dport!),
                                           isIPv6: entry.proto == 58).isOneWay
        }
        return CommunityID(seed: seed).compute(
            source: parseAddress(entry.saddr), destination: parseAddress(entry.daddr), protocolNumber: entry.proto,
            sourcePort: entry.sport ?? 0, destinationPort: entry.dport ?? 0, isOneWay: isOneWay)
    }

    @Test(arguments: [("baseline_deflt.json", UInt16(0)), ("baseline_seed1.json", UInt16(1))])
    func everyBaselineTuple(file: String, seed: UInt16) throws {
        let entries = try Self.baseline(file)
        #expect(entries.count == 23)
        for entry in entries {
            #expect(Self.compute(entry, seed: seed) == entry.communityid, "\(entry.saddr) -> \(entry.daddr) proto \(entry.proto)")
        }
    }

    /// The two values quoted in captures/README.md (from the spec's README).
    @Test func readmeValues() {
        let a = parseAddress("1.2.3.4"), b = parseAddress("5.6.7.8")
        let id = CommunityID()
        #expect(id.compute(source: a, destination: b, protocolNumber: 6, sourcePort: 1122, destinationPort: 3344)
            == "1:wCb3OG7yAFWelaUydu0D+125CLM=")
        #expect(id.compute(source: b, destination: a, protocolNumber: 6, sourcePort: 3344, destinationPort: 1122)
            == "1:wCb3OG7yAFWelaUydu0D+125CLM=")
        #expect(id.compute(source: a, destination: b, protocolNumber: 17, sourcePort: 1122, destinationPort: 3344)
            == "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=")
    }

    /// Every flow the table builds from the spec's captures carries the Community ID the baseline
    /// gives for its originator -> responder tuple, with seed 0 and with seed 1. The pcaps hold no
    /// packet of the RSVP (proto 46) baseline entries, so those are covered by `everyBaselineTuple`.
    @Test(arguments: [("baseline_deflt.json", UInt16(0)), ("baseline_seed1.json", UInt16(1))])
    func everyFlowOfTheSpecCaptures(file: String, seed: UInt16) throws {
        let entries = try Self.baseline(file)
        var configuration = FlowConfiguration()
        configuration.communityIDSeed = seed
        // Flows per capture, worked out from the packets (tshark):
        // icmp: the echo request/reply pair (frames 1-3) and the time-exceeded (frame 4);
        // icmp6: two neighbour solicitation/advertisement pairs (each host solicits the other),
        // the time-exceeded errors (7-9), the port-unreachables (10-12), the echo pair (13-18),
        // the router solicitation (19) and the router advertisement (20, to another group);
        // ipv6 (SMTP), sctp, tcp (HTTP), udp (DNS): one each.
        let expectedFlows = ["icmp.pcap": 2, "icmp6.pcap": 7, "ipv6.pcap": 1, "sctp.pcap": 1, "tcp.pcap": 1, "udp.pcap": 1]
        var covered = Set<String>()
        for (capture, count) in expectedFlows.sorted(by: { $0.key < $1.key }) {
            let (records, _) = try flowRecords("public/community-id/" + capture, configuration: configuration)
            #expect(records.count == count, "\(capture)")
            for record in records {
                let match = entries.first {
                    $0.proto == record.protocolNumber
                        && parseAddress($0.saddr) == record.originator.address
                        && parseAddress($0.daddr) == record.responder.address
                        && ($0.sport ?? 0) == record.originator.port && ($0.dport ?? 0) == record.responder.port
                }
                #expect(match != nil, "no baseline entry for \(record.label)")
                #expect(record.communityID == match?.communityid, "\(record.label)")
                covered.insert(record.communityID)
            }
        }
        // All distinct IDs of the baseline except RSVP's are reached by some flow.
        let expected = Set(entries.filter { $0.proto != 46 }.map(\.communityid))
        #expect(covered == expected)
    }
}
