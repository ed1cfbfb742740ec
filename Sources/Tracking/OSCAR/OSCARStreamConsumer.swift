import Bytes
import Wire

/// Receives what the OSCAR decoder finds in a TCP stream.
public protocol OSCARSink {
    /// One FLAP, reported once, with the frame whose bytes completed it. `pdu` holds views into
    /// borrowed bytes: use them before returning.
    mutating func oscarPDU(_ pdu: OSCARPDU, from: Endpoint, to: Endpoint, frame: UInt64)
    /// Bytes of the stream the decoder will not see (see `StreamGap`).
    mutating func oscarGap(_ gap: StreamGap, from: Endpoint, to: Endpoint)
}

/// The OSCAR decoder as a TCP stream consumer: one `OSCARFramer` per direction. Recognises
/// OSCAR by content (a FLAP at the start of the connection, or found by resynchronising on a
/// connection picked up mid-stream), and stops on anything else so nothing more is buffered.
public struct OSCARStreamConsumer<Sink: OSCARSink>: StreamConsumer {
    public var fromOriginator: OSCARFramer
    public var fromResponder: OSCARFramer

    public let originator: Endpoint
    public let responder: Endpoint

    public init(originator: Endpoint, responder: Endpoint, searchLengthLimit: Int = 16 * 1024) {
        self.originator = originator
        self.responder = responder
        fromOriginator = OSCARFramer(searchLengthLimit: searchLengthLimit)
        fromResponder = OSCARFramer(searchLengthLimit: searchLengthLimit)
    }

    /// Whether either direction has been recognised as OSCAR.
    public var isOSCAR: Bool { fromOriginator.pduCount > 0 || fromResponder.pduCount > 0 }

    public mutating func streamData(_ bytes: UnsafeRawBufferPointer, side: StreamSide, frame: UInt64,
                                    sink: inout Sink) -> StreamStep {
        let result = side == .fromOriginator ? fromOriginator.next(bytes) : fromResponder.next(bytes)
        switch result {
        case .pdu(let length):
            if let pdu = OSCARPDU.decode(UnsafeRawBufferPointer(rebasing: bytes[..<length])) {
                sink.oscarPDU(pdu, from: source(side), to: source(side.opposite), frame: frame)
            }
            return .consumed(length)
        case .junk(let count):
            return .consumed(count)
        case .needMore(let count):
            return .needMore(count)
        case .notOSCAR:
            return .stop
        }
    }

    public mutating func streamGap(_ gap: StreamGap, side: StreamSide, sink: inout Sink) {
        if gap.breaksFraming {
            if side == .fromOriginator { fromOriginator.lostSync() } else { fromResponder.lostSync() }
        }
        sink.oscarGap(gap, from: source(side), to: source(side.opposite))
    }

    func source(_ side: StreamSide) -> Endpoint { side == .fromOriginator ? originator : responder }
}
