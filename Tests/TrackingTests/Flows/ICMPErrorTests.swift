import Bytes
import Capture
import Testing
import Tracking
import Wire

/// ICMP errors tied to the flow of the datagram they quote (docs/flow-semantics.md#icmp-matching).
///
/// No shared capture holds both an ICMP error and the packet it answers: the icqv5 capture the
/// README mentions has no ICMP at all (tshark finds none), and the spec captures hold traceroute
/// errors whose probes were not captured. So each test first replays the offending datagram from
/// the error's own quote — the IP header and the 8 UDP bytes the router copied, exactly as it saw
/// them — as a raw IP packet just before the error, then feeds the capture unchanged.
@Suite
struct ICMPErrorTests {
    /// The quoted datagram of an ICMP error frame, as a raw-IP packet sent 1 ms before the error.
    func replayOfQuote(_ error: StoredPacket) -> StoredPacket {
        error.bytes.withUnsafeBytes { raw in
            let decoded = PacketDecoder.decode(raw, linkType: error.linkType)
            let quote = Array(decoded.payload(of: raw))
            return StoredPacket(frameNumber: 1000 + error.frameNumber, time: error.time - 1_000_000,
                                linkType: .raw, bytes: quote)
        }
    }

    func splice(_ packets: [StoredPacket], replayingQuotesOf frames: Set<UInt64>) -> [StoredPacket] {
        packets.flatMap { frames.contains($0.frameNumber) ? [replayOfQuote($0), $0] : [$0] }
    }

    /// icmp6.pcap: a traceroute from 3ffe:507:0:1:200:86ff:fe05:80da (UDP 41077 -> 33441...).
    /// Frame 7 is time-exceeded (ICMPv6 3/0) from the router 3ffe:501:1800:2345::2 about the probe
    /// to 33441; frame 10 is port-unreachable (1/4) from the destination itself about 33444.
    @Test func tracerouteErrorsTieToTheirProbes() throws {
        let packets = splice(try storedPackets("public/community-id/icmp6.pcap"), replayingQuotesOf: [7, 10])
        let (records, statistics) = flowRecords(of: packets)
        // Frames 8, 9, 11 and 12 quote probes that were not replayed: counted, not tied.
        #expect(statistics.icmpErrorsMatched == 2)
        #expect(statistics.icmpErrorsUnmatched == 4)
        let target = parseAddress("3ffe:501:410:0:2c0:dfff:fe47:33e")

        let probe1 = try #require(records.first { $0.protocolName == "udp" && $0.responder.port == 33441 })
        #expect(probe1.originator == Endpoint(address: parseAddress("3ffe:507:0:1:200:86ff:fe05:80da"), port: 41077))
        #expect(probe1.responder.address == target)
        #expect(probe1.connState == .S0)
        // The error is recorded but is not one of the flow's packets.
        #expect(probe1.originatorCounters.packets == 1 && probe1.responderCounters.packets == 0)
        #expect(probe1.icmpErrors.count == 1)
        let exceeded = try #require(probe1.icmpErrors.first)
        #expect(exceeded.type == 3 && exceeded.code == 0 && exceeded.isIPv6)
        #expect(exceeded.kind == .timeExceeded)
        #expect(exceeded.frame == 7)
        #expect(exceeded.time == 1_500_000_042_197_162_000)
        #expect(exceeded.reporter == parseAddress("3ffe:501:1800:2345::2"))
        #expect(!exceeded.reportedByQuotedDestination(target))
        #expect(exceeded.ttl == 62)  // hop limit of frame 7 (tshark ipv6.hlim)
        #expect(exceeded.quotesOriginatorPacket && !exceeded.responderHadAnswered)

        let probe4 = try #require(records.first { $0.protocolName == "udp" && $0.responder.port == 33444 })
        let unreachable = try #require(probe4.icmpErrors.latest)
        #expect(unreachable.type == 1 && unreachable.code == 4)
        #expect(unreachable.kind == .portUnreachable)
        #expect(probe4.icmpErrors.contains(.portUnreachable) && !probe4.icmpErrors.contains(.administrativelyProhibited))
        #expect(unreachable.frame == 10 && unreachable.ttl == 61)
        #expect(unreachable.reportedByQuotedDestination(target))

        // The errors are also flows of their own, as in Zeek (proto icmpv6, ports type and code).
        #expect(records.contains { $0.protocolName == "icmpv6" && $0.originator.port == 1 && $0.responder.port == 4 })
    }

    /// icmp.pcap frame 4: ICMP time-exceeded (11/0) from 10.0.0.1 quoting UDP 10.0.0.2:30000 ->
    /// 10.0.0.1:13000. Without the replay it ties to nothing; with it, to that flow.
    @Test func ipv4ErrorTiesOnlyToItsFlow() throws {
        let original = try storedPackets("public/community-id/icmp.pcap")
        #expect(flowRecords(of: original).statistics.icmpErrorsUnmatched == 1)

        let (records, statistics) = flowRecords(of: splice(original, replayingQuotesOf: [4]))
        #expect(statistics.icmpErrorsMatched == 1 && statistics.icmpErrorsUnmatched == 0)
        let udp = try #require(records.first { $0.protocolName == "udp" })
        #expect(udp.originator == Endpoint(address: parseAddress("10.0.0.2"), port: 30000))
        #expect(udp.responder == Endpoint(address: parseAddress("10.0.0.1"), port: 13000))
        let note = try #require(udp.icmpErrors.first)
        #expect(note.type == 11 && note.kind == .timeExceeded && note.frame == 4 && note.ttl == 64)
        #expect(note.reporter == parseAddress("10.0.0.1"))
        // The echo flow is untouched.
        #expect(records.filter { !$0.icmpErrors.isEmpty }.count == 1)
    }

    /// The classification the blocked-peer-port rule relies on.
    @Test func kinds() {
        #expect(ICMPErrorKind.classify(type: 3, code: 3, isIPv6: false) == .portUnreachable)
        for code: UInt8 in [9, 10, 13] {
            #expect(ICMPErrorKind.classify(type: 3, code: code, isIPv6: false) == .administrativelyProhibited)
        }
        #expect(ICMPErrorKind.classify(type: 3, code: 0, isIPv6: false) == .networkUnreachable)
        #expect(ICMPErrorKind.classify(type: 3, code: 1, isIPv6: false) == .hostUnreachable)
        #expect(ICMPErrorKind.classify(type: 1, code: 1, isIPv6: true) == .administrativelyProhibited)
        #expect(ICMPErrorKind.classify(type: 1, code: 3, isIPv6: true) == .hostUnreachable)
    }
}
