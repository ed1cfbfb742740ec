import Foundation
import Testing
import TestSupport

/// `read --packets --format ndjson` through the combined stream decoder: SOCKS handshakes as
/// `"socks"` records, ICQ peer-to-peer PDUs as `"icq":{"peer":…}`, and OSCAR or peer bytes
/// tunnelled through a SOCKS CONNECT decoded as if direct. Frame numbers and reply codes agree
/// with tshark 4.0 (`-Y 'socks.command or socks.results'`).
@Suite(.serialized)
struct StreamProtocolCommandTests {
    struct Frame {
        var number: Int
        var srcport: Int
        var dstport: Int
        var socks: [[String: Any]]
        var peer: [[String: Any]]
        var aim: [[String: Any]]
    }

    static func list(_ value: Any?) -> [[String: Any]] {
        if let one = value as? [String: Any] { return [one] }
        return value as? [[String: Any]] ?? []
    }

    func frames(_ capture: String, _ extra: [String] = []) throws -> (frames: [Frame], summary: [String: Any]?) {
        let path = TestPaths.captures.appendingPathComponent(capture).path
        let result = try CommandRunner.run(["read", "--packets", "--format", "ndjson"] + extra + [path])
        #expect(result.status == 0)
        let frames: [Frame] = result.records.compactMap { r in
            guard r["type"] as? String == "packet", let number = (r["frame"] as? [String: Any])?["number"] as? Int,
                  let tcp = r["tcp"] as? [String: Any] else { return nil }
            return Frame(number: number, srcport: tcp["srcport"] as? Int ?? 0, dstport: tcp["dstport"] as? Int ?? 0,
                         socks: Self.list(r["socks"]), peer: Self.list((r["icq"] as? [String: Any])?["peer"]),
                         aim: Self.list(r["aim"]))
        }
        return (frames, result.records(ofType: "summary").first)
    }

    func texts(_ frames: [Frame]) -> [String] {
        frames.flatMap { $0.peer.compactMap { $0["text"] as? String } }
    }

    @Test func peerV6MessagesOverDirectTCP() throws {
        let (frames, _) = try frames("real-software/icqv5-udp-and-peer-v6__iserverd-micq.pcap")
        let texts = texts(frames)
        #expect(texts.contains("Second message, should go direct over TCP"))
        #expect(texts.contains("Reply from bob"))
        let initPacket = frames.first { $0.number == 40 }?.peer.first
        #expect(initPacket?["type"] as? String == "init")
        #expect(initPacket?["version"] as? Int == 6)
        #expect(initPacket?["uin"] as? Int == 1001)
        #expect((initPacket?["init"] as? [String: Any])?["port"] as? Int == 40001)
        #expect(frames.allSatisfy { $0.socks.isEmpty })
    }

    @Test func peerV8FileTransferAndSOCKS5Tunnels() throws {
        let (frames, summary) = try frames("real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap")
        let texts = texts(frames)
        #expect(texts.contains("Hello over ICQ peer v8 direct connection"))
        #expect(texts.contains("Reply from bob"))
        // The same message seen on both legs of the SOCKS5 CONNECT (client↔dante, dante↔bob).
        #expect(texts.filter { $0 == "DC through SOCKS5" }.count == 2)
        #expect(texts.filter { $0 == "Reply to socksified alice" }.count == 2)

        // File transfer on 40014: 2048 + 2005 bytes.
        let data = frames.filter { $0.dstport == 40014 }.flatMap { $0.peer }
            .compactMap { $0["file"] as? [String: Any] }.filter { $0["opcode_name"] as? String == "data" }
        #expect(data.compactMap { $0["data_length"] as? Int }.reduce(0, +) == 4053)
        #expect(data.last?["carried"] as? Int == 4053)

        // SOCKS5 handshakes via dante on 1080, as tshark numbers them.
        func socks(_ n: Int) -> [String: Any]? { frames.first { $0.number == n }?.socks.first }
        #expect(socks(246)?["command_name"] as? String == "Connect")
        #expect(socks(246)?["remote_name"] as? String == "127.0.0.1")
        #expect(socks(246)?["port"] as? Int == 5190)
        #expect(socks(247)?["command_name"] as? String == "Bind")
        #expect(socks(247)?["port"] as? Int == 40011)
        #expect(socks(248)?["results"] as? Int == 0)
        #expect(socks(248)?["port"] as? Int == 40011)
        #expect(socks(252)?["results"] as? Int == 0)
        #expect(socks(393)?["dst"] as? String == "127.0.0.1")
        #expect(socks(393)?["port"] as? Int == 40012)
        #expect(socks(397)?["port"] as? Int == 35185)

        // OSCAR tunnelled through the CONNECT to 5190: aim records on the client↔proxy leg.
        let tunnelledAIM = frames.filter { ($0.srcport == 1080 || $0.dstport == 1080) && !$0.aim.isEmpty }
        #expect(tunnelledAIM.count >= 10)
        #expect(frames.first { $0.number == 255 }?.aim.first?["channel"] as? Int == 1)

        let protocols = summary?["protocols"] as? [String: Any]
        #expect(protocols?["socks"] as? Int == 16)
        #expect(protocols?["icq_peer"] as? Int == 41)
    }

