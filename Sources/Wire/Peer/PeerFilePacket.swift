import Bytes

/// A packet of the ICQ file-transfer sub-connection (docs/protocol.md#peer-file-transfer, licq
/// filetransfer.cpp): length-framed, first byte the opcode. Strings are ranges of the frame
/// payload.
public struct PeerFilePacket: Sendable, Equatable {
    public enum Opcode: UInt8, Sendable {
        /// Sender → receiver: number of files, total bytes, speed, sender nick.
        case initialize = 0x00
        /// Receiver → sender: speed, receiver nick.
        case initializeAck = 0x01
        /// Sender → receiver: file name, size, speed.
        case fileInfo = 0x02
        /// Receiver → sender: resume offset, speed, file index.
        case start = 0x03
        case stop = 0x04
        case speed = 0x05
        /// Raw file bytes.
        case data = 0x06
    }

    public var opcode: Opcode
    public var fileCount: UInt32? = nil
    /// Total bytes of all files (initialize), or the file's size (file info).
    public var byteCount: UInt32? = nil
    public var speed: UInt32? = nil
    public var nick: Range<Int>? = nil
    public var fileName: Range<Int>? = nil
    public var resumeOffset: UInt32? = nil
    public var fileIndex: UInt32? = nil
    /// Data packets: the number of file bytes carried.
    public var dataLength: Int = 0

    public enum Parse: Sendable, Equatable {
        case packet(PeerFilePacket)
        case invalid(offset: Int, reason: StaticString)

        public static func == (a: Parse, b: Parse) -> Bool {
            switch (a, b) {
            case (.packet(let x), .packet(let y)): x == y
            case (.invalid(let o1, let r1), .invalid(let o2, let r2)): o1 == o2 && r1.description == r2.description
            default: false
            }
        }
    }

    /// Whether a payload opens a file-transfer sub-connection: opcode 0 followed by u32 0.
    public static func looksLikeInitialize(_ p: UnsafeRawBufferPointer) -> Bool {
        p.count >= 17 && p[0] == 0 && p.u32LE(at: 1) == 0
    }

    public static func parse(_ p: UnsafeRawBufferPointer) -> Parse {
        guard let first = p.first else { return .invalid(offset: 0, reason: "file packet empty") }
        guard let opcode = Opcode(rawValue: first) else { return .invalid(offset: 0, reason: "file packet opcode above 6") }
        var packet = PeerFilePacket(opcode: opcode)
        var r = ByteReader(p, position: 1)
        let truncated: Parse = .invalid(offset: p.count, reason: "file packet truncated")
        switch opcode {
        case .initialize:
            guard r.readU32LE() != nil, let count = r.readU32LE(), let total = r.readU32LE(), let speed = r.readU32LE(),
                let nick = PeerMessage.readLNTS(&r)
            else { return truncated }
            packet.fileCount = count
            packet.byteCount = total
            packet.speed = speed
            packet.nick = nick
        case .initializeAck:
            guard let speed = r.readU32LE(), let nick = PeerMessage.readLNTS(&r) else { return truncated }
            packet.speed = speed
            packet.nick = nick
        case .fileInfo:
            guard r.readU8() != nil, let name = PeerMessage.readLNTS(&r), PeerMessage.readLNTS(&r) != nil,
                let size = r.readU32LE(), r.readU32LE() != nil, let speed = r.readU32LE()
            else { return truncated }
            packet.fileName = name
            packet.byteCount = size
            packet.speed = speed
        case .start:
            guard let offset = r.readU32LE(), r.readU32LE() != nil, let speed = r.readU32LE() else { return truncated }
            packet.resumeOffset = offset
            packet.speed = speed
            packet.fileIndex = r.readU32LE()
        case .speed:
            guard let speed = r.readU32LE() else { return truncated }
            packet.speed = speed
        case .stop:
            break
        case .data:
            packet.dataLength = p.count - 1
        }
        return .packet(packet)
    }
}
