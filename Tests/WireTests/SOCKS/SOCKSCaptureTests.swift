import Bytes
import Foundation
import Testing
import Wire
import TestSupport

/// tshark's handshake rows (`*.tshark-handshake.tsv`): header line, then one row per frame.
struct TsharkTable {
    var columns: [String]
    var rows: [[String]]

    init(path: String) throws {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
        columns = lines.first.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) } ?? []
        rows = lines.dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    func value(_ row: [String], _ column: String) -> String {
        guard let i = columns.firstIndex(of: column), i < row.count else { return "" }
        return row[i]
    }
}

/// All SOCKS handshakes of a capture, decoded by our state machine, keyed by completing frame.
func decodeAllSOCKS(_ streams: CaptureStreams, revealSecrets: Bool = true) -> [SOCKSRecord] {
    var all: [SOCKSRecord] = []
    for c in streams.conversations {
        let run = SOCKSRun(c, revealSecrets: revealSecrets)
        if run.connection.isConfirmed { all += run.records }
    }
    return all.sorted { $0.frame < $1.frame }
}

/// Compares every socks.* column of tshark's handshake rows with our fields for the same frame.
func compareWithTshark(capture: String, table: TsharkTable) throws {
    let streams = try CaptureStreams.load(capture)
    let ours = decodeAllSOCKS(streams)
    let socksColumns = table.columns.filter { $0.hasPrefix("socks.") }
    #expect(ours.map(\.frame) == table.rows.map { UInt64($0[0])! }, "handshake frames of \(capture)")
    for (record, row) in zip(ours, table.rows) {
        for column in socksColumns {
            let mine = record.fields.values(column).joined(separator: "|")
            #expect(mine == table.value(row, column), "frame \(record.frame) \(column)")
        }
    }
}

@Suite
struct SOCKSCaptureTests {
    @Test(arguments: [
        "arkime_socks-http-example", "arkime_socks-http-pass", "arkime_socks-https-example", "arkime_socks4-https",
        "arkime_socks5-http-302-frag", "arkime_socks5-http-302", "arkime_socks5-rdp", "arkime_socks5-smtp-503",
        "ndpi_socks",
    ])
    func publicHandshakesEqualTshark(_ name: String) throws {
        let table = try TsharkTable(path: TestPaths.capture("public/socks/\(name).tshark-handshake.tsv"))
        #expect(!table.rows.isEmpty)
        try compareWithTshark(capture: TestPaths.capture("public/socks/\(name).pcap"), table: table)
    }

    /// The IP-fragmented handshake decodes to the same messages as the unfragmented capture,
    /// each reported at the frame holding its last fragment, and the tunnel starts with HTTP.
    @Test func fragmentedHandshakeTunnelsHTTP() throws {
        let streams = try CaptureStreams.load(TestPaths.capture("public/socks/arkime_socks5-http-302-frag.pcap"))
        let c = try #require(streams.conversation(port: 21477).first)
        let run = SOCKSRun(c)
        #expect(run.connection.status == .tunnel)
        #expect(run.records.map(\.frame) == [4, 5, 7, 9])
        #expect(run.records[2].fields.value("socks.remote_name") == "www.google.com")
        #expect(Array(run.tunnel.0.prefix(4)) == Array("GET ".utf8))
        #expect(Array(run.tunnel.1.prefix(5)) == Array("HTTP/".utf8))
    }

    @Test func reverseSOCKS5WithPreamble() throws {
        let streams = try CaptureStreams.load(TestPaths.capture("public/socks/arkime_socks5-reverse.pcap"))
        let c = try #require(streams.conversation(port: 8855).first)
        // The ordinary reading (initiator = client) rejects it at once.
        #expect(SOCKSRun(c).connection.status == .notSOCKS)
        let preamble = c.fromInitiator.data.withUnsafeBytes { i in
            c.fromResponder.data.withUnsafeBytes { r in SOCKSDetection.reversePreamble(initiatorBytes: i, responderBytes: r) }
        }
        #expect(preamble == 6)
        let run = SOCKSRun(c, serverPreamble: 6, reversed: true)
        #expect(run.connection.status == .tunnel)
        #expect(run.records.map(\.frame) == [5, 6, 8, 10])
        #expect(run.records[1].fields.value("socks.dst") == "74.125.131.103")
        #expect(run.records[1].fields.value("socks.port") == "80")
        #expect(Array(run.tunnel.0.prefix(4)) == Array("GET ".utf8))
        // Forward-direction SOCKS does not pass as reverse.
        let normal = try #require(try CaptureStreams.load(TestPaths.capture("public/socks/arkime_socks5-rdp.pcap")).conversation(port: 42356).first)
        let notReverse = normal.fromInitiator.data.withUnsafeBytes { i in
            normal.fromResponder.data.withUnsafeBytes { r in SOCKSDetection.reversePreamble(initiatorBytes: i, responderBytes: r) }
        }
        #expect(notReverse == nil)
    }

    @Test func danteAndMicrosocksEqualTshark() throws {
        let table = try TsharkTable(path: TestPaths.fixture("socks/socks-dante-microsocks.tshark-handshake.tsv"))
        try compareWithTshark(capture: TestPaths.capture("real-software/socks-dante-microsocks.pcap"), table: table)
    }

