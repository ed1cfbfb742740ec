import Bytes
import Testing

@testable import Wire

/// Classification by structure: negatives stay clean, server ports vs other ports, checkcodes.
@Suite struct ICQClassifierTests {
    typealias T = ICQTestSupport

    static let negatives = [
        "public/negative/ndpi_nomachine.pcapng",
        "public/negative/ndpi_fix.pcap",
        "public/negative/ndpi_oicq.pcap",
        "public/negative/aiengine_icq.pcapng",
        "public/negative/arkime_wireshark-retrans.pcap",
    ]

    /// None of the negative captures holds ICQ; not even a malformed ICQ datagram. NoMachine on
    /// UDP 4000 (`01|02|03 00 01 00 0a 00 …`, which tshark calls ICQv2/v3) fails on its command
    /// code 0x0001, which no ICQ version has.
    @Test(arguments: negatives)
    func negativeCapturesHoldNoICQ(_ capture: String) throws {
        let observed = try T.classifyUDP(in: T.capture(capture))
        #expect(observed.filter { $0.kind == .icq }.map(\.frame) == [])
        #expect(observed.filter { $0.kind == .malformed }.map(\.frame) == [])
        if capture.contains("nomachine") {
            // The file does carry UDP 4000 datagrams that start like ICQ v2/v3.
            let lookalikes = observed.filter {
                ($0.sourcePort == 4000 || $0.destinationPort == 4000) && [2, 3].contains($0.payload.first ?? 0)
            }
            #expect(lookalikes.count == 16)
        }
    }

    /// Frames of the other real captures that are not classic ICQ (OSCAR, SOCKS, peer TCP) give no
    /// false ICQ: UDP only appears as SOCKS5-relayed datagrams, which are not bare ICQ.
    @Test
    func otherRealCapturesHoldNoBareICQ() throws {
        for capture in [
            "real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap",
            "real-software/oscar__iserverd-climm.pcap",
            "real-software/oscar__pyserver-micq-sample.pcap",
        ] {
            let observed = try T.classifyUDP(in: T.capture(capture))
            #expect(observed.filter { $0.kind != .notICQ }.map(\.frame) == [], "\(capture)")
        }
    }

    /// The SOCKS capture relays a fake "05 00 00 00 00 00 fake-v5-body" (18 bytes) to UDP 4000
    /// and gets it echoed: to the server port it has the v5 client form but is too short for the
    /// header (malformed); the echo from 4000 has no known server command (not ICQ).
    @Test
    func socksRelayedFakeV5() throws {
        let observed = try T.classifyUDP(in: T.capture("real-software/socks-dante-microsocks.pcap"))
        let toServer = observed.filter { $0.destinationPort == 4000 }
        let fromServer = observed.filter { $0.sourcePort == 4000 }
        #expect(toServer.count == 2 && toServer.allSatisfy { $0.reason == "truncated_header" })
        #expect(fromServer.count == 2 && fromServer.allSatisfy { $0.kind == .notICQ })
        #expect(observed.filter { $0.kind == .icq }.isEmpty)
    }

    static let keepAlive = T.bytes("05 00 00 00 00 00 4E 61 BC 00 5C 23 03 15 0E 1B 38 20 32 1F E0 5D 29 40 C7 B1 BC C1")

    /// Off the server ports, a v5 client packet with a valid checkcode is ICQ on its own; a server
    /// packet is not (the flow tracker lets it follow); a damaged client packet is nothing.
    @Test func nonServerPorts() {
        let decoder = ICQDecoder()
        #expect(decoder.classify(Self.keepAlive, sourcePort: 40000, destinationPort: 8000).packet?.header.command == 0x042E)
        let ack = T.bytes("05 00 00 1F 11 95 86 0A 00 F7 29 01 00 8F E4 5E 00 48 9E 7B 05")
        #expect(decoder.classify(ack, sourcePort: 8000, destinationPort: 40000).isICQ == false)
        // The tracker knows the flow: the same bytes decode when it gives the direction.
        let followed = ack.withUnsafeBytes { decoder.decode($0, direction: .serverToClient).packet?.header.command }
        #expect(followed == 0x000A)
        var damaged = Self.keepAlive
        damaged[0x18] ^= 0x01  // the byte at R1 = 0x18: breaks the checkcode, not the command
        if case .notICQ = decoder.classify(damaged, sourcePort: 40000, destinationPort: 8000) {} else {
            Issue.record("a damaged v5 client packet off the server ports must not count")
        }
    }

