import Wire

/// Feeds a conversation's two directions to a stream decoder the way a reassembler would: chunks
/// arrive in frame order; after each arrival both directions are offered their unconsumed bytes
/// until neither makes progress. Each decoded unit is tagged with the frame that completed it.
enum DriverAction {
    /// Consumed this many bytes (0 only together with `stop`).
    case consumed(Int)
    /// Keep the bytes, try again after more arrive (in either direction).
    case wait
    /// This direction yields nothing more to this decoder.
    case stop
}

struct StreamDriver {
    static func run(
        _ c: TCPConversation,
        _ step: (_ bytes: UnsafeRawBufferPointer, _ fromInitiator: Bool, _ frame: UInt64) -> DriverAction
    ) {
        // Arrival events in frame order.
        var events: [(frame: UInt64, fromInitiator: Bool, end: Int)] = []
        for ch in c.fromInitiator.chunks { events.append((ch.frame, true, ch.end)) }
        for ch in c.fromResponder.chunks { events.append((ch.frame, false, ch.end)) }
        events.sort { $0.frame < $1.frame }
        var available = [0, 0], consumed = [0, 0], stopped = [false, false]
        for e in events {
            available[e.fromInitiator ? 0 : 1] = e.end
            var progress = true
            while progress {
                progress = false
                for d in 0..<2 where !stopped[d] && consumed[d] < available[d] {
                    let data = d == 0 ? c.fromInitiator.data : c.fromResponder.data
                    let action = data.withUnsafeBytes { raw in
                        step(UnsafeRawBufferPointer(rebasing: raw[consumed[d]..<available[d]]), d == 0, e.frame)
                    }
                    switch action {
                    case .consumed(let n):
                        consumed[d] += n
                        progress = n > 0
                    case .wait: break
                    case .stop: stopped[d] = true
                    }
                }
            }
        }
    }
}

/// One SOCKS handshake message as the tests see it: the frame completing it and its fields.
struct SOCKSRecord {
    var frame: UInt64
    var fromClient: Bool
    var message: SOCKSMessage
    var fields: CollectingVisitor
}

struct SOCKSRun {
    var records: [SOCKSRecord] = []
    var connection: SOCKSConnection
    var steps: [SOCKSStep] = []
    /// Tunnelled bytes per direction (client, server) after a successful handshake.
    var tunnel: ([UInt8], [UInt8]) = ([], [])
    var tunnelFirstFrame: (UInt64?, UInt64?) = (nil, nil)

    /// Runs the SOCKS decoder over a conversation; `reversed` makes the TCP initiator the SOCKS server.
    init(_ c: TCPConversation, serverPreamble: Int = 0, reversed: Bool = false, revealSecrets: Bool = false) {
        var connection = SOCKSConnection(serverPreamble: serverPreamble)
        var records: [SOCKSRecord] = []
        var steps: [SOCKSStep] = []
        var tunnel: ([UInt8], [UInt8]) = ([], [])
        var firstFrames: (UInt64?, UInt64?) = (nil, nil)
        StreamDriver.run(c) { bytes, fromInitiator, frame in
            let fromClient = reversed ? !fromInitiator : fromInitiator
            let step = connection.consume(bytes, fromClient: fromClient)
            steps.append(step)
            switch step {
            case .message(let m):
                var v = CollectingVisitor()
                m.visitFields(UnsafeRawBufferPointer(rebasing: bytes[0..<m.length]), revealSecrets: revealSecrets, into: &v)
                records.append(SOCKSRecord(frame: frame, fromClient: fromClient, message: m, fields: v))
                return .consumed(m.length)
            case .preamble(let n): return .consumed(n)
            case .needMore, .awaitPeer: return .wait
            case .tunnel:
                if fromClient {
                    tunnel.0 += bytes; if firstFrames.0 == nil { firstFrames.0 = frame }
                } else {
                    tunnel.1 += bytes; if firstFrames.1 == nil { firstFrames.1 = frame }
                }
                return .consumed(bytes.count)
            case .unexpectedData, .notSOCKS, .malformed: return .stop
            }
        }
        self.connection = connection
        self.records = records
        self.steps = steps
        self.tunnel = tunnel
        self.tunnelFirstFrame = firstFrames
    }
}

/// One peer PDU as the tests see it.
struct PeerRecord {
    var frame: UInt64
    var fromInitiator: Bool
    var pdu: PeerPDU
    var fields: CollectingVisitor
}

struct PeerRun {
    var records: [PeerRecord] = []
    var connection = PeerConnection()
    var problems: [PeerStep] = []

    init(_ c: TCPConversation, scratch: PeerScratch) {
        var connection = PeerConnection()
        var records: [PeerRecord] = []
        var problems: [PeerStep] = []
        StreamDriver.run(c) { bytes, fromInitiator, frame in
            let step = connection.consume(bytes, fromInitiator: fromInitiator, scratch: scratch)
            switch step {
            case .pdu(let pdu):
                var v = CollectingVisitor()
                pdu.visitFields(frame: bytes, scratch: scratch, into: &v)
                records.append(PeerRecord(frame: frame, fromInitiator: fromInitiator, pdu: pdu, fields: v))
                return .consumed(pdu.length)
            case .needMore, .awaitPeer: return .wait
            case .notPeer, .malformed:
                problems.append(step)
                return .stop
            }
        }
        self.connection = connection
        self.records = records
        self.problems = problems
    }
}
