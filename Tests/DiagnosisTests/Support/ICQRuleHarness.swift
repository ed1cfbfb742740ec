import Bytes
import Diagnosis
import Tracking
import Wire

/// The classic ICQ rules (`ICQDiagnosis`) over a session tracker, fed real v5 datagrams (encrypted
/// as a client encrypts them, decoded by the pipeline's decoder) and the evidence from outside the
/// tracker the analysis hands them (gateway drops, ICMP errors), in the order the analysis does:
/// the tracker's events after each packet, then `clientSpoke` after a client's packet.
final class ICQRuleHarness {
    static let second: Int64 = 1_000_000_000
    static let server = Endpoint(address: IPAddress(ipv4: 0xC633_6401), port: 4000)
    static let uin: UInt32 = 1001
    static let session: UInt32 = 0x1001

    let tracker: ICQSessionTracker
    let diagnosis: ICQDiagnosis
    private let decoder = ICQDecoder()
    private var events: [ICQSessionTracker.Event] = []
    private let sink = FindingSink()
    /// The frame number of the packet fed last (frames count from 1).
    private(set) var frame: UInt64 = 0

    var findings: [Finding] { sink.findings }

    final class FindingSink {
        var findings: [Finding] = []
    }

    init(thresholds: Thresholds = Thresholds()) {
        var configuration = ICQSessionTracker.Configuration()
        configuration.timing = thresholds.icq
        tracker = ICQSessionTracker(configuration: configuration)
        let sink = sink
        diagnosis = ICQDiagnosis(thresholds: thresholds) { sink.findings.append($0) }
    }

    /// The client's endpoint: its address, port 1024 + `port` (another port is a NAT rebinding).
    static func client(port: UInt16 = 0) -> Endpoint {
        Endpoint(address: IPAddress(ipv4: 0x0A00_0003), port: 1024 + port)
    }

    /// A client packet at `seconds`; by default a status change, a request the server must ack.
    @discardableResult
    func client(_ command: UInt16 = ICQCommand.Client.statusChange, seq1: UInt16, seq2: UInt16 = 0, at seconds: Double,
                parameters: [UInt8]? = nil, port: UInt16 = 0) -> UInt64 {
        let body = parameters ?? {
            switch command {
            case ICQCommand.Client.sendTextCode: ICQParameters.textCode()
            case ICQCommand.Client.login: ICQParameters.login(time: 0, tcpPort: 3456, password: "pass1001", lanIP: 0x0A00_0003)
            default: ICQParameters.status(0)
            }
        }()
        let bytes = ICQEncoder.v5Client(uin: Self.uin, session: Self.session, command: command, seq1: seq1, seq2: seq2,
                                        parameters: body, r1: ICQEncoder.clientR1(random: UInt32(seq1), length: 24 + body.count),
                                        r2: 0x5A)
        let time = Self.time(seconds)
        feed(bytes, direction: .clientToServer, source: Self.client(port: port), destination: Self.server, time: time)
        diagnosis.clientSpoke(ICQSession.Key(uin: Self.uin, sessionID: Self.session))
        return frame
    }

    /// A server packet at `seconds`; by default a push (a contact went offline) the client must ack.
    @discardableResult
    func server(_ command: UInt16 = ICQCommand.Server.userOffline, seq1: UInt16, seq2: UInt16 = 0, at seconds: Double,
                parameters: [UInt8] = [0xE9, 0x03, 0, 0], port: UInt16 = 0) -> UInt64 {
        let bytes = ICQEncoder.v5Server(session: Self.session, command: command, seq1: seq1, seq2: seq2, uin: Self.uin,
                                        parameters: parameters, r1: 3, r2: 0x21)
        feed(bytes, direction: .serverToClient, source: Self.server, destination: Self.client(port: port),
             time: Self.time(seconds))
        return frame
    }

    /// The client's ack of the server packet `seq1`/`seq2`.
    @discardableResult
    func clientAck(seq1: UInt16, seq2: UInt16 = 0, at seconds: Double, port: UInt16 = 0) -> UInt64 {
        client(ICQCommand.Client.ack, seq1: seq1, seq2: seq2, at: seconds, parameters: ICQParameters.random(7), port: port)
    }

    /// The server's ack of the client packet `seq1`/`seq2`.
    @discardableResult
    func serverAck(seq1: UInt16, seq2: UInt16 = 0, at seconds: Double, port: UInt16 = 0) -> UInt64 {
        server(ICQCommand.Server.ack, seq1: seq1, seq2: seq2, at: seconds, parameters: [], port: port)
    }

    /// A request and its ack: the session is open and the way back works.
    func acknowledgedRequest(seq1: UInt16, seq2: UInt16 = 0, at seconds: Double) {
        client(seq1: seq1, seq2: seq2, at: seconds)
        serverAck(seq1: seq1, seq2: seq2, at: seconds + 0.05)
    }

    var facts: ICQSessionFacts {
        tracker.facts(for: ICQSession.Key(uin: Self.uin, sessionID: Self.session))!
    }

    /// The gateway matcher's verdict that frame `frame` never crossed the gateway.
    /// `gap` is how long the session had been idle, in seconds.
    func gatewayDropped(frame: UInt64, at seconds: Double, fromServer: Bool, gap: Double) {
        diagnosis.gatewayDropped(session: facts, frame: frame, time: Self.time(seconds), fromServer: fromServer,
                                 gap: Int64((gap * 1e9).rounded()))
    }

    /// An ICMP destination unreachable quoting one of the session's datagrams, as frame `frame`.
    func icmpError(frame: UInt64, at seconds: Double, code: UInt8, quotesServerPacket: Bool) {
        diagnosis.icmpError(session: facts, frame: frame, time: Self.time(seconds), code: code,
                            quotesServerPacket: quotesServerPacket)
    }

    func advance(to seconds: Double) {
        tracker.advance(to: Self.time(seconds))
        drain()
    }

    /// The end of the capture.
    func finish() {
        tracker.finish()
        drain()
        diagnosis.finish()
    }

    static func time(_ seconds: Double) -> Int64 { Int64((seconds * 1e9).rounded()) + 1_000 * second }

    private func feed(_ bytes: [UInt8], direction: ICQDirection, source: Endpoint, destination: Endpoint, time: Int64) {
        frame += 1
        bytes.withUnsafeBytes { payload in
            guard case .icq(let packet) = decoder.decode(payload, direction: direction) else {
                fatalError("the encoder's datagram did not decode: \(decoder.decode(payload, direction: direction))")
            }
            tracker.observe(packet, source: source, destination: destination, frame: frame, time: time, side: 0)
        }
        drain()
    }

    private func drain() {
        guard tracker.hasEvents else { return }
        tracker.drainEvents(into: &events)
        for event in events { diagnosis.handle(event) }
    }
}
