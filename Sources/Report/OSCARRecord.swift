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

    /// Direct-connection endpoints the frame's PDUs advertised (buddy arrived, set status):
    /// the peer's internal address and TCP port, and its external address with the same port.
    public private(set) var advertised: [(endpoint: Endpoint, uin: UInt32?, isLAN: Bool)] = []
    /// Endpoints a rendezvous proposal (ICBM channel 2) named for its connection, and the
    /// external application its capability starts, if any (`ExternalApplicationCapability`'s
    /// index).
    public private(set) var rendezvous: [(endpoint: Endpoint, uin: UInt32?, isLAN: Bool, application: UInt8?)] = []
    /// Whether `rendezvous` holds anything (read for every frame: a flag, not the array).
    public private(set) var hasRendezvous = false

    public mutating func oscarPDU(_ pdu: OSCARPDU, from: Endpoint, to: Endpoint, frame: UInt64) {
        pduCount += 1
        noteAdvertised(pdu, from: from)
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

    mutating func noteAdvertised(_ pdu: OSCARPDU, from: Endpoint) {
        // ICBM channel 2 (a rendezvous), told from the SNAC header and the channel's two bytes
        // after the cookie: every other message costs a few compares, not a copy of its body.
        if let snac = pdu.snac, snac.family == 4, snac.subtype == 6 || snac.subtype == 7,
           pdu.data.count >= pdu.snacBodyOffset + 10,
           pdu.data[pdu.snacBodyOffset + 8] == 0, pdu.data[pdu.snacBodyOffset + 9] == 2 {
            noteRendezvous(pdu, from: from)
            return
        }
        let presence: PresenceTLVs
        var uin: UInt32? = nil
        switch pdu.body {
        case .userInfo(let list):
            presence = list.first.presence
            uin = ScreenName.uin(list.first.screenName)
        case .setStatus(let p):
            presence = p
        default:
            return
        }
        guard let dc = presence.dcInfo, let port = UInt16(exactly: dc.tcpPort), port != 0 else { return }
        advertised.append((Endpoint(address: dc.internalAddress, port: port), uin, true))
        if let external = presence.externalAddress {
            advertised.append((Endpoint(address: external, port: port), uin, false))
        } else if case .setStatus = pdu.body {
            // A client's own status: the address it is seen from is its external one.
            advertised.append((Endpoint(address: from.address, port: port), uin, false))
        }
    }

    /// A rendezvous proposal: the proposer listens on TLV 5's port at its internal address (TLV
    /// 3) and at its external one (TLV 4, which the server adds to what it relays; for a proposal
    /// the client sends, the address it is seen from).
    @inline(never)
    mutating func noteRendezvous(_ pdu: borrowing OSCARPDU, from: Endpoint) {
        guard case .icbm(let m) = pdu.body, let r = m.rendezvous, r.messageType == 0, let port = r.port, port != 0 else { return }
        let application = ExternalApplicationCapability.index(of: r.capability)
        // (04,07) names the sender (the proposer); (04,06) the recipient.
        let uin = m.sender != nil ? ScreenName.uin(m.screenName) : nil
        hasRendezvous = true
        if let lan = r.internalAddress {
            rendezvous.append((Endpoint(address: lan, port: port), uin, true, application))
        }
        if let external = r.externalAddress {
            rendezvous.append((Endpoint(address: external, port: port), uin, false, application))
        } else if m.sender == nil {
            rendezvous.append((Endpoint(address: from.address, port: port), uin, false, application))
        }
    }

    /// The text of this frame's PDUs, or nil.
    public var text: String? { textLine.isEmpty ? nil : textLine }

    /// Ready for the next frame (buffers kept).
    public mutating func reset() {
        pduCount = 0
        gapCount = 0
        if !advertised.isEmpty { advertised.removeAll(keepingCapacity: true) }
        if hasRendezvous {
            rendezvous.removeAll(keepingCapacity: true)
            hasRendezvous = false
        }
        scratch.removeAll()
        scratch.beginArray()
        if !textLine.isEmpty { textLine.removeAll(keepingCapacity: true) }
    }
}
