import Bytes
import Diagnosis
import SampleKit
import Testing
import Wire

/// Rule R4 (`blocked_peer_port`) driven by TCP segments and ICMP errors built by hand: every
/// level and detail, the escalation, and the near misses (docs/flow-semantics.md#r4-blocked-peer-port).
@Suite struct PeerPortRuleTests {
    static let second: Int64 = 1_000_000_000
    static let client: (address: UInt32, port: UInt16) = (0xC0A8_0102, 40_000)  // 192.168.1.2
    static let peer = Endpoint(address: IPAddress(ipv4: 0xCB00_7109), port: 3456)  // 203.0.113.9:3456
    static let isn: UInt32 = 0x1234_5678

    /// The rule with one advertised peer endpoint, and what it reported.
    final class Harness {
        let rule: PeerPortPipeline
        private let sink = Sink()
        private(set) var frame: UInt64 = 0
        var findings: [Finding] { sink.findings }
        final class Sink { var findings: [Finding] = [] }

        init(advertising endpoints: [Endpoint] = [PeerPortRuleTests.peer], isLANAddress: Bool = false,
             thresholds: Thresholds = Thresholds()) {
            let sink = sink
            rule = PeerPortPipeline(thresholds: thresholds, emit: { sink.findings.append($0) })
            for endpoint in endpoints {
                rule.advertise(endpoint, uin: 1002, source: .userOnline, isLANAddress: isLANAddress, frame: 1)
            }
        }

        static func time(_ seconds: Double) -> Int64 { Int64((seconds * 1e9).rounded()) + 1_000 * PeerPortRuleTests.second }

        /// A TCP segment; returns its frame number.
        @discardableResult
        func segment(from: (UInt32, UInt16), to: (UInt32, UInt16), _ flags: FrameBuilder.TCPFlags, sequence: UInt32,
                     at seconds: Double, ttl: UInt8 = 64, twoSided: Bool = false, isCopy: Bool = false) -> UInt64 {
            frame += 1
            let bytes = FrameBuilder.tcpFrame(from: from.0, from.1, to: to.0, to.1, sequence: sequence,
                                              acknowledgement: flags.contains(.ack) ? PeerPortRuleTests.isn &+ 1 : 0,
                                              flags: flags, ttl: ttl)
            bytes.withUnsafeBytes { raw in
                let decoded = PacketDecoder.decode(raw, linkType: .ethernet)
                guard case .tcp(let tcp)? = decoded.transport else { fatalError("not TCP") }
                rule.tcp(tcp, decoded: decoded, frame: frame, time: Self.time(seconds), twoSided: twoSided, isCopy: isCopy)
            }
            return frame
        }

        /// A UDP datagram from `address` (its ICQ to the server), as the analysis notes it.
        func noteUDP(from address: UInt32, ttl: UInt8) {
            frame += 1
            let bytes = FrameBuilder.udpFrame(from: address, 40_000, to: 0xCB00_7102, 4000, payload: [0, 5], ttl: ttl)
            bytes.withUnsafeBytes { raw in rule.noteSender(PacketDecoder.decode(raw, linkType: .ethernet), time: Self.time(0)) }
        }

        @discardableResult
        func syn(to peer: Endpoint = PeerPortRuleTests.peer, at seconds: Double, twoSided: Bool = false) -> UInt64 {
            segment(from: PeerPortRuleTests.client, to: (peer.address.ipv4Value, peer.port), .syn,
                    sequence: PeerPortRuleTests.isn, at: seconds, twoSided: twoSided)
        }

        @discardableResult
        func answer(_ flags: FrameBuilder.TCPFlags, from peer: Endpoint = PeerPortRuleTests.peer, at seconds: Double,
                    ttl: UInt8 = 64, twoSided: Bool = false, isCopy: Bool = false) -> UInt64 {
            segment(from: (peer.address.ipv4Value, peer.port), to: PeerPortRuleTests.client, flags, sequence: 0,
                    at: seconds, ttl: ttl, twoSided: twoSided, isCopy: isCopy)
        }

