import Bytes

/// Cuts one direction of a TCP stream into FLAPs: recognises OSCAR by content, and finds the
/// FLAP boundaries again after a gap or a pick-up in mid-stream.
///
/// A value type with a few integers of state, fed by a reassembler with the in-order bytes it
/// holds; it never copies. Resynchronisation accepts a candidate header only when the header
/// after it is also valid and numbered one higher, or when it ends exactly where the captured
/// bytes end (segments usually end on a PDU) and its content is plausible.
public struct OSCARFramer: Sendable {
    public enum State: Sendable, Equatable {
        /// At the start of a connection: the first bytes decide whether this is OSCAR.
        case atStart
        /// At a FLAP boundary.
        case synced
        /// Searching for a FLAP boundary (after a gap, or picked up mid-stream).
        case searching
        /// The stream is not OSCAR.
        case notOSCAR
    }

    /// What to do with the bytes offered.
    public enum Result {
        /// A whole FLAP of `length` bytes at the start of the bytes offered.
        case pdu(length: Int)
        /// `count` bytes that are not at a FLAP boundary: skip them.
        case junk(count: Int)
        case needMore(Int)
        case notOSCAR
    }

    public private(set) var state: State
    /// FLAPs delivered, resynchronisations that succeeded, bytes skipped while searching.
    public private(set) var pduCount = 0
    public private(set) var resyncCount = 0
    public private(set) var junkBytes = 0
    /// Lost sync because a FLAP did not start with 0x2A where one was expected.
    public private(set) var desyncCount = 0
    /// FLAP lengths above this are taken as noise while searching (a real FLAP is far smaller).
    public var searchLengthLimit: Int

    public init(midstream: Bool = false, searchLengthLimit: Int = 16 * 1024) {
        state = midstream ? .searching : .atStart
        self.searchLengthLimit = searchLengthLimit
    }

    /// After a gap the next byte may be anywhere inside a FLAP.
    public mutating func lostSync() {
        if state != .notOSCAR { state = .searching }
    }

    /// Classifies a stream from its first bytes: a FLAP header at offset 0 with plausible content.
    public static func looksLikeOSCAR(_ bytes: UnsafeRawBufferPointer) -> Bool? {
        guard bytes.count >= FLAPHeader.length else {
            if let first = bytes.first, first != FLAPHeader.startMarker { return false }
            if bytes.count >= 2, !FLAPChannel.isValid(bytes[1]) { return false }
            return nil
        }
        guard let header = FLAPHeader.parse(bytes) else { return false }
        return isPlausible(header, bytes, at: 0) ?? true
    }

    public mutating func next(_ bytes: UnsafeRawBufferPointer) -> Result {
        switch state {
        case .notOSCAR:
            return .notOSCAR
        case .atStart:
            switch Self.looksLikeOSCAR(bytes) {
            case nil: return .needMore(FLAPHeader.length - bytes.count)
            case false?:
                state = .notOSCAR
                return .notOSCAR
            case true?:
                state = .synced
                return next(bytes)
            }
        case .synced:
            guard bytes.count >= FLAPHeader.length else { return .needMore(FLAPHeader.length - bytes.count) }
            guard let header = FLAPHeader.parse(bytes) else {
                desyncCount += 1
                state = .searching
                return search(bytes)
            }
            guard bytes.count >= header.pduLength else { return .needMore(header.pduLength - bytes.count) }
            pduCount += 1
            return .pdu(length: header.pduLength)
        case .searching:
            return search(bytes)
        }
    }

    mutating func search(_ bytes: UnsafeRawBufferPointer) -> Result {
        let n = bytes.count
        var i = 0
        while i < n {
            defer { i += 1 }
            guard bytes[i] == FLAPHeader.startMarker else { continue }
            if n - i < FLAPHeader.length {
                // Could be a header cut by the end of the bytes: keep it, drop what precedes.
                if i > 0 { return skipJunk(i) }
                return .needMore(FLAPHeader.length - (n - i))
            }
            guard let header = FLAPHeader.parse(bytes, at: i), header.dataLength <= searchLengthLimit,
                  Self.isPlausible(header, bytes, at: i) != false else { continue }
            let end = i + header.pduLength
            if end == n {
                // Ends exactly where the bytes end: accept on content alone.
                guard Self.isPlausible(header, bytes, at: i) == true else { continue }
            } else if end + FLAPHeader.length <= n {
                guard let following = FLAPHeader.parse(bytes, at: end),
                      following.sequence == header.sequence &+ 1 else { continue }
            } else {
                // Cannot judge yet: keep the candidate and wait for the bytes that decide.
                if i > 0 { return skipJunk(i) }
                return .needMore(end + FLAPHeader.length - n)
            }
            if i > 0 { return skipJunk(i) }
            state = .synced
            resyncCount += 1
            pduCount += 1
            return .pdu(length: header.pduLength)
        }
        return skipJunk(n)
    }

    mutating func skipJunk(_ count: Int) -> Result {
        junkBytes += count
        return .junk(count: count)
    }

    /// Whether the data behind a header looks like that channel's content: true, false, or nil
    /// when not enough of it is present to say.
    static func isPlausible(_ header: FLAPHeader, _ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool? {
        let data = offset + FLAPHeader.length
        let present = min(bytes.count - data, header.dataLength)
        switch header.channel {
        case FLAPChannel.signOn:
            // FLAP version 1, or an empty frame.
            if header.dataLength == 0 { return true }
            guard header.dataLength >= 4 else { return false }
            guard present >= 4 else { return nil }
            return bytes.u32BE(at: data) == 1
        case FLAPChannel.snac:
            guard header.dataLength >= SNACHeader.length else { return false }
            guard present >= 6 else { return nil }
            let family = bytes.u16BE(at: data)
            let subtype = bytes.u16BE(at: data + 2)
            let flags = bytes.u16BE(at: data + 4)
            return SNACNames.isKnownFamily(family) && subtype != 0 && subtype < 0x0100
                && flags & 0x7FFE == 0
        case FLAPChannel.keepAlive:
            return header.dataLength <= 4
        default:
            // Channels 3 and 4 carry TLVs (or nothing).
            guard header.dataLength > 0 else { return true }
            guard present >= 4 else { return nil }
            return header.dataLength >= 4 && Int(bytes.u16BE(at: data + 2)) + 4 <= header.dataLength
        }
    }
}
