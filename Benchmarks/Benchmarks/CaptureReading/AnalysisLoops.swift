import Benchmark
import Capture
import Report
import Foundation
import SampleKit
import Tracking
import Wire

// Later pipeline stages, each measured on its own so its cost per packet shows.

/// Reading, decoding and the flow table (symmetric key, pooled records, capture-time expiry):
/// the whole tracking cost for packets that carry no ICQ. `drainEndedFlows` runs as the analyzer
/// runs it, and the Community ID of each ended flow is computed there.
func readDecodeAndTrackFlows(_ path: String) -> Int {
    var reader = open(path)
    var decoded = DecodedPacket()
    var table = FlowTable()
    var packets = 0
    var ended = 0
    do {
        while let packet = try reader.nextPacket() {
            packets += 1
            PacketDecoder.decode(packet, into: &decoded)
            _ = table.process(packet, decoded, bytes: packet.bytes, vlan: 0)
            if table.hasEndedFlows { table.drainEndedFlows { _ in ended += 1 } }
        }
    } catch { fatalError("\(error)") }
    table.finish()
    table.drainEndedFlows { _ in ended += 1 }
    blackHole(ended)
    return packets
}

/// Classic ICQ classification and decoding (v5 client packets decrypted, checkcodes validated)
/// of real-shaped datagrams: the generated healthy session's ICQ payloads, over and over.
struct ICQPayloads: @unchecked Sendable {
    let storage: [[UInt8]]
    let ports: [(UInt16, UInt16)]

    static let healthy: ICQPayloads = {
        let scenario = ICQScenarios.healthySession()
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("icqscope-bench-icq.pcapng")
        try! Data(scenario.bytes).write(to: url)
        var reader = try! CaptureFileReader(path: url.path)
        var payloads: [[UInt8]] = []
        var ports: [(UInt16, UInt16)] = []
        while let packet = try! reader.nextPacket() {
            let d = PacketDecoder.decode(packet)
            guard case .udp(let udp) = d.transport, udp.sourcePort == 4000 || udp.destinationPort == 4000 else { continue }
            payloads.append(Array(d.payload(of: packet.bytes)))
            ports.append((udp.sourcePort, udp.destinationPort))
        }
        return ICQPayloads(storage: payloads, ports: ports)
    }()
}

func classifyICQ(_ count: Int) -> Int {
    let payloads = ICQPayloads.healthy
    let decoder = ICQDecoder()
    var icq = 0
    var done = 0
    while done < count {
        for (index, payload) in payloads.storage.enumerated() where done < count {
            done += 1
            let (source, destination) = payloads.ports[index]
            let result = payload.withUnsafeBytes { decoder.classify($0, sourcePort: source, destinationPort: destination) }
            if case .icq(let p) = result { icq &+= Int(p.header.command) }
        }
    }
    blackHole(icq)
    return done
}

/// Reading, decoding and TCP reassembly with the protocol detection every connection gets
/// (SOCKS, OSCAR, the peer-to-peer protocol found by content), as the analyzer runs it: the cost
/// per TCP packet with reassembly. The fixture's TCP payloads are short segments of no protocol,
/// so this is the detection path every unknown connection takes.
func readDecodeAndReassemble(_ path: String) -> Int {
    var reader = open(path)
    var decoded = DecodedPacket()
    let streams = StreamTable(limits: StreamLimits()) { ICQStreamConsumer<StreamFrameRecord>(originator: $0, responder: $1) }
    var sink = StreamFrameRecord(format: .countOnly, revealSecrets: false)
    var packets = 0
    do {
        while let packet = try reader.nextPacket() {
            packets += 1
            PacketDecoder.decode(packet, into: &decoded)
            guard case .tcp = decoded.transport else { continue }
            streams.ingest(decoded, frame: packet.frameNumber, bytes: packet.bytes, sink: &sink)
            sink.reset()
        }
    } catch { fatalError("\(error)") }
    blackHole(sink.socksCount &+ sink.peerCount)
    return packets
}