        /// An ICMP destination unreachable from `router` quoting the SYN to `peer`.
        @discardableResult
        func icmp(code: UInt8, from router: UInt32 = 0xCB00_7101, about peer: Endpoint = PeerPortRuleTests.peer,
                  at seconds: Double, ttl: UInt8 = 64) -> UInt64 {
            frame += 1
            let syn = FrameBuilder.tcpFrame(from: PeerPortRuleTests.client.address, PeerPortRuleTests.client.port,
                                            to: peer.address.ipv4Value, peer.port, sequence: PeerPortRuleTests.isn,
                                            acknowledgement: 0, flags: .syn)
            let bytes = FrameBuilder.icmpUnreachableFrame(from: router, to: PeerPortRuleTests.client.address, code: code,
                                                          quoting: Array(syn.dropFirst(14)), ttl: ttl)
            bytes.withUnsafeBytes { raw in
                let decoded = PacketDecoder.decode(raw, linkType: .ethernet)
                guard case .icmp(let message)? = decoded.transport else { fatalError("not ICMP") }
                rule.icmp(message, decoded: decoded, frame: frame, time: Self.time(seconds), twoSided: false)
            }
            return frame
        }

        func advance(to seconds: Double) { rule.advance(to: Self.time(seconds)) }
    }

    // MARK: no answer

