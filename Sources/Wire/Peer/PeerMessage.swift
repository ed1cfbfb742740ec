import Bytes

/// A PEER_MSG: message (0x07EE), acknowledgement (0x07DA) or cancel (0x07D0), decoded from its
/// plaintext (docs/protocol.md#peer-messages, #peer-ports). Text and file names are ranges of that
/// plaintext (`PeerPDU.plaintext` tells where it lives: the frame itself for v2/v3, the scratch
/// buffer for v4 and later).
public struct PeerMessage: Sendable, Equatable {
    public var command: UInt16
    /// v4+: the check code and whether its verification bytes matched.
    public var checkcode: UInt32?
    public var checkValid: Bool?
    /// v2–v5: the sender's UIN (v6+ messages carry none).
    public var uin: UInt32?
    public var sequence: UInt32
    /// Message type / sub-command: 1 text, 2 chat request, 3 file request, 4 URL, 0x1A plugin …
    public var messageType: UInt16
    public var status: UInt16
    public var flags: UInt16
    /// Message text without its terminating NUL. For URLs: description, 0xFE, URL.
    public var text: Range<Int>
    /// The text is UTF-8 (the sender added the UTF-8 capability GUID); otherwise a local code page.
    public var isUTF8 = false
    /// Plugin messages (type 0x1A): the plugin's command text ("File", "Send / Start ICQ Chat").
    public var pluginName: Range<Int>? = nil
    /// Plugin messages: the text inside the plugin body (a file request's description).
    public var pluginText: Range<Int>? = nil
    /// Plugin messages: the plugin's GUID (16 bytes, as on the wire) and the plugin it names,
    /// where the table knows it.
    public var pluginGUID: Range<Int>? = nil
    public var plugin: PeerPlugin? = nil
    /// File requests and their accepting acknowledgements.
    public var fileName: Range<Int>? = nil
    public var fileSize: UInt32? = nil
    /// The port the receiver of a file or chat listens on (in an accepting acknowledgement).
    public var port: UInt16? = nil

    public static let commandMessage: UInt16 = 0x07EE
    public static let commandAck: UInt16 = 0x07DA
    public static let commandCancel: UInt16 = 0x07D0

    /// The URL message's description and URL, split at 0xFE.
    public func urlParts(_ plaintext: UnsafeRawBufferPointer) -> (description: Range<Int>, url: Range<Int>)? {
        guard messageType & 0xFF == 4 else { return nil }
        for i in text where plaintext[i] == 0xFE {
            return (text.lowerBound..<i, (i + 1)..<text.upperBound)
        }
        return nil
    }

    public enum Parse: Sendable, Equatable {
        case message(PeerMessage)
        case invalid(offset: Int, reason: StaticString)

        public static func == (a: Parse, b: Parse) -> Bool {
            switch (a, b) {
            case (.message(let x), .message(let y)): x == y
            case (.invalid(let o1, let r1), .invalid(let o2, let r2)): o1 == o2 && r1.description == r2.description
            default: false
            }
        }
    }

    /// v6 and later: `p` starts at the check code (after the 0x02 of v7+).
    public static func parseV6(_ p: UnsafeRawBufferPointer, version: UInt16) -> Parse {
        var r = ByteReader(p)
        guard let check = r.readU32LE(), let command = r.readU16LE(), let headerLength = r.readU16LE(),
            let sequence = r.readU16LE()
        else { return .invalid(offset: r.position, reason: "peer message header truncated") }
        guard isCommand(command) else { return .invalid(offset: 4, reason: "peer message command not 0x07EE, 0x07DA or 0x07D0") }
        // The header length counts the bytes after itself up to the message type (0x0E, or 0x12
        // on licq's plugin channels).
        guard headerLength >= 2, r.skip(Int(headerLength) - 2) else {
            return .invalid(offset: 6, reason: "peer message header length beyond the packet")
        }
        guard let type = r.readU16LE(), let status = r.readU16LE(), let flags = r.readU16LE() else {
            return .invalid(offset: r.position, reason: "peer message fields truncated")
        }
        guard let text = readLNTS(&r) else { return .invalid(offset: r.position, reason: "peer message text beyond the packet") }
        var message = PeerMessage(
            command: command, checkcode: check, uin: nil, sequence: UInt32(sequence), messageType: type,
            status: status, flags: flags, text: text)
        readExtras(&r, into: &message, version: version)
        return .message(message)
    }

    /// v2–v5: `p` is the frame payload (decrypted for v4/v5), starting at the sender's UIN.
    public static func parseV2(_ p: UnsafeRawBufferPointer, version: UInt16) -> Parse {
        var r = ByteReader(p)
        guard let uin = r.readU32LE(), r.readU16LE() != nil else {
            return .invalid(offset: r.position, reason: "peer message header truncated")
        }
        var check: UInt32? = nil
        if version >= 4 {
            guard let c = r.readU32LE() else { return .invalid(offset: r.position, reason: "peer message header truncated") }
            check = c
        }
        guard let command = r.readU16LE(), r.readU16LE() != nil, r.readU32LE() != nil, let type = r.readU16LE() else {
            return .invalid(offset: r.position, reason: "peer message header truncated")
        }
        guard isCommand(command) else {
            return .invalid(offset: version >= 4 ? 10 : 6, reason: "peer message command not 0x07EE, 0x07DA or 0x07D0")
        }
        guard let text = readLNTS(&r) else { return .invalid(offset: r.position, reason: "peer message text beyond the packet") }
        // IP, real IP, port, mode, then status, flags and sequence.
        guard r.skip(13), let status = r.readU16LE(), let flags = r.readU16LE(), let sequence = r.readU32LE() else {
            return .invalid(offset: r.position, reason: "peer message trailer truncated")
        }
        var message = PeerMessage(
            command: command, checkcode: check, uin: uin, sequence: sequence, messageType: type, status: status,
            flags: flags, text: text)
        readTypeExtras(&r, into: &message, version: version)
        return .message(message)
    }

