import Bytes
import Wire

/// What happens to one transmission of a client request (docs/protocol.md#reliability: every packet
/// but an ack is acked; the client retransmits after 10 s).
public enum RequestCopy: Sendable, Equatable {
    /// The server gets it and its SRV_ACK comes back.
    case acked
    /// The server gets it but acks only after this many nanoseconds (a busy server).
    case ackedAfter(Int64)
    /// The gateway drops the request: seen inside only.
    case droppedAtGateway
    /// The gateway drops it and answers ICMP 3/code from its inside address.
    case blockedWithICMP(code: UInt8)
    /// It leaves the gateway and is lost on the way to the server.
    case lostBeyondGateway
    /// The server acks, and the gateway drops the ack: the ack is seen outside only.
    case ackDroppedAtGateway
    /// The server acks, and the ack is lost before the gateway: seen nowhere.
    case ackLostBeyondGateway
}

/// What happens to one transmission of a server packet that needs the client's ack.
public enum PushCopy: Sendable, Equatable {
    /// Delivered; the client's CMD_ACK reaches the server.
    case acked
    /// Delivered; the client acks only after this many nanoseconds.
    case ackedAfter(Int64)
    /// Delivered; the client acks, and the gateway drops the ack (seen inside only).
    case ackDroppedAtGateway
    /// Seen outside, dropped by the gateway (no mapping, or filtered).
    case droppedAtGateway
    /// Dropped by the gateway, which answers ICMP 3/code from its public address.
    case droppedAtGatewayWithICMP(code: UInt8)
    /// Lost before the gateway: seen nowhere.
    case lostBeforeGateway
    /// Delivered to a client host whose ICQ port is closed: ICMP port unreachable from the client.
    case refusedByClient
}

/// What became of a request: when the server first got it, and whether the client saw an ack.
public struct RequestOutcome: Sendable {
    public var seq1: UInt16
    public var seq2: UInt16
    /// Server time at which the first copy arrived (nil: never).
    public var serverReceived: Int64?
    /// Client time at which the first ack arrived (nil: never).
    public var ackReceived: Int64?
    public var copies: Int
}

public struct PushOutcome: Sendable {
    public var seq1: UInt16
    /// Client time at which the first copy arrived (nil: never).
    public var delivered: Int64?
    /// Server time at which the first ack arrived (nil: never).
    public var ackReceived: Int64?
    public var copies: Int
}

extension ICQSessionScript {
    /// A client request sent at `now`, its retransmissions every 10 s while no ack comes (one
    /// transmission per entry of `copies`, at most the client's maximum), and the server's acks.
    /// Each copy is encrypted anew. Frames: every copy is named `name`, every ack `name.ack`, every
    /// ICMP error `name.icmp`. The client's clock moves to just after the first copy.
    @discardableResult
    public mutating func request(_ command: UInt16, _ parameters: [UInt8], name: String, alias: String? = nil,
                                 copies: [RequestCopy] = [.acked]) -> RequestOutcome {
        let names = [name] + (alias.map { [$0] } ?? [])
        precondition(!copies.isEmpty && copies.count <= setup.clientMaxTransmissions)
        let seq1 = clientSeq1
        clientSeq1 &+= 1
        let seq2: UInt16
        switch command {
        case ICQCommand.Client.keepAlive, ICQCommand.Client.sendTextCode: seq2 = 0
        default:
            seq2 = clientSeq2
            clientSeq2 &+= 1
        }
        var outcome = RequestOutcome(seq1: seq1, seq2: seq2, serverReceived: nil, ackReceived: nil, copies: 0)
        let first = now
        for (i, fate) in copies.enumerated() {
            let sent = first + Int64(i) * setup.clientRetransmitTimeout
            if let acked = outcome.ackReceived, acked <= sent { break }
            outcome.copies += 1
            let packet = clientPacket(command: command, seq1: seq1, seq2: seq2, parameters: parameters)
            let path: ClientPath
            var icmp: UInt8? = nil
            switch fate {
            case .droppedAtGateway: path = .droppedAtGateway
            case .blockedWithICMP(let code):
                path = .droppedAtGateway
                icmp = code
            case .lostBeyondGateway: path = .lostBeyondGateway
            default: path = .delivered
            }
            guard let arrived = clientDatagram(packet, at: sent, path: path, names: names, gatewayICMP: icmp,
                                               icmpNames: names.map { $0 + ".icmp" }) else { continue }
            if outcome.serverReceived == nil { outcome.serverReceived = arrived }
            // The server acks every copy it gets, to the copy's source address.
            var delay = Self.serverTurnaround
            if case .ackedAfter(let d) = fate { delay = d }
            let ack = serverPacket(command: ICQCommand.Server.ack, seq1: seq1, seq2: seq2, parameters: [])
            let ackPath: ServerPath
            switch fate {
            case .ackDroppedAtGateway: ackPath = .droppedAtGateway
            case .ackLostBeyondGateway: ackPath = .lostBeforeGateway
            default: ackPath = .delivered
            }
            if let back = serverDatagram(ack, at: arrived + delay, to: requestSource, path: ackPath,
                                         names: names.map { $0 + ".ack" }),
               outcome.ackReceived == nil {
                outcome.ackReceived = back
            }
        }
        now = first + 1_000_000
        return outcome
    }

