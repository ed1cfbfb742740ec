import Bytes
import Tracking
import Wire

/// What the combined TCP stream decoder (`ICQStreamConsumer`) found while one frame was analysed:
/// its OSCAR FLAPs (`oscar`, written as `"aim"`), SOCKS handshake messages (`"socks"`) and ICQ
/// peer-to-peer PDUs (`"icq":{"peer":…}`). As for OSCAR, fields are written at once into reused
/// scratch writers, one PDU gives an object and several an array, in wire order; a PDU is
/// reported at the frame that completed it.
public struct StreamFrameRecord: StreamProtocolSink {
    public var oscar: OSCARFrameRecord
    public let peerScratch = PeerScratch()
    public private(set) var socksCount = 0
    public private(set) var peerCount = 0
    var socksJSON = JSONWriter(capacity: 1 << 10)
    var peerJSON = JSONWriter(capacity: 1 << 12)
    var textLine = ""
    /// Whether anything was reported since the last `reset` (most frames complete no PDU).
    var isDirty = false

    public init(format: OSCARFrameRecord.Format, revealSecrets: Bool) {
        oscar = OSCARFrameRecord(format: format, revealSecrets: revealSecrets)
        socksJSON.beginArray()
        peerJSON.beginArray()
    }

    var format: OSCARFrameRecord.Format { oscar.format }

    // MARK: OSCARSink

    public mutating func oscarPDU(_ pdu: OSCARPDU, from: Endpoint, to: Endpoint, frame: UInt64) {
        isDirty = true
        oscar.oscarPDU(pdu, from: from, to: to, frame: frame)
    }

    public mutating func oscarGap(_ gap: StreamGap, from: Endpoint, to: Endpoint) {
        isDirty = true
        oscar.oscarGap(gap, from: from, to: to)
    }

    // MARK: SOCKS

    public mutating func socksMessage(_ message: SOCKSMessage, bytes: UnsafeRawBufferPointer,
                                      connection: SOCKSConnection, from: Endpoint, to: Endpoint) {
        isDirty = true
        socksCount += 1
        let reveal = oscar.revealSecrets
        switch format {
        case .ndjson:
            socksJSON.beginObject()
            JSONFieldVisitor.write(into: &socksJSON, skipComponents: 1) {
                message.visitFields(bytes, revealSecrets: reveal, into: &$0)
            }
            socksJSON.endObject()
        case .text:
            var line = TextFieldLine(prefix: message.versionByte == 4 || message.kind == .v4Reply ? "SOCKS4" : "SOCKS5",
                                     wanted: Self.socksTextFields)
            message.visitFields(bytes, revealSecrets: reveal, into: &line)
            append(line.line)
        case .countOnly:
            break
        }
    }

    static let socksTextFields: Set<String> = [
        "socks.command_name", "socks.results_name", "socks.auth_method", "socks.auth_method_name",
        "socks.username", "socks.password", "socks.auth_status_name", "socks.dst", "socks.dstV6",
        "socks.remote_name", "socks.v4a_dns_name", "socks.port", "socks.dstport",
    ]

    // MARK: Peer-to-peer

    public mutating func peerPDU(_ pdu: PeerPDU, bytes: UnsafeRawBufferPointer, connection: PeerConnection,
                                 from: Endpoint, to: Endpoint) {
        isDirty = true
        peerCount += 1
        let scratch = peerScratch
        var isData = false
        if case .file(let f) = pdu.content, f.opcode == .data { isData = true }
        switch format {
        case .ndjson:
            peerJSON.beginObject()
            JSONFieldVisitor.write(into: &peerJSON, skipComponents: 2) {
                pdu.visitFields(frame: bytes, scratch: scratch, into: &$0)
                // File bytes carried so far on this connection (both directions).
                if isData { $0.visit("icq.peer.file.carried", .unsigned(connection.fileBytesCarried)) }
            }
            peerJSON.endObject()
        case .text:
            var line = TextFieldLine(prefix: "ICQ peer v\(connection.version)", wanted: Self.peerTextFields)
            pdu.visitFields(frame: bytes, scratch: scratch, into: &line)
            if isData { line.line += " carried=\(connection.fileBytesCarried)" }
            append(line.line)
        case .countOnly:
            break
        }
    }

    static let peerTextFields: Set<String> = [
        "icq.peer.type", "icq.peer.uin", "icq.peer.init.port", "icq.peer.init.port2", "icq.peer.command_name",
        "icq.peer.msg_type_name", "icq.peer.plugin_guid_name", "icq.peer.text", "icq.peer.url", "icq.peer.port",
        "icq.peer.file.opcode_name", "icq.peer.file.name", "icq.peer.file.data_length",
    ]

    mutating func append(_ summary: String) {
        textLine += textLine.isEmpty ? summary : " | " + summary
    }

    // MARK: Output

    /// Writes `"aim"`, `"socks"` and `"icq":{"peer":…}` into the frame's record (each only when
    /// the frame completed such a PDU). Call once per frame, then `reset`.
    public mutating func write(into json: inout JSONWriter) {
        oscar.write(into: &json)
        guard format == .ndjson else { return }
        if socksCount > 0 {
            json.key("socks")
            Self.writeList(&socksJSON, single: socksCount == 1, into: &json)
        }
        if peerCount > 0 {
            json.beginObject("icq")
            json.key("peer")
            Self.writeList(&peerJSON, single: peerCount == 1, into: &json)
            json.endObject()
        }
    }

    static func writeList(_ scratch: inout JSONWriter, single: Bool, into json: inout JSONWriter) {
        scratch.endArray()
        scratch.buffer.withUnsafeBufferPointer { all in
            // One PDU is written without the array's brackets.
            json.rawValue(single ? UnsafeBufferPointer(rebasing: all[1..<(all.count - 1)]) : all)
        }
    }

    /// The text of this frame's PDUs (OSCAR first), or nil.
    public var text: String? {
        guard !textLine.isEmpty else { return oscar.text }
        guard let o = oscar.text else { return textLine }
        return o + " | " + textLine
    }

    /// Ready for the next frame (buffers kept).
    public mutating func reset() {
        // Most frames complete no PDU: then there is nothing to clear.
        guard isDirty else { return }
        isDirty = false
        oscar.reset()
        if socksCount > 0 {
            socksJSON.removeAll()
            socksJSON.beginArray()
        }
        if peerCount > 0 {
            peerJSON.removeAll()
            peerJSON.beginArray()
        }
        socksCount = 0
        peerCount = 0
        if !textLine.isEmpty { textLine.removeAll(keepingCapacity: true) }
    }
}
