import Bytes
import Wire

/// Detects by content what a TCP connection carries end to end, OSCAR (FLAP framing) or the ICQ
/// peer-to-peer protocol (PEER_INIT framing), and decodes it. Serves a direct connection and
/// the bytes tunnelled through a SOCKS CONNECT or BIND alike (`ICQStreamConsumer` hands it the
/// bytes after the handshake), so there is one OSCAR and one peer path.
public struct DirectProtocolConsumer<Sink: StreamProtocolSink> {
    public enum Detected: Sendable { case undecided, oscar, peer }

    public private(set) var detected: Detected = .undecided
    public private(set) var oscar: OSCARStreamConsumer<Sink>
    public private(set) var peer = PeerConnection()
    /// The side that sent the PEER_INIT first. Not always the TCP originator: through a SOCKS
    /// BIND the remote peer's bytes come from the proxy, the TCP responder.
    var peerInitiator: StreamSide = .fromOriginator
    /// A gap broke a direction's peer framing (peer frames carry no marker to resynchronise on).
    var peerFramingLost = (false, false)

    public init(originator: Endpoint, responder: Endpoint) {
        oscar = OSCARStreamConsumer(originator: originator, responder: responder)
    }

    public mutating func streamData(_ bytes: UnsafeRawBufferPointer, side: StreamSide, frame: UInt64,
                                    sink: inout Sink) -> StreamStep {
        switch detected {
        case .oscar:
            return oscar.streamData(bytes, side: side, frame: frame, sink: &sink)
        case .peer:
            return peerData(bytes, side: side, sink: &sink)
        case .undecided:
            guard let first = bytes.first else { return .needMore(1) }
            // A FLAP starts with '*'; a PEER_INIT with a little-endian length (26...52) and 0xFF.
            if first != 0x2A {
                guard bytes.count >= 3 else { return .needMore(3 - bytes.count) }
                let length = Int(bytes.u16LE(at: 0))
                if bytes[2] == 0xFF && (PeerInit.oldFormLength...52).contains(length) {
                    detected = .peer
                    peerInitiator = side
                    return peerData(bytes, side: side, sink: &sink)
                }
            }
            // OSCAR's framer also resynchronises on a connection picked up mid-stream, and stops
            // the direction when the bytes are not OSCAR.
            detected = .oscar
            return oscar.streamData(bytes, side: side, frame: frame, sink: &sink)
        }
    }

    /// The last bytes offered wait for the other direction (read and cleared by the caller).
    var isAwaitingPeer = false

    mutating func peerData(_ bytes: UnsafeRawBufferPointer, side: StreamSide, sink: inout Sink) -> StreamStep {
        if side == .fromOriginator ? peerFramingLost.0 : peerFramingLost.1 { return .stop }
        switch peer.consume(bytes, fromInitiator: side == peerInitiator, scratch: sink.peerScratch) {
        case .pdu(let pdu):
            let used = min(max(pdu.length, 1), bytes.count)
            sink.peerPDU(pdu, bytes: UnsafeRawBufferPointer(rebasing: bytes[..<used]), connection: peer,
                         from: oscar.source(side), to: oscar.source(side.opposite))
            return .consumed(used)
        case .needMore(let n):
            return .needMore(n)
        case .awaitPeer:
            // The bytes stay buffered until the other direction has progressed.
            isAwaitingPeer = true
            return .needMore(1)
        case .notPeer:
            return .stop
        case .malformed:
            // A frame that does not decode is skipped whole when its length is known.
            guard bytes.count >= 2 else { return .stop }
            let length = Int(bytes.u16LE(at: 0))
            guard length > 0, bytes.count >= 2 + length else { return .stop }
            return .consumed(2 + length)
        }
    }

    public mutating func streamGap(_ gap: StreamGap, side: StreamSide, sink: inout Sink) {
        switch detected {
        case .undecided, .oscar:
            oscar.streamGap(gap, side: side, sink: &sink)
        case .peer:
            if gap.breaksFraming {
                if side == .fromOriginator { peerFramingLost.0 = true } else { peerFramingLost.1 = true }
            }
        }
    }
}
