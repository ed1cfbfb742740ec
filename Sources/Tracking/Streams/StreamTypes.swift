import Bytes
import Wire

/// Which end of a TCP connection sent the bytes: the originator is the end that sent the SYN,
/// or, for a connection picked up in the middle, the sender of the first packet seen.
public enum StreamSide: Int, Sendable {
    case fromOriginator = 0
    case fromResponder = 1

    public var opposite: StreamSide { self == .fromOriginator ? .fromResponder : .fromOriginator }
}

/// Bytes a decoder will not see, reported in stream order before the bytes that follow them.
public struct StreamGap: Sendable, Equatable {
    public enum Reason: String, Sendable {
        /// The other side acknowledged bytes that were never captured: they will not come.
        case acknowledgedUnseen = "acknowledged_unseen"
        /// Out-of-order data did not fit in the direction's buffer: the hole before it was given up.
        case bufferFull = "buffer_full"
        /// More separate holes than the direction tracks: the first one was given up.
        case tooManyHoles = "too_many_holes"
        /// The decoder asked for a PDU larger than the buffer: the PDU is skipped whole, and
        /// the stream resumes at the boundary after it.
        case oversizePDU = "oversize_pdu"
        /// The stream ended (FIN, RST, eviction, end of capture) with holes or an unfinished PDU.
        case endOfStream = "end_of_stream"
        /// The connection was picked up in the middle: the first bytes may be inside a PDU.
        case midstreamStart = "midstream_start"
    }

    public var reason: Reason
    /// Sequence number of the first byte not delivered.
    public var sequence: UInt32
    /// Bytes of sequence space skipped without being delivered (never captured, or the skipped
    /// oversize PDU).
    public var lostBytes: Int
    /// Buffered bytes of an unfinished PDU thrown away at the gap.
    public var discardedBytes: Int
    /// The frame at which the gap was established.
    public var frame: UInt64

    public init(reason: Reason, sequence: UInt32, lostBytes: Int, discardedBytes: Int, frame: UInt64) {
        self.reason = reason
        self.sequence = sequence
        self.lostBytes = lostBytes
        self.discardedBytes = discardedBytes
        self.frame = frame
    }

    /// Whether the decoder's framing is lost (it must search for the next PDU boundary).
    public var breaksFraming: Bool { reason != .oversizePDU || discardedBytes > 0 }
}

/// A protocol decoder fed by a TCP stream: one value per connection, handling both directions.
///
/// `streamData` is offered the unconsumed in-order bytes of one direction (borrowed: valid only
/// during the call) with the frame whose bytes made them available; it answers with a
/// `StreamStep`. `Sink` is whatever the decoder reports PDUs to (the packet record of the
/// current frame, a test's list), passed through by the stream.
public protocol StreamConsumer {
    associatedtype Sink
    mutating func streamData(_ bytes: UnsafeRawBufferPointer, side: StreamSide, frame: UInt64,
                             sink: inout Sink) -> StreamStep
    mutating func streamGap(_ gap: StreamGap, side: StreamSide, sink: inout Sink)
    /// Asked after the other direction's bytes were handled: whether `side`'s buffered bytes
    /// should be offered again now, because the decoder could not use them until the other
    /// direction progressed (a SOCKS reply before its request was seen, a peer's bytes before
    /// the PEER_INIT). Answering true costs one more offer; the default is false.
    mutating func wantsReoffer(_ side: StreamSide) -> Bool
}

extension StreamConsumer {
    public mutating func wantsReoffer(_ side: StreamSide) -> Bool { false }
}

/// Caps on what reassembly may hold.
public struct StreamLimits: Sendable {
    /// Buffer of one direction: unconsumed bytes plus held out-of-order bytes, borrowed from the
    /// table's pool while bytes wait. Also the largest PDU a decoder can ask for.
    public var bytesPerDirection: Int
    /// Separate out-of-order ranges one direction keeps (each a hole before it).
    public var holesPerDirection: Int
    /// Streams the table keeps; beyond it the least recently used one is evicted.
    public var maxStreams: Int
    /// All direction buffers lent at once together (the pool's bound).
    public var maxTotalBytes: Int

    public init(bytesPerDirection: Int = 16 * 1024, holesPerDirection: Int = 16, maxStreams: Int = 1024,
                maxTotalBytes: Int = 32 * 1024 * 1024) {
        self.bytesPerDirection = max(64, bytesPerDirection)
        self.holesPerDirection = max(1, holesPerDirection)
        self.maxStreams = max(1, maxStreams)
        self.maxTotalBytes = maxTotalBytes
    }

    /// The number of streams the table keeps (at least one).
    public var effectiveMaxStreams: Int { max(1, maxStreams) }
}

/// What reassembly did with one direction's bytes; summed over streams by the table.
public struct StreamCounters: Sendable, Equatable {
    public var segments = 0
    public var payloadBytes = 0
    /// Bytes handed to the decoder (each byte once, however many times it was offered).
    public var deliveredBytes = 0
    /// Bytes the decoder asked to skip unseen.
    public var skippedBytes = 0
    /// Retransmitted bytes already held or delivered (not delivered twice).
    public var duplicateBytes = 0
    /// Bytes of an out-of-order segment that overlapped bytes already held (the first copy wins).
    public var overlapBytes = 0
    public var outOfOrderSegments = 0
    public var gaps = 0
    public var gapBytes = 0
    /// Bytes of unfinished PDUs thrown away at gaps.
    public var discardedBytes = 0
    /// Gaps forced by a cap (buffer full, too many holes, oversize PDU), and their bytes.
    public var capGaps = 0
    public var capGapBytes = 0
    /// Bytes after the decoder stopped (not its protocol): neither buffered nor delivered.
    public var ignoredBytes = 0

    public init() {}

    public static func += (a: inout StreamCounters, b: StreamCounters) {
        a.segments += b.segments
        a.payloadBytes += b.payloadBytes
        a.deliveredBytes += b.deliveredBytes
        a.skippedBytes += b.skippedBytes
        a.duplicateBytes += b.duplicateBytes
        a.overlapBytes += b.overlapBytes
        a.outOfOrderSegments += b.outOfOrderSegments
        a.gaps += b.gaps
        a.gapBytes += b.gapBytes
        a.discardedBytes += b.discardedBytes
        a.capGaps += b.capGaps
        a.capGapBytes += b.capGapBytes
        a.ignoredBytes += b.ignoredBytes
    }
}

/// What a flow table knows of a TCP connection's handshake, for a stream opened only when the
/// first bytes arrive (the SYNs came earlier and cost the stream table nothing): who opened the
/// connection, and each side's initial sequence number when its SYN was seen.
public struct TCPHandshake: Sendable, Equatable {
    public var originator: Endpoint
    public var originatorISN: UInt32?
    public var responderISN: UInt32?

    public init(originator: Endpoint, originatorISN: UInt32?, responderISN: UInt32?) {
        self.originator = originator
        self.originatorISN = originatorISN
        self.responderISN = responderISN
    }

    /// Whether any SYN of the connection was seen (then the originator is known).
    var sawSYN: Bool { originatorISN != nil || responderISN != nil }
}
