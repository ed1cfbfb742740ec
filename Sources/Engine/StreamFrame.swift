import Bytes
import Report
import Tracking
import Wire

/// Where the stream decoder's PDUs go while one frame is analysed: the evidence they carry for
/// the rules (Tracking), and, only when packets are printed, their fields for the frame's record
/// (Report). Both start afresh with each frame.
struct StreamFrame: StreamProtocolSink {
    var evidence: StreamEvidence
    var record: StreamFrameRecord
    /// Whether the frame's record is written (`--packets`): otherwise PDUs are not rendered.
    let rendersRecord: Bool

    init(record: StreamFrameRecord, rendersRecord: Bool) {
        self.record = record
        self.rendersRecord = rendersRecord
        evidence = StreamEvidence(peerScratch: record.peerScratch)
    }

    var peerScratch: PeerScratch { record.peerScratch }

    mutating func oscarPDU(_ pdu: OSCARPDU, from: Endpoint, to: Endpoint, frame: UInt64) {
        evidence.oscarPDU(pdu, from: from, to: to, frame: frame)
        if rendersRecord { record.oscarPDU(pdu, from: from, to: to, frame: frame) }
    }

    mutating func oscarGap(_ gap: StreamGap, from: Endpoint, to: Endpoint) {
        if rendersRecord { record.oscarGap(gap, from: from, to: to) }
    }

    mutating func socksMessage(_ message: SOCKSMessage, bytes: UnsafeRawBufferPointer, connection: SOCKSConnection,
                               from: Endpoint, to: Endpoint) {
        evidence.socksMessage(message, bytes: bytes, connection: connection, from: from, to: to)
        if rendersRecord { record.socksMessage(message, bytes: bytes, connection: connection, from: from, to: to) }
    }

    mutating func peerPDU(_ pdu: PeerPDU, bytes: UnsafeRawBufferPointer, connection: PeerConnection,
                          from: Endpoint, to: Endpoint) {
        evidence.peerPDU(pdu, bytes: bytes, connection: connection, from: from, to: to)
        if rendersRecord { record.peerPDU(pdu, bytes: bytes, connection: connection, from: from, to: to) }
    }

    /// Ready for frame `frame`.
    mutating func begin(frame: UInt64) {
        evidence.begin(frame: frame)
        if rendersRecord { record.reset() }
    }
}