    static func isCommand(_ c: UInt16) -> Bool {
        c == commandMessage || c == commandAck || c == commandCancel
    }

    /// u16 LE length (including the NUL) + bytes; returns the text without the NUL.
    static func readLNTS(_ r: inout ByteReader) -> Range<Int>? {
        guard let length = r.readU16LE() else { return nil }
        let start = r.position
        guard r.skip(Int(length)) else { return nil }
        var end = r.position
        if end > start && r.bytes[end - 1] == 0 { end -= 1 }
        return start..<end
    }

    /// v6+: what follows the text: the type's own extras, then for text messages the colours and
    /// the optional capability GUID string.
    static func readExtras(_ r: inout ByteReader, into m: inout PeerMessage, version: UInt16) {
        switch m.messageType & 0xFF {
        case 1, 4:
            guard r.skip(8), let length = r.readU32LE(), length == 38, let guid = r.readBytes(38) else { return }
            m.isUTF8 = guid.elementsEqual(utf8CapabilityGUID)
        default:
            readTypeExtras(&r, into: &m, version: version)
        }
    }

    /// "{0946134E-4C7F-11D1-8222-444553540000}": the capability that declares UTF-8 text.
    static let utf8CapabilityGUID: [UInt8] = Array("{0946134E-4C7F-11D1-8222-444553540000}".utf8)

    /// File requests (3), chat requests (2) and plugin messages (0x1A).
    static func readTypeExtras(_ r: inout ByteReader, into m: inout PeerMessage, version: UInt16) {
        switch m.messageType & 0xFF {
        case 3:
            readFileExtras(&r, into: &m, version: version)
        case 2:
            readChatPort(&r, into: &m)
        case 0x1A:
            readPluginExtras(&r, into: &m, version: version)
        default:
            return
        }
    }

    /// Chat requests and their acks, plain or through the chat plugin: LNTS client list, port u16
    /// BE, u16, port u32 LE.
    static func readChatPort(_ r: inout ByteReader, into m: inout PeerMessage) {
        guard readLNTS(&r) != nil, let portBE = r.readU16BE(), r.skip(2) else { return }
        let portLE = r.readU32LE()
        m.port = portLE.map { $0 != 0 ? UInt16(truncatingIfNeeded: $0) : portBE } ?? portBE
    }

    /// Plugin messages (docs/protocol.md#peer-plugins): u16 length of the plugin header: GUID
    /// (16), u16 (0), u32 length + plugin name, 15 bytes; then u32 length of the rest, u32
    /// length + text, and the plugin's data. The data is read for the plugins that announce a
    /// port: file and chat (Licq's and climm's layouts), and an external application's accepting
    /// ack, read in the layout climm answers every plugin command with (port u16 BE, u16, LNTS,
    /// u32, port u32 LE: the file layout).
    static func readPluginExtras(_ r: inout ByteReader, into m: inout PeerMessage, version: UInt16) {
        guard let headerLength = r.readU16LE(), let header = r.readBytes(Int(headerLength)) else { return }
        let headerStart = r.position - Int(headerLength)
        if header.count >= 16 {
            m.pluginGUID = headerStart..<(headerStart + 16)
            m.plugin = PeerPlugin.identify(UnsafeRawBufferPointer(rebasing: header[0..<16]))
        }
        if header.count >= 22 {
            let nameLength = Int(header.u32LE(at: 18))
            if 22 + nameLength <= header.count {
                m.pluginName = (headerStart + 22)..<(headerStart + 22 + nameLength)
            }
        }
        let isFile = m.pluginName.map {
            UnsafeRawBufferPointer(rebasing: r.bytes[$0]).elementsEqual("File".utf8)
        } ?? false
        guard isFile || m.plugin == .chat || m.plugin == .external,
              r.readU32LE() != nil, let textLength = r.readU32LE(), r.skip(Int(textLength))
        else { return }
        m.pluginText = (r.position - Int(textLength))..<r.position
        if isFile {
            readFileExtras(&r, into: &m, version: version)
        } else if m.plugin == .chat {
            readChatPort(&r, into: &m)
        } else if m.command == commandAck {
            var greeting = PeerMessage(command: m.command, sequence: m.sequence, messageType: m.messageType,
                                       status: m.status, flags: m.flags, text: m.text)
            readFileExtras(&r, into: &greeting, version: version)
            m.port = greeting.port
        }
    }

    /// Port u16 BE, u16 pad, LNTS file name, u32 size, [u32 unknown in v7], u32 LE port.
    static func readFileExtras(_ r: inout ByteReader, into m: inout PeerMessage, version: UInt16) {
        guard let portBE = r.readU16BE(), r.skip(2), let name = readLNTS(&r), let size = r.readU32LE() else { return }
        m.fileName = name
        m.fileSize = size
        if version == 7 && r.remaining >= 8 { _ = r.skip(4) }
        let portLE = r.readU32LE()
        let port = portLE.map { $0 != 0 ? UInt16(truncatingIfNeeded: $0) : portBE } ?? portBE
        if port != 0 { m.port = port }
    }
}
