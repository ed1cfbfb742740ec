import Bytes
import Tracking
import Wire

/// The OSCAR part of one frame's `packet` record. PDUs come out of TCP reassembly while the
/// frame is analysed, as views that are valid only then; their fields are written at once into a
/// reused scratch writer, and copied into the record when it is written. One PDU gives
/// `"aim":{…}`, several give `"aim":[{…},{…}]` in wire order (OUTPUT.md). A PDU is reported in
/// the frame during whose analysis it was completed (for bytes held out of order, the frame that
/// filled the hole or whose ACK proved it lost).
public struct OSCARFrameRecord: OSCARSink {
    public var revealSecrets: Bool
    /// Whether PDUs are written as NDJSON, as text, or only counted.
    public var format: Format
    public private(set) var pduCount = 0
    public private(set) var gapCount = 0
    var scratch = JSONWriter(capacity: 1 << 12)
    var textLine = ""

    public enum Format { case ndjson, text, countOnly }

    public init(format: Format, revealSecrets: Bool) {
        self.format = format
        self.revealSecrets = revealSecrets
        scratch.beginArray()
    }

    public mutating func oscarPDU(_ pdu: OSCARPDU, from: Endpoint, to: Endpoint, frame: UInt64) {
        pduCount += 1
        switch format {
        case .ndjson:
            scratch.beginObject()
            let reveal = revealSecrets
            JSONFieldVisitor.write(into: &scratch, skipComponents: 1) { pdu.visitFields(&$0, revealSecrets: reveal) }
            scratch.endObject()
        case .text:
            textLine += textLine.isEmpty ? pdu.summary() : " | " + pdu.summary()
        case .countOnly:
            break
        }
    }

    public mutating func oscarGap(_ gap: StreamGap, from: Endpoint, to: Endpoint) {
        gapCount += 1
    }

    /// Writes `"aim": …` into the frame's record (nothing when the frame completed no PDU).
    /// Call once per frame, then `reset`.
    public mutating func write(into json: inout JSONWriter) {
        guard pduCount > 0, format == .ndjson else { return }
        scratch.endArray()
        json.key("aim")
        let single = pduCount == 1
        scratch.buffer.withUnsafeBufferPointer { all in
            // One PDU is written without the array's brackets.
            json.rawValue(single ? UnsafeBufferPointer(rebasing: all[1..<(all.count - 1)]) : all)
        }
    }

    /// The text of this frame's PDUs, or nil.
    public var text: String? { textLine.isEmpty ? nil : textLine }

    /// Ready for the next frame (buffers kept).
    public mutating func reset() {
        pduCount = 0
        gapCount = 0
        scratch.removeAll()
        scratch.beginArray()
        if !textLine.isEmpty { textLine.removeAll(keepingCapacity: true) }
    }
}
