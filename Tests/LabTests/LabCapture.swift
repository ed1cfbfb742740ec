import Bytes
import Capture
import Foundation
import Wire

/// What the gateway recorded, decoded with the project's own reader and decoders
/// (`CaptureFileReader`, `PacketDecoder`, `ICQDecoder`), one value per frame, with the side of the
/// gateway it was seen on. Test code: copying into small values is fine here.
struct LabCapture {
    enum Side: String { case inside, outside }

    struct ICQ {
        var command: UInt16
        var seq1: UInt16
        var seq2: UInt16?
        var session: UInt32?
        var fromClient: Bool
    }

    struct Frame {
        var side: Side
        var time: Double
        var source: String
        var destination: String
        var sourcePort: UInt16?
        var destinationPort: UInt16?
        var isUDP = false
        var tcp: TCPHeader?
        var icmp: ICMPMessage?
        var payloadLength = 0
        var icq: ICQ?
        /// A SOCKS5 UDP datagram (10-byte IPv4 header) whose inner payload is ICQ.
        var tunnelled = false
        /// The frame number in the recording (as icqscope numbers it).
        var number: UInt64 = 0
    }

    let frames: [Frame]
    let environment: [String: String]

    /// The recording of a run: tcpdump's `-i any` pcap (Linux cooked v2), or icqscope live's pcapng
    /// with an interface per side.
    static func recordingFiles(in directory: URL) throws -> [URL] {
        let files = ["gateway.pcap", "gateway.pcapng"].map { directory.appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        guard !files.isEmpty else { throw LabCaptureError.noRecording(directory.path) }
        return files
    }

    init(directory: URL, environment: [String: String]) throws {
        self.environment = environment
        let serverPort = UInt16(environment["SERVER_PORT"] ?? "4000") ?? 4000
        let insideIndex = UInt32(environment["INSIDE_IFINDEX"] ?? "")
        let outsideIndex = UInt32(environment["OUTSIDE_IFINDEX"] ?? "")
        let decoder = ICQDecoder(serverPorts: [serverPort])
        var frames: [Frame] = []
        for file in try Self.recordingFiles(in: directory) {
            var reader = try CaptureFileReader(path: file.path)
            while let packet = try reader.nextPacket() {
                let side: Side
                if packet.linkType == .linuxSLL2, packet.bytes.count >= 20 {
                    // Linux cooked v2: the interface index is the u32 BE at offset 4.
                    let index = packet.bytes.u32BE(at: 4)
                    guard index == insideIndex || index == outsideIndex else { continue }  // lo
                    side = index == insideIndex ? .inside : .outside
                } else {
                    let name = packet.interfaceIndex < reader.interfaces.count ? reader.interfaces[packet.interfaceIndex].name : nil
                    side = name == environment["INSIDE_INTERFACE"] ? .inside : .outside
                }
                frames.append(Self.frame(packet, side: side, decoder: decoder, serverPort: serverPort))
            }
        }
        self.frames = frames.sorted { $0.time < $1.time }
    }

    private static func frame(_ packet: CapturedPacket, side: Side, decoder: ICQDecoder, serverPort: UInt16) -> Frame {
        let decoded = PacketDecoder.decode(packet)
        var frame = Frame(
            side: side, time: Double(packet.timestampNanos) / 1e9,
            source: decoded.sourceAddress?.description ?? "", destination: decoded.destinationAddress?.description ?? "")
        frame.payloadLength = decoded.payloadLength
        frame.number = packet.frameNumber
        switch decoded.transport {
        case .udp(let udp):
            frame.isUDP = true
            frame.sourcePort = udp.sourcePort
            frame.destinationPort = udp.destinationPort
            var payload = decoded.payload(of: packet.bytes)
            var sourcePort = udp.sourcePort, destinationPort = udp.destinationPort
            // Through the SOCKS relay: strip RFC 1928's header; its DST.PORT names the server side.
            if payload.count > 10, payload[0] == 0, payload[1] == 0, payload[2] == 0, payload[3] == 1 {
                let tunnelPort = UInt16(payload[8]) << 8 | UInt16(payload[9])
                if tunnelPort == serverPort {
                    frame.tunnelled = true
                    payload = UnsafeRawBufferPointer(rebasing: payload[10...])
                    // The relay's ports say nothing; the bytes do (a v5 client packet has
                    // four zero bytes at offset 2, Wireshark's test).
                    let fromClient = ICQDecoder.hasV5ClientShape(payload)
                    sourcePort = fromClient ? 0 : serverPort
                    destinationPort = fromClient ? serverPort : 0
                }
            }
            if case .icq(let icq) = decoder.classify(payload, sourcePort: sourcePort, destinationPort: destinationPort) {
                frame.icq = ICQ(
                    command: icq.header.command, seq1: icq.header.seq1, seq2: icq.header.seq2,
                    session: icq.header.sessionID, fromClient: icq.header.direction == .clientToServer)
            }
        case .tcp(let tcp):
            frame.tcp = tcp
            frame.sourcePort = tcp.sourcePort
            frame.destinationPort = tcp.destinationPort
        case .icmp(let icmp):
            frame.icmp = icmp
        default:
            break
        }
        return frame
    }

    // MARK: Questions the tests ask

    func on(_ side: Side) -> [Frame] { frames.filter { $0.side == side } }

    /// ICQ packets seen on one side, optionally of one command and direction.
    func icq(_ side: Side, command: UInt16? = nil, fromClient: Bool? = nil) -> [Frame] {
        on(side).filter { frame in
            guard let icq = frame.icq else { return false }
            return (command == nil || icq.command == command) && (fromClient == nil || icq.fromClient == fromClient)
        }
    }

    /// TCP segments on one side to or from `port`.
    func tcp(_ side: Side, port: UInt16) -> [Frame] {
        on(side).filter { $0.tcp != nil && ($0.sourcePort == port || $0.destinationPort == port) }
    }
}

enum LabCaptureError: Error, CustomStringConvertible {
    case noRecording(String)
    case spawn(String, String)

    var description: String {
        switch self {
        case .noRecording(let path): "no recording (gateway.pcap or gateway.pcapng) in \(path)"
        case .spawn(let command, let reason): "cannot start \(command): \(reason)"
        }
    }
}

/// The command codes the tests look for (docs/protocol.md#classic-client-commands,
/// #classic-server-commands).
enum Cmd {
    static let ack: UInt16 = 0x000A
    static let sendMessage: UInt16 = 0x010E
    static let login: UInt16 = 0x03E8
    static let keepAlive: UInt16 = 0x042E
    static let sendTextCode: UInt16 = 0x0438
    static let srvAck: UInt16 = 0x000A
    static let srvLoginReply: UInt16 = 0x005A
    static let srvUserOnline: UInt16 = 0x006E
    static let srvDeliveredMessage: UInt16 = 0x0104
}
