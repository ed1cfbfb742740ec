import Bytes
import Foundation
import Testing
import Wire
import TestSupport

extension PeerRun {
    var messages: [PeerRecord] { records.filter { if case .message = $0.pdu.content { true } else { false } } }
    var inits: [PeerRecord] { records.filter { if case .initPacket = $0.pdu.content { true } else { false } } }
}

@Suite
struct PeerCaptureTests {
    let scratch = PeerScratch()

    /// mICQ ↔ mICQ, DC v6 on 40001/40002: handshake both ways, two texts and a URL, each acked.
    @Test func peerV6SessionDecodesFully() throws {
        let streams = try CaptureStreams.load(TestPaths.capture("real-software/icqv5-udp-and-peer-v6__iserverd-micq.pcap"))
        let c = try #require(streams.conversation(initiatorPort: 49046, responderPort: 40002))
        let run = PeerRun(c, scratch: scratch)
        #expect(run.problems.isEmpty)
        #expect(run.connection.version == 6)
        #expect(run.connection.kind == .messages)
        #expect(run.records.map(\.frame) == [40, 42, 44, 46, 50, 52, 54, 56, 58, 60])
        let caller = run.inits[0].fields
        #expect(caller.value("icq.peer.version") == "6")
        #expect(caller.value("icq.peer.uin") == "1001")
        #expect(caller.value("icq.peer.init.dst_uin") == "1002")
        #expect(caller.value("icq.peer.init.port") == "40001")
        #expect(caller.value("icq.peer.init.port2") == "40001")
        #expect(caller.value("icq.peer.init.ip") == "127.0.0.1")
        #expect(caller.value("icq.peer.init.cookie") == String(0x7270_6E1B))
        let callee = run.inits[1].fields
        #expect(callee.value("icq.peer.uin") == "1002")
        #expect(callee.value("icq.peer.init.port") == "40002")
        let m = run.messages
        #expect(m.count == 6)
        #expect(m.allSatisfy { $0.fields.value("icq.peer.checkcode_valid") == "true" })
        #expect(m.map { $0.fields.value("icq.peer.command_name")! } == ["message", "ack", "message", "ack", "message", "ack"])
        #expect(m[0].fields.value("icq.peer.text") == "Second message, should go direct over TCP")
        #expect(m[0].fromInitiator)
        #expect(m[2].fields.value("icq.peer.text") == "Reply from bob")
        #expect(!m[2].fromInitiator)
        #expect(m[4].fields.value("icq.peer.msg_type_name") == "url")
        #expect(m[4].fields.value("icq.peer.url_description") == "a url message")
        #expect(m[4].fields.value("icq.peer.url") == "http://example.invalid/")
        #expect(m[5].fields.value("icq.peer.msg_type") == "4")
        // Each ack answers its message's sequence number.
        for i in stride(from: 0, to: 6, by: 2) {
            #expect(m[i].fields.value("icq.peer.seq") == m[i + 1].fields.value("icq.peer.seq"))
            #expect(m[i + 1].fields.value("icq.peer.status") == "0")
        }
    }

