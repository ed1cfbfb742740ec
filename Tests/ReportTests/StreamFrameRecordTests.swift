import Bytes
import Capture
import Foundation
import Report
import Testing
import TestSupport
import Tracking
import Wire

/// The combined decoder over a real capture, frame by frame as the analyzer feeds it: the
/// endpoints `StreamEvidence` gives the diagnosis, and the JSON `StreamFrameRecord` writes.
enum V8Capture {
    static let path = TestPaths.captures
        .appendingPathComponent("real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap").path
}

@Suite
struct StreamFrameRecordTests {

    struct Advertised: Hashable {
        var frame: UInt64
        var endpoint: String
        var uin: UInt32?
        var source: AdvertisedEndpoints.Source
    }

    @Test func peerInitAndSOCKSBindAdvertiseTheirPorts() throws {
        var reader = try CaptureFileReader(path: V8Capture.path)
        // The evidence the rules get, and the record the report writes, each from its own table.
        let table = StreamTable<ICQStreamConsumer<StreamFrameRecord>>(limits: StreamLimits()) {
            ICQStreamConsumer(originator: $0, responder: $1)
        }
        let evidenceTable = StreamTable<ICQStreamConsumer<StreamEvidence>>(limits: StreamLimits()) {
            ICQStreamConsumer(originator: $0, responder: $1)
        }
        var record = StreamFrameRecord(format: .ndjson, revealSecrets: false)
        var evidence = StreamEvidence()
        var advertised: [Advertised] = []
        var json = JSONWriter()
        var bindReplyJSON = ""
        while let packet = try reader.nextPacket() {
            record.reset()
            evidence.begin(frame: packet.frameNumber)
            table.ingest(PacketDecoder.decode(packet), frame: packet.frameNumber, bytes: packet.bytes, sink: &record)
            evidenceTable.ingest(PacketDecoder.decode(packet), frame: packet.frameNumber, bytes: packet.bytes, sink: &evidence)
            for a in evidence.advertised where a.source != .oscarDirectConnection {
                advertised.append(Advertised(frame: packet.frameNumber, endpoint: a.endpoint.description, uin: a.uin,
                                             source: a.source))
            }
            if packet.frameNumber == 248 {
                json.removeAll()
                json.beginObject()
                record.write(into: &json)
                json.endObject()
                bindReplyJSON = String(decoding: json.buffer, as: UTF8.self)
            }
        }
        // Frame 127: alice's PEER_INIT to bob announces her listening port 40011 (v8: external
        // and LAN address, both loopback here).
        #expect(advertised.contains(Advertised(frame: 127, endpoint: "127.0.0.1:40011", uin: 1001, source: .peerInit)))
        #expect(advertised.contains(Advertised(frame: 131, endpoint: "127.0.0.1:40012", uin: 1002, source: .peerInit)))
        // Frame 248: dante's first BIND reply, BND.ADDR 127.0.0.1, BND.PORT 40011 (tshark).
        #expect(advertised.contains(Advertised(frame: 248, endpoint: "127.0.0.1:40011", uin: nil, source: .socksBind)))
        #expect(advertised.filter { $0.source == .socksBind }.count == 1)
        #expect(bindReplyJSON.contains(#""socks":{"version":5,"results":0,"results_name":"Succeeded","address_type":1,"dst":"127.0.0.1","port":40011}"#))
    }
}
