import Bytes
import Capture
import Foundation
import Testing
import TestSupport
import Tracking
import Wire

/// The gateway lab's OSCAR recordings (samples/lab/oscar-*): real bitlbee (its own OSCAR code)
/// signing on from inside, through the real nftables gateway, to icqlab-oscar outside. Every
/// PDU decoded is checked against tshark's AIM dissector (fixtures made by make-fixtures.sh),
/// and what the tool exists to show (where the BOS server is, the buddies' DC info, the
/// message) against what the lab's peers logged.
@Suite
struct OSCARLabRecordingTests {
    static func recording(_ scenario: String) -> String {
        TestPaths.root.appendingPathComponent("samples/lab/\(scenario)/gateway.pcapng").path
    }

    /// Both gateway interfaces are in the recording; tshark and icqscope both decode each PDU
    /// once, on the copy seen first (tshark calls the forwarded copy a retransmission).
    @Test(arguments: [("oscar-bitlbee", 82), ("oscar-bos-blocked", 6)])
    func everyPDUMatchesTshark(scenario: String, count: Int) throws {
        let (sink, table) = try decodeOSCAR(Self.recording(scenario))
        let expected = try loadFixture("lab-\(scenario).tshark-pdus.tsv")
        #expect(expected.count == count)
        #expect(sink.rows == expected)
        #expect(table.counters.gaps == 0)
    }

    final class Found {
        var values: [String: [String]] = [:]
        func put(_ key: String, _ value: Any?) { if let value { values[key, default: []].append("\(value)") } }
    }

    static func text(_ bytes: UnsafeRawBufferPointer?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    @Test func bitlbeeSignsOnGetsItsBuddyAndTalks() throws {
        let found = Found()
        _ = try decodeOSCAR(Self.recording("oscar-bitlbee")) { pdu, frame in
            switch pdu.body {
            case .loginReply(let r):
                found.put("redirect", "\(Self.text(r.screenName) ?? "?") -> \(Self.text(r.bosAddress) ?? "?") port \(r.bosPort ?? 0) cookie \(r.cookie?.count ?? 0) at \(frame)")
            case .userInfo(let u) where pdu.snac?.subtype == 0x0B:
                found.put("arrival", "\(u.first.uin.map(String.init) ?? "?") dc " + (u.first.presence.dcInfo.map {
                    "\($0.internalAddress):\($0.tcpPort) type \($0.type) v\($0.protocolVersion)" } ?? "none"))
            case .icbm(let m):
                let name = ["sent": 6, "received": 7, "acked": 0x0C].first { $0.value == pdu.snac?.subtype }?.key ?? "other"
                found.put(name, "\(Self.text(m.screenName) ?? "?") ch\(m.channel): \(Self.text(m.text) ?? "-")")
            default: break
            }
        }
        let v = found.values
        // B (1002) signs on first, then A (1001); the MD5 login's answer sends each to BOS with a cookie.
        #expect(v["redirect"] == ["1002 -> 10.78.1.2:5191 port 5191 cookie 256 at 31", "1001 -> 10.78.1.2:5191 port 5191 cookie 256 at 127"])
        // bitlbee sends no DC info of its own (01,1E carries only its status): the server names
        // the address each signed on from, port 0, type 0 (no direct connections). Each arrival
        // as the server sent it: A to B on A's sign-on, B to A, then A again to B with each of
        // A's two status settings.
        #expect(v["arrival"] == ["1001 dc 10.77.1.2:0 type 0 v8", "1002 dc 10.77.1.2:0 type 0 v8",
                                 "1001 dc 10.77.1.2:0 type 0 v8", "1001 dc 10.77.1.2:0 type 0 v8"])
        // A's message to B (04,06) and the server's relay (04,07), as scripts/lab-irc.py typed it.
        #expect(v["sent"] == ["1002 ch1: hello through the gateway"])
        #expect(v["received"] == ["1001 ch1: hello through the gateway"])
        // bitlbee asked for the server's ack (TLV 3): 04,0C names the recipient.
        #expect(v["acked"] == ["1002 ch1: -"])
        #expect(v["other"] == nil)
    }
}
