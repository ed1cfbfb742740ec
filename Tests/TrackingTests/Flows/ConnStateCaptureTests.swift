import Bytes
import Testing
import Tracking

/// conn_state and history of flows of the shared captures, against expectations worked out by hand
/// from the packets (`tshark -r F -T fields -e frame.number -e tcp.srcport -e tcp.flags.str -e
/// tcp.seq -e tcp.len`) and Zeek's rules (docs/flow-semantics.md#conn-state; Zeek's
/// TCPSessionAdapter): S, h, A, D and their lower-case forms once per direction; a SYN, FIN or RST
/// letter repeats only with a new sequence number; T/t (retransmitted data) at the 1st, 10th, 100th
/// retransmission.
@Suite
struct ConnStateCaptureTests {
    func flow(_ records: [FlowRecord], _ originatorPort: UInt16, _ responderPort: UInt16,
              sourceLocation: SourceLocation = #_sourceLocation) throws -> FlowRecord {
        try #require(records.first { $0.originator.port == originatorPort && $0.responder.port == responderPort },
                     "no flow \(originatorPort) -> \(responderPort)", sourceLocation: sourceLocation)
    }

    /// HTTP on TCP 4000 with SYN retransmissions; every packet is in the file two to four times.
    @Test func synRetransmissionsOfArkimeRetrans() throws {
        let (records, _) = try flowRecords("public/negative/arkime_wireshark-retrans.pcap")
        #expect(records.count == 1)
        let r = try flow(records, 59221, 4000)
        #expect(r.originator.address == parseAddress("172.17.96.143"))
        // Frames 1-3 and 10 are the same SYN (same ISN) and frames 4, 5, 11, 12 the same SYN-ACK:
        // one S and one h. 6 is the first pure ACK (A); 8 the first data (D); 9 repeats 8 (T, first
        // retransmission). 17 first responder ACK (a), 25 first responder data (d), 26 repeats it
        // (t). The originator's 10th retransmission is frame 47 (retransmissions 9, 16, 22-24,
        // 34-36, 40, 47: the SYN in frame 10 restarts its numbering, so 15 is new): T again. The
        // responder's 10th is frame 86 (26, 27, 30, 42, 49, 50, 66, 69, 70, 86): t again.
        // 93 FIN (F; 94-96 repeat it with the same sequence number), 100 responder FIN (f; its zero
        // window is not counted because the originator has closed).
        #expect(r.history == "ShADTadtTtFf")
        #expect(r.connState == .SF)
        // tshark -z conv,tcp: 64 frames 172.17.96.143 -> :4000 and 44 back; IP bytes = frame bytes
        // (25144, 5240) minus 14 bytes of Ethernet per frame.
        #expect(r.originatorCounters.packets == 64)
        #expect(r.responderCounters.packets == 44)
        #expect(r.originatorCounters.ipBytes == 25144 - 64 * 14)
        #expect(r.responderCounters.ipBytes == 5240 - 44 * 14)
        #expect(r.firstFrame == 1 && r.lastFrame == 108)
        #expect(r.duration == 30_872_023_000)
        #expect(r.endReason == .endOfCapture)
    }

    /// Two climm clients against IServerd (OSCAR on 5190) and three peer connections.
    @Test func climmLoginsAndRefusedPeerInits() throws {
        let (records, _) = try flowRecords("real-software/oscar__iserverd-climm.pcap")
        #expect(records.count == 7)
        // 48068 (frames 1-15): S h A, server data (d), client data (D), server ACK (a), then the
        // client's FIN (frame 10) before the server's (14).
        let first = try flow(records, 48068, 5190)
        #expect(first.history == "ShAdDaFf" && first.connState == .SF)
        // 48082 (48-59): the same, but the server closes first (57) and the client answers (58).
        let second = try flow(records, 48082, 5190)
        #expect(second.history == "ShAdDafF" && second.connState == .SF)
        // The long sessions: 48072 ends with the client's FIN (161) then the server's (162),
        // 48092 with the server's (168) then the client's (169).
        #expect(try flow(records, 48072, 5190).history == "ShAdDaFf")
        #expect(try flow(records, 48092, 5190).history == "ShAdDafF")
        // The "unanswered" PEER_INITs: the TCP handshake completes (S h A), the client sends its
        // 50-byte PEER_INIT (D), the peer ACKs it (a) and then resets (r): the responder sent a
        // RST on an established connection, Zeek's RSTR.
        for (client, peerPort) in [(UInt16(48444), UInt16(40004)), (48460, 40004), (43774, 40003)] {
            let r = try flow(records, client, peerPort)
            #expect(r.history == "ShADar", "\(client)")
            #expect(r.connState == .RSTR, "\(client)")
            #expect(r.originatorCounters.packets == 3 && r.responderCounters.packets == 3)
            // SYN 60 + ACK 52 + PEER_INIT 102 bytes; SYN-ACK 60 + ACK 52 + RST 52.
            #expect(r.originatorCounters.ipBytes == 214 && r.responderCounters.ipBytes == 164)
        }
    }

    /// mICQ v5 over UDP and a peer-to-peer TCP connection with two refused attempts.
    @Test func icqV5UDPAndRejectedPeerConnections() throws {
        let (records, statistics) = try flowRecords("real-software/icqv5-udp-and-peer-v6__iserverd-micq.pcap")
        #expect(records.count == 6)
        #expect(statistics.icmpErrorsMatched + statistics.icmpErrorsUnmatched == 0)  // no ICMP in this file
        // Frames 101/102 and 104/105: a SYN answered by RST+ACK from 40002, nobody listening:
        // Zeek's REJ, history S then the responder's r.
        for client in [UInt16(52416), 52422] {
            let r = try flow(records, client, 40002)
            #expect(r.connState == .REJ && r.history == "Sr", "\(client)")
            #expect(r.originatorCounters.packets == 1 && r.responderCounters.packets == 1)
        }
        // The peer session (37-97): S h A, client data (40, D), ACK (41, a), peer data (42, d),
        // the peer closes first (95 f) and the client follows (96 F).
        let peer = try flow(records, 49046, 40002)
        #expect(peer.history == "ShADadfF" && peer.connState == .SF)
        #expect(peer.originatorCounters.packets == 13 && peer.responderCounters.packets == 13)
        // UDP to the server: both directions seen, SF, D and d once. Counts from tshark -z conv,udp.
        for (client, out, back) in [(UInt16(49970), UInt64(32), UInt64(23)), (42657, 17, 11), (41390, 5, 2)] {
            let r = try flow(records, client, 4000)
            #expect(r.protocolName == "udp")
            #expect(r.connState == .SF && r.history == "Dd", "\(client)")
            #expect(r.originatorCounters.packets == out && r.responderCounters.packets == back, "\(client)")
        }
        // 49970's first and last datagrams are frames 1 and 119, 71.148193 s apart: one flow, the
        // 600 s UDP timeout does not split it.
        let session = try flow(records, 49970, 4000)
        #expect(session.firstFrame == 1 && session.lastFrame == 119)
        #expect(session.duration == 71_148_193_000)
    }

    /// SOCKS captures from Arkime: a normal close, and one left open at the end of the capture.
    @Test func socksFlows() throws {
        // 14 frames: S h A (3), client data (4, D), proxy data (5, d), ... client FIN (11, F), proxy
        // ACK (12, a — its first pure ACK), proxy FIN (13, f).
        let (closed, _) = try flowRecords("public/socks/arkime_socks5-http-302.pcap")
        let r = try flow(closed, 1637, 21477)
        #expect(r.history == "ShADdFaf" && r.connState == .SF)
        #expect(r.originatorCounters.packets == 8 && r.responderCounters.packets == 6)
        // 16 frames, no FIN: established and not terminated, S1. Frame 9 (seq 9, 1360 bytes) arrives
        // after frame 8 (seq 1369): its end lies below what the proxy already sent, which Zeek's
        // rule counts as a retransmission (t), though it is a reordering.
        let (open, _) = try flowRecords("public/socks/arkime_socks4-https.pcap")
        let o = try flow(open, 50606, 9901)
        #expect(o.history == "ShADadt" && o.connState == .S1)
        #expect(o.endReason == .endOfCapture)
    }

    /// Dante refusing a SOCKS5 UDP ASSOCIATE (frame 56 asks, 57 answers 05 02 "not allowed by
    /// ruleset"); the client then resets the established connection (58, R): RSTO.
    @Test func clientAbortThroughDante() throws {
        let (records, _) = try flowRecords("real-software/socks-dante-microsocks.pcap")
        let r = try flow(records, 58158, 1080)
        #expect(r.history == "ShADadR" && r.connState == .RSTO)
    }

    /// QQ over UDP 8000 from nDPI: 29 datagrams from 29 source ports, none answered: 29 flows, each
    /// Zeek's S0 for UDP with history D.
    @Test func unansweredUDP() throws {
        let (records, _) = try flowRecords("public/negative/ndpi_oicq.pcap")
        #expect(records.count == 29)
        for r in records {
            #expect(r.connState == .S0 && r.history == "D" && r.responderCounters.packets == 0)
        }
    }

    /// A connection whose SYN is not in the capture (pyserver sample, port 48434 from frame 401): no
    /// SYN, both sides midstream: OTH; the first packet's sender is the originator.
    @Test func midstreamConnection() throws {
        let (records, _) = try flowRecords("real-software/oscar__pyserver-micq-sample.pcap")
        let r = try flow(records, 48434, 5291)
        #expect(r.connState == .OTH && r.history == "DdA")
        #expect(r.firstFrame == 401)
    }
}
