import Foundation
import Testing
import TestSupport

/// `icqscope read --flows`: one `flow` record per flow, as OUTPUT.md "Flow records" fixes them.
@Suite(.serialized)
struct FlowCommandTests {
    static let sample = "samples/gateway-basic.pcapng"
    static let icqv5 = "Tests/Fixtures/captures/real-software/icqv5-udp-and-peer-v6__iserverd-micq.pcap"

    @Test func noFlowRecordsWithoutTheOption() throws {
        let r = try CommandRunner.run(["read", "--format", "ndjson", Self.sample])
        #expect(r.records(ofType: "flow").isEmpty)
        // The summary counts the flows either way.
        let flows = r.records(ofType: "summary").first?["flows"] as? [String: Any]
        // Both sides of the gateway: UDP 4000 and the probe inside and outside (NAT), the refused
        // peer connection inside only, the accepted one on both sides, the ICMP error on both.
        #expect(flows?["created"] as? Int == 9)
        #expect(flows?["evicted"] as? Int == 0)
    }

    /// The generated gateway sample ends with an ICMP port-unreachable on each side (frames 39, 40)
    /// quoting the UDP probe as it was on that side: each is tied to its side's flow.
    @Test func sampleFlows() throws {
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--flows", Self.sample])
        #expect(r.status == 0)
        let flows = r.records(ofType: "flow")
        #expect(flows.count == 9)
        let udp = try #require(flows.first {
            ($0["resp"] as? [String: Any])?["port"] as? Int == 4001 && ($0["orig"] as? [String: Any])?["ip"] as? String == "192.168.1.2"
        })
        #expect(udp["proto"] as? String == "udp")
        #expect(udp["conn_state"] as? String == "S0")
        #expect((udp["orig"] as? [String: Any])?["ip"] as? String == "192.168.1.2")
        #expect((udp["packets"] as? [String: Any])?["orig"] as? Int == 1)
        #expect(udp["end_reason"] as? String == "end_of_capture")
        let summary = r.records(ofType: "summary").first?["flows"] as? [String: Any]
        #expect(summary?["icmp_errors_matched"] as? Int == 2)
    }

    @Test
    func icqV5FlowRecords() throws {
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--flows", Self.icqv5])
        let flows = r.records(ofType: "flow")
        #expect(flows.count == 6)
        // Every member the contract names, on the first flow to end (the first UDP session).
        let first = flows[0]
        for key in ["community_id", "proto", "orig", "resp", "first_time", "last_time", "duration", "packets", "bytes",
                    "conn_state", "history", "protocols", "uins", "end_reason"] {
            #expect(first[key] != nil, "missing \(key)")
        }
        #expect(first["community_id"] as? String == "1:H5lF43NIazC+KbeL1coJ8Qi7TAE=")
        #expect(first["first_time"] as? String == "1795535450.764141000")
        #expect((first["bytes"] as? [String: Any])?["resp"] as? Int == 1449)
        let rejected = flows.filter { $0["conn_state"] as? String == "REJ" }
        #expect(rejected.count == 2)
        #expect(rejected.allSatisfy { $0["history"] as? String == "Sr" })

        let text = try CommandRunner.run(["read", "--flows", Self.icqv5])
        #expect(text.stdout.contains("flow tcp 127.0.0.1:52416 → 127.0.0.1:40002 REJ Sr"))
        #expect(text.stdout.contains("flows        6"))
    }

    @Test
    func flowOutputIsDeterministic() throws {
        let capture = "Tests/Fixtures/captures/real-software/socks-dante-microsocks.pcap"
        let a = try CommandRunner.run(["read", "--format", "ndjson", "--flows", capture])
        let b = try CommandRunner.run(["read", "--format", "ndjson", "--flows", capture])
        #expect(a.stdout == b.stdout)
        #expect(a.records(ofType: "flow").count == 32)
    }
}