    /// mICQ in OSCAR mode, DC v8 on 40012 and the file transfer on 40014.
    @Test func peerV8MessagesAndFileRequest() throws {
        let streams = try CaptureStreams.load(TestPaths.capture("real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap"))
        let c = try #require(streams.conversation(initiatorPort: 51326, responderPort: 40012))
        let run = PeerRun(c, scratch: scratch)
        #expect(run.problems.isEmpty)
        #expect(run.connection.version == 8)
        let first = run.inits[0].fields
        #expect(first.value("icq.peer.uin") == "1001")
        #expect(first.value("icq.peer.init.dst_uin") == "1002")
        #expect(first.value("icq.peer.init.port") == "40011")
        #expect(first.value("icq.peer.init.conn_id") == "0")
        #expect(run.records.filter { if case .init2 = $0.pdu.content { true } else { false } }.map(\.frame) == [142, 144])
        let m = run.messages
        #expect(m.allSatisfy { $0.fields.value("icq.peer.checkcode_valid") == "true" })
        let texts = m.compactMap { $0.fields.value("icq.peer.text") }.filter { !$0.isEmpty }
        #expect(texts.starts(with: ["Hello over ICQ peer v8 direct connection", "Reply from bob"]))
        #expect(m[0].pdu.content == m[0].pdu.content)
        if case .message(let msg) = m[0].pdu.content { #expect(msg.isUTF8) }
        let request = try #require(m.first { $0.fields.value("icq.peer.plugin") == "File" && $0.fields.value("icq.peer.command_name") == "message" })
        #expect(request.frame == 159)
        #expect(request.fields.value("icq.peer.file.name") == "testfile.txt")
        #expect(request.fields.value("icq.peer.file.size") == "4053")
        #expect(request.fields.value("icq.peer.text") == "")
        #expect(request.fields.value("icq.peer.plugin_text") == "test-file-transfer")
        let accept = try #require(m.first { $0.fields.value("icq.peer.plugin") == "File" && $0.fields.value("icq.peer.command_name") == "ack" })
        #expect(accept.frame == 161)
        #expect(accept.fields.value("icq.peer.port") == "40014")
    }

    @Test func fileTransferCarries4053Bytes() throws {
        let streams = try CaptureStreams.load(TestPaths.capture("real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap"))
        let c = try #require(streams.conversation(port: 40014).first)
        let run = PeerRun(c, scratch: scratch)
        #expect(run.problems.isEmpty)
        #expect(run.connection.kind == .fileTransfer)
        #expect(run.connection.fileBytesCarried == 4053)
        let files = run.records.compactMap { r -> (PeerFilePacket, CollectingVisitor)? in
            if case .file(let f) = r.pdu.content { (f, r.fields) } else { nil }
        }
        // mICQ ends the file with an empty data packet (`01 00 06`, the last 3 bytes of frame 180).
        #expect(files.map(\.0.opcode) == [.initialize, .initializeAck, .fileInfo, .start, .data, .data, .data])
        #expect(files.map(\.0.dataLength).suffix(3) == [2048, 2005, 0])
        #expect(files[0].1.value("icq.peer.file.count") == "1")
        #expect(files[0].1.value("icq.peer.file.total") == "4053")
        #expect(files[0].1.value("icq.peer.file.nick") == "bob")
        #expect(files[1].1.value("icq.peer.file.nick") == "alice")
        #expect(files[2].1.value("icq.peer.file.name") == "testfile.txt")
        #expect(files[2].1.value("icq.peer.file.size") == "4053")
        #expect(files[4].0.dataLength + files[5].0.dataLength == 4053)
        #expect(run.inits[0].fields.value("icq.peer.init.mode") == "7")
    }

    /// The second DC session: alice behind dante SOCKS5 connects to bob's 40012. The direct leg
    /// (35185 → 40012) and the tunnelled leg (inside SOCKS on 1080) decode to the same texts.
    @Test func peerThroughSOCKS5Tunnel() throws {
        let streams = try CaptureStreams.load(TestPaths.capture("real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap"))
        let direct = PeerRun(try #require(streams.conversation(initiatorPort: 35185, responderPort: 40012)), scratch: scratch)
        #expect(direct.problems.isEmpty)
        let directTexts = direct.messages.compactMap { $0.fields.value("icq.peer.text") }.filter { !$0.isEmpty }
        #expect(directTexts == ["DC through SOCKS5", "Reply to socksified alice"])

        let socks = SOCKSRun(try #require(streams.conversation(initiatorPort: 54058, responderPort: 1080)))
        #expect(socks.connection.status == .tunnel)
        #expect(socks.connection.requestedPort == 40012)
        #expect(socks.tunnelFirstFrame.0 == 398)
        // The tunnelled bytes, as one conversation (client = initiator).
        var tunnel = TCPConversation(initiator: Endpoint(address: IPAddress(ipv4: 0x7F00_0001), port: 54058),
                                     responder: Endpoint(address: IPAddress(ipv4: 0x7F00_0001), port: 40012))
        tunnel.fromInitiator.data = socks.tunnel.0
        tunnel.fromInitiator.chunks = [(socks.tunnel.0.count, 1)]
        tunnel.fromResponder.data = socks.tunnel.1
        tunnel.fromResponder.chunks = [(socks.tunnel.1.count, 2)]
        let tunnelled = PeerRun(tunnel, scratch: scratch)
        #expect(tunnelled.problems.isEmpty)
        #expect(tunnelled.connection.version == 8)
        let texts = tunnelled.messages.compactMap { $0.fields.value("icq.peer.text") }.filter { !$0.isEmpty }
        #expect(texts == directTexts)
    }

    /// climm: three PEER_INITs nobody answers (the callee never sends a byte).
    @Test func unansweredInitsFromClimm() throws {
        let streams = try CaptureStreams.load(TestPaths.capture("real-software/oscar__iserverd-climm.pcap"))
        var seen: [(UInt64, String, String, String)] = []
        for c in streams.conversations where c.responder.port == 40003 || c.responder.port == 40004 {
            let run = PeerRun(c, scratch: scratch)
            #expect(run.problems.isEmpty)
            #expect(c.fromResponder.data.isEmpty)
            for r in run.inits {
                seen.append((r.frame, r.fields.value("icq.peer.uin")!, r.fields.value("icq.peer.init.dst_uin")!,
                             r.fields.value("icq.peer.init.port")!))
                #expect(r.fields.value("icq.peer.version") == "8")
                #expect(r.fields.value("icq.peer.init.cookie") == "0")
            }
        }
        #expect(seen.map(\.0) == [108, 118, 126])
        #expect(seen.map(\.1) == ["1003", "1003", "1004"])
        #expect(seen.map(\.2) == ["1004", "1004", "1003"])
        #expect(seen.map(\.3) == ["40003", "40003", "40004"])
    }

    /// Every TCP conversation of every real-software capture: the peer decoder claims exactly the
    /// direct connections, the SOCKS decoder exactly the SOCKS ones (OSCAR, HTTP: neither).
    @Test func noCrossClaims() throws {
        let files = [
            "icqv5-udp-and-peer-v6__iserverd-micq", "oscar-peer-v8-filexfer-socks5__iserverd-micq", "oscar__iserverd-climm",
            "oscar__pyserver-micq-sample", "socks-dante-microsocks",
        ]
        let peerPorts: Set<UInt16> = [40002, 40012, 40014, 40003, 40004]
        let socksPorts: Set<UInt16> = [1080, 1081, 1082]
        for f in files {
            let streams = try CaptureStreams.load(TestPaths.capture("real-software/\(f).pcap"))
            for c in streams.conversations where !c.fromInitiator.data.isEmpty {
                let peer = PeerRun(c, scratch: scratch)
                #expect(peer.connection.isConfirmed == peerPorts.contains(c.responder.port), "\(f) \(c.initiator.port)→\(c.responder.port)")
                let socks = SOCKSRun(c)
                #expect(socks.connection.isConfirmed == socksPorts.contains(c.responder.port), "\(f) \(c.initiator.port)→\(c.responder.port)")
            }
        }
    }

    @Test(arguments: ["aiengine_icq.pcapng", "arkime_wireshark-retrans.pcap", "ndpi_fix.pcap", "ndpi_nomachine.pcapng", "ndpi_oicq.pcap"])
    func negativesAreNeitherPeerNorSOCKS(_ file: String) throws {
        let streams = try CaptureStreams.load(TestPaths.capture("public/negative/\(file)"))
        for c in streams.conversations {
            #expect(!PeerRun(c, scratch: scratch).connection.isConfirmed, "\(file) \(c.initiator.port)→\(c.responder.port)")
            #expect(!SOCKSRun(c).connection.isConfirmed, "\(file) \(c.initiator.port)→\(c.responder.port)")
        }
        // And no SOCKS5 UDP header is claimed where no association was seen: nothing to check
        // beyond the TCP side, since the UDP header is only read on a known relay.
    }
}