    @Test func unansweredRetransmittedSYNIsProvisionalThenFinal() {
        let h = Harness()
        let first = h.syn(at: 0)
        let again = h.syn(at: 3)
        h.advance(to: 3.6)
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .warning, .provisional, .noAnswer)])
        #expect(h.findings.first?.frames == [first, again])
        h.advance(to: 21.1)
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .warning, .provisional, .noAnswer),
                                         FindingSummary(.blockedPeerPort, .error, .final, .noAnswer)])
        #expect(h.findings.last?.requirement == .peerTCPPorts)
        #expect(h.findings.last?.peer == Self.peer)
    }

    /// Near miss: a SYN sent once is not provisional at 3.5 s (nothing shows the client waited).
    @Test func unansweredSingleSYNIsOnlyFinal() {
        let h = Harness()
        h.syn(at: 0)
        h.advance(to: 10)
        #expect(h.findings.isEmpty)
        h.advance(to: 21.1)
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .error, .final, .noAnswer)])
    }

    /// Near miss: the peer answered.
    @Test func answeredSYNIsNothing() {
        let h = Harness()
        h.syn(at: 0)
        h.syn(at: 3)
        h.answer([.syn, .ack], at: 3.2)
        h.advance(to: 30)
        #expect(h.findings.isEmpty)
    }

    // MARK: resets

    @Test func resetFromThePeerIsAWarning() {
        let h = Harness()
        h.syn(at: 0)
        h.answer([.rst, .ack], at: 0.1)
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .warning, .final, .rstFromPeer)])
    }

    /// One vantage point: the reset comes with a TTL the peer's own packets never had.
    @Test func resetWithAnotherTTLIsForgedOnTheWay() {
        let h = Harness()
        // An earlier packet of the peer's (on another connection with us) sets its usual TTL.
        h.segment(from: (Self.peer.address.ipv4Value, 5000), to: (Self.client.address, 40_001), [.ack], sequence: 9,
                  at: 0, ttl: 50)
        h.syn(at: 1)
        h.answer([.rst, .ack], at: 1.1, ttl: 63)
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .error, .final, .rstFromMiddlebox)])
    }

    /// One vantage point, outside a gateway: the peer's only other packets are its UDP to the
    /// ICQ server, forwarded once (TTL 63); the gateway's forged reset has its own TTL, 64.
    @Test func resetOneHopNearerThanThePeersUDPIsForgedByTheGateway() {
        let h = Harness()
        h.noteUDP(from: Self.peer.address.ipv4Value, ttl: 63)
        h.syn(at: 1)
        h.answer([.rst, .ack], at: 1.1, ttl: 64)
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .error, .final, .rstFromMiddlebox)])
        #expect(h.findings.first?.explanation.contains("TTL 64, where the peer's own packets arrive with TTL 63") == true)
    }

    /// Near miss: one hop further than the peer's other packets (a longer route) is the peer's.
    @Test func resetOneHopFurtherIsStillThePeers() {
        let h = Harness()
        h.noteUDP(from: Self.peer.address.ipv4Value, ttl: 63)
        h.syn(at: 1)
        h.answer([.rst, .ack], at: 1.1, ttl: 62)
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .warning, .final, .rstFromPeer)])
    }

    @Test func resetSeenOnOneSideOfTheGatewayOnlyIsForged() {
        let h = Harness()
        h.syn(at: 0, twoSided: true)
        let reset = h.answer([.rst, .ack], at: 0.1, twoSided: true)
        #expect(h.findings.isEmpty)  // the gateway matcher decides
        h.rule.gatewayVerdict(frame: reset, forwarded: false, time: Harness.time(1.1))
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .error, .final, .rstFromMiddlebox)])
    }

    @Test func resetSeenOnBothSidesOfTheGatewayIsThePeers() {
        let h = Harness()
        h.syn(at: 0, twoSided: true)
        let reset = h.answer([.rst, .ack], at: 0.1, twoSided: true)
        h.rule.gatewayVerdict(frame: reset, forwarded: true, time: Harness.time(0.2))
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .warning, .final, .rstFromPeer)])
    }

    @Test func forwardedCopyOfAResetIsThePeers() {
        let h = Harness()
        h.syn(at: 0, twoSided: true)
        h.answer([.rst, .ack], at: 0.1, twoSided: true, isCopy: true)
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .warning, .final, .rstFromPeer)])
    }

    // MARK: ICMP

    @Test(arguments: [UInt8(9), 10, 13])
    func administrativelyProhibitedIsABlock(code: UInt8) {
        let h = Harness()
        let syn = h.syn(at: 0)
        let icmp = h.icmp(code: code, at: 0.1)
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .error, .final, .icmpAdminProhibited)])
        #expect(h.findings.first?.frames == [syn, icmp])
    }

    @Test func portUnreachableToASYNIsARejectRule() {
        let h = Harness()
        h.syn(at: 0)
        h.icmp(code: 3, at: 0.1)
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .error, .final, .icmpPortUnreachable)])
    }

    /// One vantage point, outside a gateway: a port unreachable "from" the peer's address, with
    /// the gateway's TTL (64) where the peer's UDP arrives with 63: the gateway refused the SYN
    /// in the peer's name.
    @Test func icmpInThePeersNameWithTheGatewaysTTLIsForged() {
        let h = Harness()
        h.noteUDP(from: Self.peer.address.ipv4Value, ttl: 63)
        h.syn(at: 1)
        h.icmp(code: 3, from: Self.peer.address.ipv4Value, at: 1.1, ttl: 64)
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .error, .final, .icmpPortUnreachable)])
        #expect(h.findings.first?.explanation.contains("in the peer's name, with TTL 64, where the peer's own packets arrive with TTL 63") == true)
    }

    /// Near miss: the same error with the TTL of the peer's own packets came from the peer's
    /// host: its own firewall refused the SYN (still a block, on the peer's side).
    @Test func icmpFromThePeersOwnHostIsItsFirewall() {
        let h = Harness()
        h.noteUDP(from: Self.peer.address.ipv4Value, ttl: 63)
        h.syn(at: 1)
        h.icmp(code: 3, from: Self.peer.address.ipv4Value, at: 1.1, ttl: 63)
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .error, .final, .icmpPortUnreachable)])
        #expect(h.findings.first?.explanation.contains("the peer's own host sent it (its TTL fits the peer's other packets): a firewall on the peer") == true)
    }

    /// Near miss: network and host unreachable are routing, not a block; the attempt is closed.
    @Test(arguments: [UInt8(0), 1])
    func unreachableNetworkOrHostIsNoBlock(code: UInt8) {
        let h = Harness()
        h.syn(at: 0)
        h.icmp(code: code, at: 0.1)
        h.advance(to: 30)
        #expect(h.findings.isEmpty)
    }

    // MARK: which attempts count

    /// Near miss: the port was never advertised.
    @Test func attemptToAPortNobodyAdvertisedIsNothing() {
        let h = Harness(advertising: [])
        h.syn(at: 0)
        h.advance(to: 30)
        #expect(h.findings.isEmpty)
    }

    /// Near miss: ports up to 1023 are not peer ports, even when advertised.
    @Test func attemptToALowPortIsNothing() {
        let low = Endpoint(address: Self.peer.address, port: 1023)
        let h = Harness(advertising: [low])
        h.syn(to: low, at: 0)
        h.advance(to: 30)
        #expect(h.findings.isEmpty)
    }

    /// Near miss: a peer's private LAN address tried from another network is expected to fail.
    @Test func attemptToAForeignLANAddressIsNothing() {
        let lan = Endpoint(address: IPAddress(ipv4: 0x0A00_0014), port: 3456)  // 10.0.0.20
        let h = Harness(advertising: [lan], isLANAddress: true)
        h.syn(to: lan, at: 0)
        h.advance(to: 30)
        #expect(h.findings.isEmpty)
    }

    /// The same LAN address from the same /24 is a real attempt.
    @Test func attemptToALANAddressOfTheSameNetworkCounts() {
        let lan = Endpoint(address: IPAddress(ipv4: 0xC0A8_0114), port: 3456)  // 192.168.1.20
        let h = Harness(advertising: [lan], isLANAddress: true)
        h.syn(to: lan, at: 0)
        h.advance(to: 21.1)
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .error, .final, .noAnswer)])
    }

    @Test func theFindingNamesTheUserLoggedInFromTheClientsAddress() {
        let h = Harness()
        h.rule.noteLogin(uin: 1001, from: IPAddress(ipv4: Self.client.address))
        h.syn(at: 0)
        h.icmp(code: 13, at: 0.1)
        #expect(h.findings.first?.uin == 1001)
    }

    /// Three peers blocked the same way: the finding says the policy blocks peers in general.
    @Test func threePeersBlockedAlikeEscalate() {
        let peers = (0..<3).map { Endpoint(address: IPAddress(ipv4: 0xCB00_7109 + UInt32($0)), port: 3456) }
        let h = Harness(advertising: peers)
        for (i, peer) in peers.enumerated() {
            h.syn(to: peer, at: Double(i))
            h.icmp(code: 13, about: peer, at: Double(i) + 0.1)
        }
        #expect(h.findings.count == 3)
        #expect(!h.findings[1].explanation.contains("blocked the same way"))
        #expect(h.findings[2].explanation.contains("3rd peer port blocked the same way"))
        #expect(h.findings[2].advice.contains("small listening port range"))
    }

    /// A SYN replayed a thousand times is one attempt: every copy counted, the first 32 listed.
    @Test func aReplayedSYNIsCountedNotListedWithoutEnd() {
        let h = Harness()
        for k in 0..<1_000 { h.syn(at: Double(k) * 0.01) }
        h.advance(to: 21.1)
        let final = h.findings.last
        #expect(final?.level == .final)
        #expect(final?.frames.count == 32)
        #expect(final?.explanation.contains("sent 1000 times") == true)
    }

    /// Beyond the peer ports remembered per way of blocking, a block says "more than" instead of
    /// an ordinal it can no longer count.
    @Test func blockedPortsBeyondThoseRememberedAreMoreThanThem() {
        let count = 4_097
        let peers = (0..<count).map { Endpoint(address: IPAddress(ipv4: 0xCB00_0000 + UInt32($0)), port: 3456) }
        let h = Harness(advertising: peers)
        for (i, peer) in peers.enumerated() {
            h.syn(to: peer, at: Double(i) * 0.001)
            h.icmp(code: 13, about: peer, at: Double(i) * 0.001 + 0.0005)
        }
        #expect(h.findings.count == count)
        #expect(h.findings[count - 2].explanation.contains("4096th peer port blocked the same way"))
        #expect(h.findings[count - 1].explanation.contains("More than 4096 peer ports were blocked the same way"))
    }
}
