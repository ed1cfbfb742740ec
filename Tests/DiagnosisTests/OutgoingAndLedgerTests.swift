import Bytes
import Diagnosis
import SampleKit
import Testing
import Wire

/// Issue 14, items 3 to 6: every advertised port with what became of it (the `ports` list of
/// `peer-tcp-ports`); a blocked connection from a client inside to a peer outside judged as
/// `outgoing_tcp_blocked` (breaking `outgoing-tcp`), inside being the hosts that log in or
/// `--inside`; a client announcing direct connections whose port is blocked; SOCKS4 beside
/// blocked direct UDP.
@Suite struct OutgoingAndLedgerTests {
    typealias Harness = PeerPortRuleTests.Harness
    static let other = Endpoint(address: IPAddress(ipv4: 0xCB00_710A), port: 4100)     // 203.0.113.10:4100
    static let untried = Endpoint(address: IPAddress(ipv4: 0xCB00_710B), port: 4200)   // 203.0.113.11:4200
    static let clientAddress = IPAddress(ipv4: PeerPortRuleTests.client.address)

    @Test func everyAdvertisedPortHasItsStatus() {
        let h = Harness(advertising: [PeerPortRuleTests.peer, Self.other, Self.untried])
        // The first peer answers (reached); the second never does (blocked, final at 21 s).
        let syn = h.syn(at: 0)
        let synAck = h.answer([.syn, .ack], at: 0.01)
        h.syn(to: Self.other, at: 1)
        h.syn(to: Self.other, at: 4)
        _ = h.answer(.ack, at: 30)  // any later packet moves capture time on
        let ledger = h.rule.ledger
        #expect(ledger.entries.map(\.endpoint) == [PeerPortRuleTests.peer, Self.other, Self.untried])
        #expect(ledger.entries.map(\.status) == [.reached, .blocked, .untried])
        // The SYN is the harness's frame 1, the number the advertising frame was given too.
        #expect(syn == 1)
        #expect(ledger.entries[0].frames == [1, synAck])
        #expect(ledger.entries[1].frames.first == 1 && ledger.entries[1].frames.count == 3)
        #expect(ledger.entries[2].frames == [1])
        #expect(ledger.portsShownOpen == [PeerPortRuleTests.peer.port])
        #expect(h.findings.map(\.kind) == [.blockedPeerPort])
    }

    @Test func aPeerItsOwnResetStillReachedThePort() {
        let h = Harness()
        h.syn(at: 0)
        h.answer([.rst, .ack], at: 0.01)
        #expect(h.findings.map(\.detail) == [.rstFromPeer])
        #expect(h.rule.ledger.entries.map(\.status) == [.reached])
    }

    @Test func theLedgerIsBounded() {
        let endpoints = (0..<300).map { Endpoint(address: IPAddress(ipv4: 0xC633_6400 + UInt32($0)), port: 5000) }
        let h = Harness(advertising: endpoints)
        #expect(h.rule.ledger.entries.count == PeerPortLedger.capacity)
        #expect(h.rule.ledger.notListed == 300 - PeerPortLedger.capacity)
    }

    /// A client that logged in is inside: its blocked connection out is `outgoing_tcp_blocked`;
    /// the same attempt from a host not seen logging in stays `blocked_peer_port`.
    @Test func aLoggedInClientConnectingOutIsOutgoing() {
        let inside = Harness()
        inside.rule.noteLogin(uin: 1001, from: Self.clientAddress)
        inside.syn(at: 0)
        inside.icmp(code: 13, at: 0.01)
        #expect(inside.findings.map(\.kind) == [.outgoingTCPBlocked])
        #expect(inside.findings.first?.requirement == .outgoingTCP)
        #expect(inside.findings.first?.uin == 1001)
        #expect(inside.findings.first?.explanation.hasPrefix("An outgoing connection from the client inside at 192.168.1.2:40000") == true)

        let unknown = Harness()
        unknown.syn(at: 0)
        unknown.icmp(code: 13, at: 0.01)
        #expect(unknown.findings.map(\.kind) == [.blockedPeerPort])
        #expect(unknown.findings.first?.requirement == .peerTCPPorts)
    }

    /// Both ends logged in (peers on the same side): a peer connection, not outgoing.
    @Test func peersOnTheSameSideAreNotOutgoing() {
        let h = Harness()
        h.rule.noteLogin(uin: 1001, from: Self.clientAddress)
        h.rule.noteLogin(uin: 1002, from: PeerPortRuleTests.peer.address)
        h.syn(at: 0)
        h.icmp(code: 13, at: 0.01)
        #expect(h.findings.map(\.kind) == [.blockedPeerPort])
    }

