import Bytes
import Capture
import Foundation
import SampleKit
import Testing

@testable import Wire

/// A generated scenario read back with the project's own reader and decoders, frame by frame,
/// copied out of the borrowed buffers so tests can look at it afterwards.
struct ScenarioFrame {
    var number: UInt64
    var time: Int64
    var interface: Int
    var source: IPAddress
    var destination: IPAddress
    var ttl: UInt8
    var ipID: UInt16
    var sourcePort: UInt16?
    var destinationPort: UInt16?
    var tcpFlags: UInt16?
    var tcpSequence: UInt32?
    var icmpType: UInt8?
    var icmpCode: UInt8?
    var quoted: QuotedDatagram?
    /// The UDP payload (for SOCKS relay traffic: with its 10-byte header).
    var payload: [UInt8] = []
    var icq: ICQFrame?
    var icqMalformed: String?
}

struct ICQFrame {
    var header: ICQHeader
    var body: ICQBody
    var checkcodeValid: Bool?
    var plaintext: [UInt8]

    var isAck: Bool { header.command == 0x000A }
    var fromClient: Bool { header.direction == .clientToServer }
}

enum ScenarioFrames {
    static func decode(_ scenario: ScenarioCapture) throws -> [ScenarioFrame] {
        let url = TestPaths.temporaryFile("scenario-\(scenario.name).pcapng")
        try Data(scenario.bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var reader = try CaptureFileReader(path: url.path)
        let icq = ICQDecoder()
        let relayPort: UInt16? = scenario.server.port == 4000 ? nil : scenario.server.port
        var frames: [ScenarioFrame] = []
        while let packet = try reader.nextPacket() {
            let decoded = PacketDecoder.decode(packet)
            #expect(decoded.malformation == nil, "\(scenario.name) frame \(packet.frameNumber)")
            guard let ip = decoded.ipv4 else { Issue.record("frame \(packet.frameNumber) is not IPv4"); continue }
            var frame = ScenarioFrame(number: packet.frameNumber, time: packet.timestampNanos,
                                      interface: packet.interfaceIndex, source: ip.source, destination: ip.destination,
                                      ttl: ip.ttl, ipID: ip.identification)
            switch decoded.transport {
            case .udp(let udp):
                frame.sourcePort = udp.sourcePort
                frame.destinationPort = udp.destinationPort
                let payload = decoded.payload(of: packet.bytes)
                frame.payload = Array(payload)
                var result: ICQClassification = .notICQ
                if let relayPort, udp.sourcePort == relayPort || udp.destinationPort == relayPort {
                    let inner = UnsafeRawBufferPointer(rebasing: payload[min(10, payload.count)...])
                    result = icq.decode(inner, direction: udp.destinationPort == relayPort ? .clientToServer : .serverToClient)
                } else {
                    result = icq.classify(payload, sourcePort: udp.sourcePort, destinationPort: udp.destinationPort)
                }
                switch result {
                case .icq(let p):
                    frame.icq = ICQFrame(header: p.header, body: p.body, checkcodeValid: p.checkcodeValid,
                                         plaintext: Array(p.bytes))
                case .malformed(let m, _): frame.icqMalformed = m.reason.description
                case .notICQ: break
                }
            case .tcp(let tcp):
                frame.sourcePort = tcp.sourcePort
                frame.destinationPort = tcp.destinationPort
                frame.tcpFlags = tcp.flags
                frame.tcpSequence = tcp.sequenceNumber
                frame.payload = Array(decoded.payload(of: packet.bytes))
            case .icmp(let icmp):
                frame.icmpType = icmp.type
                frame.icmpCode = icmp.code
                frame.quoted = icmp.quoted
            default:
                Issue.record("frame \(packet.frameNumber): unexpected transport")
            }
            frames.append(frame)
        }
        return frames
    }
}

extension Array where Element == ScenarioFrame {
    subscript(number: UInt64) -> ScenarioFrame { self[Int(number) - 1] }

    func frames(_ numbers: [UInt64]) -> [ScenarioFrame] { numbers.map { self[$0] } }
}