    @Test func danteAndMicrosocksOutcomes() throws {
        let streams = try CaptureStreams.load(TestPaths.capture("real-software/socks-dante-microsocks.pcap"))
        var v4Connects = 0, v4Rejected = 0, v5Connects = 0, udpRefused = 0
        var relays: [Endpoint] = []
        var authOK = 0, authBad = 0
        for c in streams.conversations where [1080, 1081, 1082].contains(c.responder.port) {
            let run = SOCKSRun(c)
            #expect(run.connection.isConfirmed)
            let conn = run.connection
            switch (conn.version, conn.command, conn.status) {
            case (.v4, 1, .tunnel): v4Connects += 1
            case (.v4, 1, .failed):
                v4Rejected += 1
                #expect(conn.failureCode == 0x5B)
                #expect(run.records[0].fields.value("socks.v4a_dns_name") == "localhost")
                #expect(run.records[1].fields.value("socks.results_name") == "Request rejected or failed")
            case (.v5, 1, .tunnel): v5Connects += 1
            case (.v5, 3, .failed):
                udpRefused += 1
                #expect(conn.failureCode == 2)
                #expect(run.records.last?.fields.value("socks.results_name") == "Connection not allowed by ruleset")
            case (.v5, 3, .udpAssociated):
                relays.append(Endpoint(address: try #require(conn.udpRelayAddress), port: conn.udpRelayPort))
            case (.v5, 0, .failed):
                authBad += 1
                #expect(conn.failureCode == 2)
            default:
                Issue.record("unexpected SOCKS outcome on port \(c.initiator.port): \(conn.version) \(conn.command) \(conn.status)")
            }
            if run.records.contains(where: { $0.message.kind == .v5AuthReply && $0.message.code == 0 }) { authOK += 1 }
        }
        #expect(v4Connects == 4)  // frames 29, 125, 175, 322; the fifth SOCKS4 request (99, 4a) is refused
        #expect(v4Rejected == 1)
        #expect(udpRefused == 3)
        #expect(relays.map(\.port) == [54066, 45937])
        #expect(authOK == 1 && authBad == 1)
        #expect(v5Connects == 6)
    }

    /// The password is masked unless secrets are revealed.
    @Test func passwordMasked() throws {
        let streams = try CaptureStreams.load(TestPaths.capture("real-software/socks-dante-microsocks.pcap"))
        let c = try #require(streams.conversation(initiatorPort: 59746, responderPort: 1082))
        let masked = SOCKSRun(c).records.first { $0.message.kind == .v5AuthRequest }
        #expect(masked?.fields.value("socks.username") == "icquser")
        #expect(masked?.fields.value("socks.password") == "********")
        let shown = SOCKSRun(c, revealSecrets: true).records.first { $0.message.kind == .v5AuthRequest }
        #expect(shown?.fields.value("socks.password") == "secret")
    }

    /// UDP ASSOCIATE relays: every datagram between the client and the relay carries the 10-byte
    /// header with the real server (port 4000); the inner payload is the ICQ v5 datagram the
    /// relay forwarded (compared byte for byte with the relay→server leg).
    @Test func udpAssociationDatagrams() throws {
        let streams = try CaptureStreams.load(TestPaths.capture("real-software/socks-dante-microsocks.pcap"))
        let table = try TsharkTable(path: TestPaths.fixture("socks/socks-dante-microsocks.tshark-udp.tsv"))
        var relays: [Endpoint] = []
        for c in streams.conversations where c.responder.port == 1080 {
            let run = SOCKSRun(c)
            if run.connection.status == .udpAssociated {
                var address = try #require(run.connection.udpRelayAddress)
                if address.ipv4Value == 0 { address = c.responder.address }
                relays.append(Endpoint(address: address, port: run.connection.udpRelayPort))
            }
        }
        var seen: [UInt64] = []
        for d in streams.datagrams where relays.contains(d.destination) || relays.contains(d.source) {
            let parsed = d.payload.withUnsafeBytes { SOCKSUDPHeader.parse($0) }
            guard case .header(let h) = parsed else {
                Issue.record("frame \(d.frame): \(parsed)")
                continue
            }
            seen.append(d.frame)
            #expect(h.headerLength == 10)
            #expect(h.port == 4000)
            #expect(h.address?.description == "127.0.0.1")
            let inner = Array(d.payload[h.inner])
            #expect(inner.prefix(2) == [5, 0], "ICQ v5 inside")
            // The same bytes travel between the relay and the real server.
            #expect(streams.datagrams.contains { ($0.destination.port == 4000 || $0.source.port == 4000) && $0.payload == inner })
            let row = try #require(table.rows.first { UInt64($0[0]) == d.frame })
            var v = CollectingVisitor()
            d.payload.withUnsafeBytes { h.visitFields($0, into: &v) }
            for column in table.columns where column.hasPrefix("socks.") {
                #expect(v.value(column) ?? "" == table.value(row, column), "frame \(d.frame) \(column)")
            }
        }
        #expect(seen == table.rows.map { UInt64($0[0])! })
    }

    /// In the peer-v8 capture: the BIND (her peer listener) and three CONNECTs through dante.
    @Test func oscarCaptureBindAndConnects() throws {
        let table = try TsharkTable(path: TestPaths.fixture("socks/oscar-peer-v8-filexfer-socks5__iserverd-micq.tshark-handshake.tsv"))
        let capture = TestPaths.capture("real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap")
        try compareWithTshark(capture: capture, table: table)
        let streams = try CaptureStreams.load(capture)
        var commands: [UInt8] = []
        for c in streams.conversation(port: 1080) {
            let run = SOCKSRun(c)
            commands.append(run.connection.command)
            if run.connection.command == 2 {
                // Only the first BIND reply: nobody connected to the bound port.
                #expect(run.connection.status == .negotiating)
                #expect(run.records.last?.fields.value("socks.port") == "40011")
            } else {
                #expect(run.connection.status == .tunnel)
            }
        }
        #expect(commands.sorted() == [1, 1, 1, 2])
    }
}