    @Test func socksConnectsAndUDPAssociatesWithReplyCodes() throws {
        let (frames, _) = try frames("real-software/socks-dante-microsocks.pcap")
        func socks(_ n: Int) -> [String: Any]? { frames.first { $0.number == n }?.socks.first }
        #expect(socks(8)?["command"] as? Int == 1)
        #expect(socks(12)?["results"] as? Int == 0)
        #expect(socks(12)?["port"] as? Int == 44171)
        #expect(socks(29)?["version"] as? Int == 4)
        #expect(socks(34)?["results"] as? Int == 90)
        #expect(socks(34)?["dstport"] as? Int == 43091)
        #expect(socks(56)?["command_name"] as? String == "UdpAssociate")
        #expect(socks(57)?["results"] as? Int == 2)
        #expect(socks(91)?["results"] as? Int == 0)
        #expect(socks(91)?["port"] as? Int == 54066)
        #expect(socks(99)?["v4a_dns_name"] as? String == "localhost")
        #expect(socks(101)?["results"] as? Int == 91)
        #expect(socks(208)?["port"] as? Int == 43055)
    }

    @Test func socksPasswordMaskedUnlessRevealed() throws {
        func passwords(_ extra: [String]) throws -> [String] {
            try frames("real-software/socks-dante-microsocks.pcap", extra).frames
                .flatMap { $0.socks.compactMap { $0["password"] as? String } }
        }
        #expect(try passwords([]) == ["********", "********"])
        #expect(try passwords(["--reveal-secrets"]) == ["secret", "wrong"])
    }

    @Test func flowsNameSOCKSAndPeerAndWhatTheTunnelCarries() throws {
        let path = TestPaths.captures.appendingPathComponent("real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap").path
        let result = try CommandRunner.run(["read", "--flows", "--format", "ndjson", path])
        var protocols: [String: Set<String>] = [:]
        for flow in result.records(ofType: "flow") {
            let orig = (flow["orig"] as? [String: Any])?["port"] as? Int ?? 0
            let resp = (flow["resp"] as? [String: Any])?["port"] as? Int ?? 0
            protocols["\(orig)-\(resp)"] = Set(flow["protocols"] as? [String] ?? [])
        }
        #expect(protocols["36422-1080"] == ["socks", "oscar"])
        #expect(protocols["36438-1080"] == ["socks"])
        #expect(protocols["54058-1080"] == ["socks", "peer"])
        #expect(protocols["55550-40014"] == ["peer"])
        #expect(protocols["46406-5190"] == ["oscar"])
    }

    @Test func textPacketLinesSummariseSOCKSAndPeer() throws {
        let peer = try CommandRunner.run(["read", "--packets",
            TestPaths.captures.appendingPathComponent("real-software/icqv5-udp-and-peer-v6__iserverd-micq.pcap").path])
        #expect(peer.stdout.contains("ICQ peer v6 type=message command_name=message msg_type_name=text text=\"Reply from bob\""))
        let socks = try CommandRunner.run(["read", "--packets",
            TestPaths.captures.appendingPathComponent("real-software/socks-dante-microsocks.pcap").path])
        #expect(socks.stdout.contains("SOCKS5 username=\"icquser\" password=********"))
        #expect(socks.stdout.contains("SOCKS4 results_name=Request granted dstport=43091 dst=127.0.0.1"))
        #expect(!socks.stdout.contains("secret"))
    }

    @Test func negativeCapturesHaveNoSOCKSAndNoPeer() throws {
        let dir = TestPaths.captures.appendingPathComponent("public/negative")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(!names.isEmpty)
        for name in names {
            let (frames, summary) = try frames("public/negative/" + name)
            #expect(frames.allSatisfy { $0.socks.isEmpty && $0.peer.isEmpty }, "\(name)")
            let protocols = summary?["protocols"] as? [String: Any]
            #expect(protocols?["socks"] == nil && protocols?["icq_peer"] == nil, "\(name)")
        }
    }
}
