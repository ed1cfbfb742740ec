import Testing
import Tracking

@Test(.enabled(if: SharedCaptures.available, SharedCaptures.missingMessage))
func dumpFlows() throws {
    for f in ["public/negative/arkime_wireshark-retrans.pcap", "real-software/oscar__iserverd-climm.pcap",
              "real-software/icqv5-udp-and-peer-v6__iserverd-micq.pcap", "public/socks/arkime_socks5-http-302.pcap",
              "public/socks/arkime_socks4-https.pcap", "public/community-id/icmp6.pcap"] {
        let (records, stats) = try flowRecords(f)
        print("== \(f) \(stats)")
        for r in records {
            print(r.label, r.connState, r.history, r.originatorCounters.packets, r.originatorCounters.ipBytes, r.responderCounters.packets, r.responderCounters.ipBytes, r.communityID, r.endReason, r.firstFrame, r.lastFrame)
        }
    }
}
