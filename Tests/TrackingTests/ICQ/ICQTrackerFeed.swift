import Bytes
import Tracking
import Wire

/// Feeds a session tracker real v5 datagrams (encrypted as a client encrypts them, decoded by
/// the decoder the pipeline uses) and keeps what it reports in a form tests can compare.
final class ICQTrackerFeed {
    enum Seen: Equatable, CustomStringConvertible {
        case request(uin: UInt32, seq1: UInt16, copies: Int, acked: Bool)
        case push(uin: UInt32, seq1: UInt16, copies: Int, acked: Bool)
        case unresolved(uin: UInt32, seq1: UInt16, fromClient: Bool)
        case rebinding(uin: UInt32, to: UInt16)
        case ended(uin: UInt32, ICQSession.EndReason)
        case other

        var description: String {
            switch self {
            case .request(let uin, let seq1, let copies, let acked): "request(\(uin), \(seq1), \(copies)×, acked: \(acked))"
            case .push(let uin, let seq1, let copies, let acked): "push(\(uin), \(seq1), \(copies)×, acked: \(acked))"
            case .unresolved(let uin, let seq1, let fromClient): "unresolved(\(uin), \(seq1), client: \(fromClient))"
            case .rebinding(let uin, let to): "rebinding(\(uin) → \(to))"
            case .ended(let uin, let reason): "ended(\(uin), \(reason.rawValue))"
            case .other: "other"
            }
        }
    }

    static let server = Endpoint(address: IPAddress(ipv4: 0xC633_6401), port: 4000)

    let tracker: ICQSessionTracker
    private let decoder = ICQDecoder()
    private var buffer: [ICQSessionTracker.Event] = []
    private(set) var seen: [Seen] = []
    private var frame: UInt64 = 0

    init(_ configuration: ICQSessionTracker.Configuration = .init()) {
        tracker = ICQSessionTracker(configuration: configuration)
    }

    /// The client endpoint of a UIN: one address per UIN, port 1024 + `port`.
    static func client(_ uin: UInt32, port: UInt16 = 0) -> Endpoint {
        Endpoint(address: IPAddress(ipv4: 0x0A00_0000 | uin), port: 1024 + port)
    }

    /// A client packet: by default a status change (a request the server acks).
    func client(_ uin: UInt32, session: UInt32? = nil, command: UInt16 = 0x04D8, seq1: UInt16, seq2: UInt16 = 0,
                at time: Int64, port: UInt16 = 0, side: Int = 0) {
        let parameters = command == 0x0438 ? ICQParameters.textCode() : ICQParameters.status(uin)
        let length = 24 + parameters.count
        let bytes = ICQEncoder.v5Client(uin: uin, session: session ?? uin, command: command, seq1: seq1, seq2: seq2,
                                        parameters: parameters,
                                        r1: ICQEncoder.clientR1(random: uin, length: length), r2: 0x5A)
        feed(bytes, direction: .clientToServer, source: Self.client(uin, port: port), destination: Self.server,
             time: time, side: side)
    }

    /// A server packet: by default a push (a contact went offline) the client must ack.
    func server(_ uin: UInt32, session: UInt32? = nil, command: UInt16 = 0x0078, seq1: UInt16, seq2: UInt16 = 0,
                at time: Int64, port: UInt16 = 0, side: Int = 0) {
        let bytes = ICQEncoder.v5Server(session: session ?? uin, command: command, seq1: seq1, seq2: seq2, uin: uin,
                                        parameters: [0, 0, 0, 0], r1: 3, r2: 0x21)
        feed(bytes, direction: .serverToClient, source: Self.server, destination: Self.client(uin, port: port),
             time: time, side: side)
    }

    private func feed(_ bytes: [UInt8], direction: ICQDirection, source: Endpoint, destination: Endpoint,
                      time: Int64, side: Int) {
        frame += 1
        bytes.withUnsafeBytes { payload in
            guard case .icq(let packet) = decoder.decode(payload, direction: direction) else {
                fatalError("the encoder's datagram did not decode: \(decoder.decode(payload, direction: direction))")
            }
            tracker.observe(packet, source: source, destination: destination, frame: frame, time: time, side: side)
        }
        drain()
    }

    func advance(to time: Int64) {
        tracker.advance(to: time)
        drain()
    }

    func finish() {
        tracker.finish()
        drain()
    }

    /// What was reported since the last call.
    func take() -> [Seen] {
        defer { seen.removeAll() }
        return seen
    }

    private func drain() {
        tracker.drainEvents(into: &buffer)
        for event in buffer {
            switch event {
            case .request(let s, let x, let acked): seen.append(.request(uin: s.key.uin, seq1: x.seq1, copies: x.copyCount, acked: acked))
            case .push(let s, let x, let acked): seen.append(.push(uin: s.key.uin, seq1: x.seq1, copies: x.copyCount, acked: acked))
            case .unresolved(let s, let x, let fromClient, _, _): seen.append(.unresolved(uin: s.key.uin, seq1: x.seq1, fromClient: fromClient))
            case .rebinding(let s, _, _, _, let to): seen.append(.rebinding(uin: s.key.uin, to: to.port))
            case .sessionEnded(let s): seen.append(.ended(uin: s.key.uin, s.endReason ?? .endOfCapture))
            case .serverSequenceGap: seen.append(.other)
            }
        }
    }
}

/// Seconds as capture time.
func seconds(_ s: Int64) -> Int64 { s * 1_000_000_000 }
func milliseconds(_ ms: Int64) -> Int64 { ms * 1_000_000 }