    /// `--inside` decides alone when given: a host not seen logging in is inside when the
    /// networks say so, and a logged-in host outside them is outside.
    @Test func insideNetworksOverrideLogins() throws {
        var thresholds = Thresholds()
        thresholds.inside = [try #require(IPNetwork("192.168.0.0/16"))]
        let h = Harness(thresholds: thresholds)
        h.syn(at: 0)
        h.answer(.ack, at: 30)  // capture time moves on: final
        #expect(h.findings.map(\.kind) == [.outgoingTCPBlocked])
        #expect(h.findings.first?.level == .final)

        thresholds.inside = [try #require(IPNetwork("10.0.0.0/8"))]
        let outside = Harness(thresholds: thresholds)
        outside.rule.noteLogin(uin: 1001, from: Self.clientAddress)
        outside.syn(at: 0)
        outside.answer(.ack, at: 30)
        #expect(outside.findings.map(\.kind) == [.blockedPeerPort])
    }

    @Test func networksParseAndContain() throws {
        let v4 = try #require(IPNetwork("10.1.2.3/8"))
        #expect(v4.description == "10.0.0.0/8")
        #expect(v4.contains(IPAddress(ipv4: 0x0AFF_0001)))
        #expect(!v4.contains(IPAddress(ipv4: 0x0B00_0001)))
        let host = try #require(IPNetwork("192.168.1.7"))
        #expect(host.prefixLength == 32 && host.contains(IPAddress(ipv4: 0xC0A8_0107)) && !host.contains(IPAddress(ipv4: 0xC0A8_0108)))
        let v6 = try #require(IPNetwork("2001:db8::/32"))
        #expect(v6.contains(IPAddress(ipv6High: 0x2001_0DB8_FFFF_0000, low: 1)))
        #expect(!v6.contains(IPAddress(ipv6High: 0x2001_0DB9_0000_0000, low: 1)))
        #expect(!v6.contains(IPAddress(ipv4: 0x0A00_0001)))
        #expect(try #require(IPNetwork("::/0")).contains(IPAddress(ipv6High: 0xFE80 << 48, low: 1)))
        #expect(try #require(IPNetwork("fe80::1:2/128")).address == IPAddress(ipv6High: 0xFE80 << 48, low: 0x1_0002))
        for bad in ["10.0.0.0/33", "10.0.0/8", "300.1.1.1", "1::2::3", "2001:db8::/129", "", "10.0.0.1/", "x"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
    }

    /// A port announced with connection mode 4 (direct) that a filter blocks: one warning for
    /// the listening endpoint, beside the block; a mode-2 (firewall) port gets none.
    @Test func directModePortBlockedWarnsOnce() {
        let h = Harness(advertising: [])
        h.rule.advertise(PeerPortRuleTests.peer, uin: 1002, source: .login, frame: 1, connectionMode: 4)
        h.rule.advertise(Self.other, uin: 1003, source: .login, frame: 1, connectionMode: 2)
        h.syn(at: 0)
        h.icmp(code: 13, at: 0.01)
        h.segment(from: PeerPortRuleTests.client, to: (PeerPortRuleTests.peer.address.ipv4Value, PeerPortRuleTests.peer.port),
                  .syn, sequence: 99, at: 1)  // a second attempt, from the same port: a new SYN
        h.icmp(code: 13, at: 1.01)
        h.syn(to: Self.other, at: 2)
        h.icmp(code: 13, about: Self.other, at: 2.01)
        #expect(h.findings.map(\.kind) == [.blockedPeerPort, .directModePortBlocked, .blockedPeerPort, .blockedPeerPort])
        let warning = h.findings[1]
        #expect(warning.severity == .warning && warning.requirement == .peerTCPPorts)
        #expect(warning.client == PeerPortRuleTests.peer && warning.uin == 1002)
        #expect(warning.frames.first == 1)
        #expect(warning.advice.contains("I am behind a firewall or proxy"))
    }

    static func pathBlocked(_ client: UInt32, frames: [UInt64]) -> Finding {
        Finding(kind: .serverPathBlocked, severity: .error, detail: .noAnswer, firstTime: 0, lastTime: 1, frames: frames,
                client: Endpoint(address: IPAddress(ipv4: client), port: 1100),
                server: Endpoint(address: IPAddress(ipv4: 0xC633_6404), port: 4000), uin: 1001,
                requirement: .udp4000Out, explanation: "", advice: "")
    }

    /// SOCKS4 use and a blocked path to the server, in either order, give one finding per client;
    /// either alone gives none.
    @Test func socks4BesideBlockedUDPInEitherOrder() {
        var found: [Finding] = []
        let rule = SOCKS4UDPRule(emit: { found.append($0) })
        rule.socks4Request(client: IPAddress(ipv4: 0xC0A8_0102), frame: 4)
        rule.observe(Self.pathBlocked(0xC0A8_0102, frames: [7, 8]))
        rule.observe(Self.pathBlocked(0xC0A8_0103, frames: [9]))
        rule.socks4Request(client: IPAddress(ipv4: 0xC0A8_0103), frame: 12)
        rule.socks4Request(client: IPAddress(ipv4: 0xC0A8_0102), frame: 20)  // again: nothing new
        rule.observe(Self.pathBlocked(0xC0A8_0104, frames: [30]))               // no SOCKS4: nothing
        rule.socks4Request(client: IPAddress(ipv4: 0xC0A8_0105), frame: 31)   // no block: nothing
        #expect(found.map(\.kind) == [.socks4UDPBlocked, .socks4UDPBlocked])
        #expect(found.map(\.frames) == [[4, 7, 8], [12, 9]])
        #expect(found.allSatisfy { $0.requirement == .proxy && $0.detail == .noAnswer && $0.uin == 1001 })
        #expect(found[0].explanation.contains("SOCKS4 cannot carry UDP"))
    }
}