    /// On a server port a packet that fits in every way but the checkcode is malformed
    /// ("checkcode"), not ICQ.
    @Test func checkcodeFailureOnServerPort() {
        var damaged = Self.keepAlive
        damaged[0x18] ^= 0x01  // R1 = 0x18: the command still decrypts, the checkcode fails
        let result = ICQDecoder().classify(damaged, sourcePort: 40000, destinationPort: 4000)
        guard case .malformed(let m, let header) = result else {
            Issue.record("expected malformed, got \(result)")
            return
        }
        #expect(m.reason.description == "checkcode" && m.layer == .icq)
        #expect(header?.command == 0x042E && header?.uin == 12_345_678)
    }

    /// Configured server ports (`--icq-port`) behave like 4000; 4000 stays only if configured.
    @Test func configuredServerPorts() {
        let ack = T.bytes("05 00 00 1F 11 95 86 0A 00 F7 29 01 00 8F E4 5E 00 48 9E 7B 05")
        let relay = ICQDecoder(serverPorts: [4000, 14000])
        #expect(relay.classify(ack, sourcePort: 14000, destinationPort: 1100).isICQ)
        let other = ICQDecoder(serverPorts: [5000])
        #expect(other.classify(ack, sourcePort: 4000, destinationPort: 1100).isICQ == false)
    }

    /// Between two server ports the direction comes from the bytes (Wireshark's test).
    @Test func directionBetweenTwoServerPorts() {
        let decoder = ICQDecoder()
        #expect(decoder.classify(Self.keepAlive, sourcePort: 4000, destinationPort: 4000).packet?.header.direction == .clientToServer)
        let ack = T.bytes("05 00 00 1F 11 95 86 0A 00 F7 29 01 00 8F E4 5E 00 48 9E 7B 05")
        #expect(decoder.classify(ack, sourcePort: 4000, destinationPort: 4000).packet?.header.direction == .serverToClient)
    }

    /// v2 and v3 examples of docs/protocol.md#classic-headers: licq's SRV_USER_ONLINE and iserverd's v3
    /// Groupware keep-alive.
    @Test func v2AndV3ReferenceExamples() {
        let decoder = ICQDecoder()
        let online = T.bytes("02 00 6E 00 0B 00 8F 76 20 00 CD CD 77 90 3F 50 00 00 7F 00 00 01 04 00 00 00 00 03 00 00 00")
        online.withUnsafeBytes { payload in
            guard let p = decoder.classify(payload, sourcePort: 4000, destinationPort: 1100).packet else {
                Issue.record("v2 SRV_USER_ONLINE not decoded")
                return
            }
            #expect(p.header.version == 2 && p.header.seq1 == 0x000B && p.header.uin == nil && p.header.length == 6)
            #expect(p.body == .userOnline(ICQUserOnline(
                uin: 2_127_503, externalIP: IPAddress(ipv4: 0xCDCD_7790), tcpPort: 20543,
                lanIP: IPAddress(ipv4: 0x7F00_0001), connectionMode: 4, status: 0, dcVersion: 3)))
        }
        let keepAlive = T.bytes("03 00 2E 04 07 00 00 00 8F E4 5E 00 00 00 00 00")
        let p = decoder.classify(keepAlive, sourcePort: 1100, destinationPort: 4000).packet
        #expect(p?.header.version == 3 && p?.header.command == 0x042E && p?.header.seq1 == 7)
        #expect(p?.header.uin == 6_218_895 && p?.header.checkcode == 0 && p?.body == .random(nil))
    }
}
