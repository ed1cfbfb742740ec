/// The peer-to-peer (direct connection) handshake of docs/protocol.md#peer-init, for TCP versions 6
/// and 8, as a state machine over whole frames (`u16 LE length` + payload).
///
/// - v6: the initiator sends PEER_INIT, the acceptor answers PEER_INIT_ACK.
/// - v7/v8: both sides send PEER_INIT and PEER_INIT_ACK, then both send PEER_INIT2.
final class DirectHandshake {
    enum Role { case initiator, acceptor }

    struct Identity {
        var uin: UInt32
        var listenPort: UInt32
        var externalIP: UInt32
        var lanIP: UInt32
        var cookie: UInt32
    }

    enum Event: Equatable {
        /// The other side's PEER_INIT: its version, UIN and listening port.
        case peerInit(version: UInt16, uin: UInt32, port: UInt32)
        case established
        case failed(String)
    }

    static let initAck: [UInt8] = [0x01, 0x00, 0x00, 0x00]

    let role: Role
    /// The version this side speaks; an acceptor takes the initiator's (6 or 8).
    private(set) var version: UInt16
    let me: Identity
    /// The UIN of the peer we call (initiator) — written as the destination UIN.
    var peerUIN: UInt32
    private var gotAck = false
    private var gotInit = false
    private var gotInit2 = false
    private var sentInit2 = false
    private(set) var done = false

    init(role: Role, version: UInt16, me: Identity, peerUIN: UInt32) {
        self.role = role
        self.version = version
        self.me = me
        self.peerUIN = peerUIN
    }

    /// The frames the initiator opens with.
    func start() -> [[UInt8]] {
        role == .initiator ? [Self.frame(peerInit())] : []
    }

    /// Feeds one frame payload; returns frames to send and what happened.
    func receive(_ payload: [UInt8]) -> (send: [[UInt8]], events: [Event]) {
        var send: [[UInt8]] = []
        var events: [Event] = []
        if payload == Self.initAck {
            gotAck = true
        } else if payload.first == 0xFF {
            guard let parsed = Self.parsePeerInit(payload) else {
                return ([], [.failed("malformed PEER_INIT (\(payload.count) bytes)")])
            }
            events.append(.peerInit(version: parsed.version, uin: parsed.uin, port: parsed.port))
            gotInit = true
            if role == .acceptor {
                guard parsed.version == 6 || parsed.version == 7 || parsed.version == 8 else {
                    return ([], events + [.failed("unsupported TCP version \(parsed.version)")])
                }
                version = parsed.version
                peerUIN = parsed.uin
                send.append(Self.frame(Self.initAck))
                if version >= 7 { send.append(Self.frame(peerInit())) }
            } else {
                send.append(Self.frame(Self.initAck))
            }
        } else if payload.first == 0x03 && payload.count == 33 {
            gotInit2 = true
        } else {
            return ([], [.failed("unexpected frame of \(payload.count) bytes during the handshake")])
        }
        if version >= 7 && gotAck && gotInit && !sentInit2 {
            sentInit2 = true
            send.append(Self.frame(peerInit2()))
        }
        let complete = version >= 7 ? (gotAck && gotInit && gotInit2 && sentInit2) : (role == .initiator ? gotAck : gotInit)
        if complete && !done {
            done = true
            events.append(.established)
        }
        return (send, events)
    }

    // MARK: Packets

    /// PEER_INIT: v6 per licq (LAN IP first), v7/v8 per climm/licq (external IP first), with the
    /// connection id the v7/v8 form adds (0: not a reverse connection).
    func peerInit() -> [UInt8] {
        var w = LEWriter()
        w.u8(0xFF)
        w.u16(version)
        w.u16(version >= 7 ? 0x002B : 0x0027)
        w.u32(peerUIN)
        w.u16(0)
        w.u32(me.listenPort)
        w.u32(me.uin)
        if version >= 7 {
            w.ipv4(me.externalIP)
            w.ipv4(me.lanIP)
        } else {
            w.ipv4(me.lanIP)
            w.ipv4(me.externalIP)
        }
        w.u8(0x04)
        w.u32(me.listenPort)
        w.u32(me.cookie)
        w.u32(0x50)
        w.u32(0x03)
        if version >= 7 { w.u32(0) }
        return w.bytes
    }

    /// PEER_INIT2 as climm sends it: 0x03, 0x0A, 1, direction, 0, 0, then the capability words.
    func peerInit2() -> [UInt8] {
        var w = LEWriter()
        w.u8(0x03)
        w.u32(0x0A)
        w.u32(1)
        w.u32(role == .initiator ? 1 : 0)
        w.u32(0)
        w.u32(0)
        w.u32(role == .initiator ? 0x0004_0001 : 0)
        w.u32(0)
        w.u32(role == .initiator ? 0 : 0x0004_0001)
        return w.bytes
    }

    /// Version, UIN and listening port of a v6+ PEER_INIT (u16 version, non-zero u16 length).
    static func parsePeerInit(_ p: [UInt8]) -> (version: UInt16, uin: UInt32, port: UInt32)? {
        guard p.count >= 19, p[0] == 0xFF else { return nil }
        let version = UInt16(p[1]) | UInt16(p[2]) << 8
        let following = Int(UInt16(p[3]) | UInt16(p[4]) << 8)
        guard following > 0, p.count >= 5 + min(following, 14) else { return nil }
        func u32(_ at: Int) -> UInt32 {
            UInt32(p[at]) | UInt32(p[at + 1]) << 8 | UInt32(p[at + 2]) << 16 | UInt32(p[at + 3]) << 24
        }
        return (version, u32(15), u32(11))
    }

    static func frame(_ payload: [UInt8]) -> [UInt8] {
        [UInt8(payload.count & 0xFF), UInt8(payload.count >> 8)] + payload
    }
}

/// Splits a TCP byte stream into `u16 LE length` frames, refusing frames larger than `limit`.
struct FrameSplitter {
    var buffer: [UInt8] = []
    let limit = 4096

    /// Appends bytes and returns the complete frames; nil when a length exceeds the limit.
    mutating func append(_ bytes: [UInt8]) -> [[UInt8]]? {
        buffer += bytes
        var frames: [[UInt8]] = []
        while buffer.count >= 2 {
            let length = Int(buffer[0]) | Int(buffer[1]) << 8
            guard length <= limit else { return nil }
            guard buffer.count >= 2 + length else { break }
            frames.append(Array(buffer[2..<(2 + length)]))
            buffer.removeFirst(2 + length)
        }
        return frames
    }
}

/// Little-endian writer; IPv4 addresses (a in the top byte) written a, b, c, d.
struct LEWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    mutating func u32(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(v >> UInt32(s) & 0xFF)) } }
    mutating func ipv4(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(v >> UInt32(s) & 0xFF)) } }
}
