import Bytes
import Wire

/// The one decoder every TCP connection is fed to. It recognises a SOCKS4/4a/5 handshake by
/// content (the client's first bytes) and follows it; after a granted CONNECT or BIND the
/// tunnelled bytes go to `DirectProtocolConsumer` exactly as a direct connection's would
/// (OSCAR or ICQ peer-to-peer). A connection that does not start with a SOCKS handshake goes
/// there at once.
public struct ICQStreamConsumer<Sink: StreamProtocolSink>: StreamConsumer {
    public enum Phase: Sendable {
        /// No byte decoded yet.
        case undecided
        /// Inside a SOCKS handshake.
        case socksHandshake
        /// A SOCKS CONNECT or BIND was granted: the rest is tunnelled.
        case tunnel
        /// Not SOCKS: the connection is direct.
        case direct
        /// SOCKS without a tunnel (refused, UDP ASSOCIATE control connection, opaque method, broken).
        case socksEnded
    }

    public private(set) var phase: Phase = .undecided
    public private(set) var socks = SOCKSConnection()
    public private(set) var inner: DirectProtocolConsumer<Sink>
    /// A direction whose bytes wait for the other direction (see `wantsReoffer`).
    var awaiting = (false, false)

    public init(originator: Endpoint, responder: Endpoint) {
        inner = DirectProtocolConsumer(originator: originator, responder: responder)
    }

    public mutating func streamData(_ bytes: UnsafeRawBufferPointer, side: StreamSide, frame: UInt64,
                                    sink: inout Sink) -> StreamStep {
        switch phase {
        case .direct, .tunnel:
            return direct(bytes, side: side, frame: frame, sink: &sink)
        case .socksEnded:
            return .stop
        case .undecided, .socksHandshake:
            break
        }
        // The SOCKS client is the TCP originator (the reverse SOCKS5 form is not detected here).
        switch socks.consume(bytes, fromClient: side == .fromOriginator) {
        case .message(let message):
            phase = .socksHandshake
            let used = min(max(message.length, 1), bytes.count)
            sink.socksMessage(message, bytes: UnsafeRawBufferPointer(rebasing: bytes[..<used]), connection: socks,
                              from: inner.oscar.source(side), to: inner.oscar.source(side.opposite))
            return .consumed(used)
        case .needMore(let n):
            return .needMore(n)
        case .preamble(let n):
            return .consumed(n)
        case .awaitPeer:
            // Offered again once the other direction has progressed (or with this one's next bytes).
            setAwaiting(side)
            return .needMore(1)
        case .tunnel:
            phase = .tunnel
            return direct(bytes, side: side, frame: frame, sink: &sink)
        case .notSOCKS:
            guard phase == .undecided else {
                phase = .socksEnded
                return .stop
            }
            phase = .direct
            return direct(bytes, side: side, frame: frame, sink: &sink)
        case .unexpectedData:
            return .stop
        case .malformed:
            phase = .socksEnded
            return .stop
        }
    }

    /// The bytes of a direct or tunnelled connection.
    mutating func direct(_ bytes: UnsafeRawBufferPointer, side: StreamSide, frame: UInt64,
                         sink: inout Sink) -> StreamStep {
        let step = inner.streamData(bytes, side: side, frame: frame, sink: &sink)
        if inner.isAwaitingPeer {
            inner.isAwaitingPeer = false
            setAwaiting(side)
        }
        return step
    }

    mutating func setAwaiting(_ side: StreamSide) {
        if side == .fromOriginator { awaiting.0 = true } else { awaiting.1 = true }
    }

    public mutating func wantsReoffer(_ side: StreamSide) -> Bool {
        let wants = side == .fromOriginator ? awaiting.0 : awaiting.1
        if wants { if side == .fromOriginator { awaiting.0 = false } else { awaiting.1 = false } }
        return wants
    }

    public mutating func streamGap(_ gap: StreamGap, side: StreamSide, sink: inout Sink) {
        switch phase {
        case .undecided:
            // A connection picked up mid-stream cannot show its handshake: decode what follows.
            phase = .direct
            inner.streamGap(gap, side: side, sink: &sink)
        case .direct, .tunnel:
            inner.streamGap(gap, side: side, sink: &sink)
        case .socksHandshake:
            if gap.breaksFraming { phase = .socksEnded }
        case .socksEnded:
            break
        }
    }
}