    /// A client request sent once and never retransmitted nor acked (the log-off text code: the
    /// client exits at once, and iserverd does not ack it, as in the real mICQ capture).
    public mutating func sendOnce(_ command: UInt16, _ parameters: [UInt8], name: String) {
        let seq1 = clientSeq1
        clientSeq1 &+= 1
        let seq2: UInt16 = command == ICQCommand.Client.keepAlive || command == ICQCommand.Client.sendTextCode ? 0 : clientSeq2
        if seq2 != 0 { clientSeq2 &+= 1 }
        let packet = clientPacket(command: command, seq1: seq1, seq2: seq2, parameters: parameters)
        clientDatagram(packet, at: now, path: .delivered, names: [name])
        now += 1_000_000
    }

    /// A server packet that needs the client's ack, sent at `time` (server clock) to the address
    /// recorded at login, retransmitted every 10 s while no ack comes (one transmission per entry
    /// of `copies`, at most 1 + the server's retries). SEQ1 is the server's next; `seq2` is 0 for a
    /// push and the request's SEQ2 for a direct reply. The client acks every copy it gets. Frames:
    /// copies `name`, acks `name.ack`, ICMP errors `name.icmp`.
    @discardableResult
    public mutating func push(_ command: UInt16, _ parameters: [UInt8], at time: Int64, seq2: UInt16 = 0,
                              name: String, alias: String? = nil, copies: [PushCopy] = [.acked]) -> PushOutcome {
        let names = [name] + (alias.map { [$0] } ?? [])
        precondition(!copies.isEmpty && copies.count <= setup.serverRetries + 1)
        let seq1 = serverSeq1
        serverSeq1 &+= 1
        // iserverd keeps the packet in its confirm queue and resends the same bytes.
        let packet = serverPacket(command: command, seq1: seq1, seq2: seq2, parameters: parameters)
        var outcome = PushOutcome(seq1: seq1, delivered: nil, ackReceived: nil, copies: 0)
        for (i, fate) in copies.enumerated() {
            let sent = time + Int64(i) * setup.serverRetransmitTimeout
            if let acked = outcome.ackReceived, acked <= sent { break }
            outcome.copies += 1
            let path: ServerPath
            var icmp: UInt8? = nil
            switch fate {
            case .droppedAtGateway: path = .droppedAtGateway
            case .droppedAtGatewayWithICMP(let code):
                path = .droppedAtGateway
                icmp = code
            case .lostBeforeGateway: path = .lostBeforeGateway
            default: path = .delivered
            }
            guard let delivered = serverDatagram(packet, at: sent, to: recordedClient, path: path, names: names,
                                                 gatewayICMP: icmp, icmpNames: names.map { $0 + ".icmp" }) else { continue }
            if outcome.delivered == nil { outcome.delivered = delivered }
            if fate == .refusedByClient {
                clientRefuses(packet, deliveredAt: delivered, names: names.map { $0 + ".icmp" })
                continue
            }
            var delay = Self.clientTurnaround
            if case .ackedAfter(let d) = fate { delay = d }
            let ack = clientPacket(command: ICQCommand.Client.ack, seq1: seq1, seq2: seq2, parameters: ICQParameters.random(randomU32()))
            let ackPath: ClientPath = fate == .ackDroppedAtGateway ? .droppedAtGateway : .delivered
            if let back = clientDatagram(ack, at: delivered + delay, path: ackPath, names: names.map { $0 + ".ack" }),
               outcome.ackReceived == nil {
                outcome.ackReceived = back
            }
        }
        return outcome
    }

    /// Server time at which a packet the server sends `after` nanoseconds past the client's
    /// `now` leaves the server (the client's clock runs 18 ms ahead of the server's view).
    public func serverTime(after nanoseconds: Int64 = 0) -> Int64 { now + nanoseconds }
}
