import Bytes

/// One decoded frame of a direct connection.
public struct PeerPDU: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        case initPacket(PeerInit)
        /// PEER_INIT_ACK (`01 00 00 00`).
        case initAck
        case init2(PeerInit2)
        case message(PeerMessage)
        case file(PeerFilePacket)
        /// Chat set-up packets (first u32 0x64 or 0x65); their inner layout is single-source.
        case chatSetup
        /// Unframed chat bytes after set-up; the PDU takes all the bytes given.
        case chatData
    }

    public var content: Content
    /// Bytes taken from the stream, including the 2-byte length (except `chatData`).
    public var length: Int
    /// Where the message's ranges point: true = `PeerScratch.plaintext`, false = the frame
    /// payload (the bytes given, from offset 2).
    public var isDecrypted: Bool
}

/// What the peer decoder says about the unconsumed bytes of one direction.
public enum PeerStep: Sendable, Equatable {
    case pdu(PeerPDU)
    case needMore(Int)
    /// The responder's bytes arrived before the initiator's PEER_INIT: ask again later.
    case awaitPeer
    case notPeer
    case malformed(offset: Int, reason: StaticString)

    public static func == (a: PeerStep, b: PeerStep) -> Bool {
        switch (a, b) {
        case (.pdu(let x), .pdu(let y)): x == y
        case (.needMore(let x), .needMore(let y)): x == y
        case (.awaitPeer, .awaitPeer), (.notPeer, .notPeer): true
        case (.malformed(let o1, let r1), .malformed(let o2, let r2)): o1 == o2 && r1.description == r2.description
        default: false
        }
    }
}

/// The ICQ direct connection (peer-to-peer, TCP v2–v8) of one TCP connection, followed in both
/// directions: the PEER_INIT handshake, then messages, or a file-transfer or chat sub-connection.
///
/// A value type of a few integers. The caller hands it the contiguous, in-order, unconsumed bytes
/// of one direction (`consume`), drops `pdu.length` bytes after each PDU and calls again.
/// Encrypted messages are decrypted into the caller's `PeerScratch` (allocated once).
public struct PeerConnection: Sendable {
    public enum Kind: Sendable, Equatable { case unknown, messages, fileTransfer, chat }

    public private(set) var version: UInt16 = 0
    public private(set) var kind: Kind = .unknown
    /// The initiator's PEER_INIT was seen and fits the protocol.
    public private(set) var isConfirmed = false
    /// File transfer: file bytes carried by data packets so far, both directions.
    public private(set) var fileBytesCarried: UInt64 = 0
    public private(set) var pduCount: UInt64 = 0
    var failed = false

    public init() {}

    /// Largest frame payload: the length field is 16 bits.
    public static let maximumFrame = 0xFFFF

    public mutating func consume(
        _ bytes: UnsafeRawBufferPointer, fromInitiator: Bool, scratch: PeerScratch
    ) -> PeerStep {
        if failed { return .notPeer }
        if kind == .chat && chatSetupDone(fromInitiator) {
            guard !bytes.isEmpty else { return .needMore(1) }
            return .pdu(PeerPDU(content: .chatData, length: bytes.count, isDecrypted: false))
        }
        guard bytes.count >= 2 else { return .needMore(2 - bytes.count) }
        let length = Int(bytes.u16LE(at: 0))
        if !isConfirmed {
            // Detection by content: the initiator's first frame must be a PEER_INIT of a fitting length.
            guard fromInitiator else { return .awaitPeer }
            guard length >= PeerInit.oldFormLength, length <= 52 else { return notPeer() }
            if bytes.count >= 3 && bytes[2] != 0xFF { return notPeer() }
        }
        guard length > 0 else { return .malformed(offset: 0, reason: "peer frame length 0") }
        guard bytes.count >= 2 + length else { return .needMore(2 + length - bytes.count) }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[2..<(2 + length)])
        let result = decodeFrame(payload, fromInitiator: fromInitiator, scratch: scratch)
        if case .pdu = result { pduCount += 1 }
        return result
    }

    mutating func notPeer() -> PeerStep {
        failed = true
        return .notPeer
    }

    var chatSetupSeen: (initiator: Bool, responder: Bool) = (false, false)

    func chatSetupDone(_ fromInitiator: Bool) -> Bool {
        fromInitiator ? chatSetupSeen.initiator : chatSetupSeen.responder
    }

    mutating func decodeFrame(_ p: UnsafeRawBufferPointer, fromInitiator: Bool, scratch: PeerScratch) -> PeerStep {
        let frameLength = p.count + 2
        func pdu(_ content: PeerPDU.Content, decrypted: Bool = false) -> PeerStep {
            .pdu(PeerPDU(content: content, length: frameLength, isDecrypted: decrypted))
        }
        let first = p[0]
        // Handshake packets are recognised in every state: each side sends its own PEER_INIT.
        if first == 0xFF {
            guard let initPacket = PeerInit.parse(p), PeerInit.plausibleLength(p.count, version: initPacket.version) else {
                if !isConfirmed { return notPeer() }
                return .malformed(offset: 2, reason: "PEER_INIT with unknown version or length")
            }
            if !isConfirmed {
                isConfirmed = true
                version = initPacket.version
            }
            return pdu(.initPacket(initPacket))
        }
        if p.count == 4 && first == 0x01 && p.u32LE(at: 0) == 1 { return pdu(.initAck) }
        if version >= 7, let init2 = PeerInit2.parse(p) { return pdu(.init2(init2)) }

        if kind == .unknown {
            if PeerFilePacket.looksLikeInitialize(p) {
                kind = .fileTransfer
            } else if p.count >= 4 && (p.u32LE(at: 0) == 0x64 || p.u32LE(at: 0) == 0x65) && version <= 6 {
                kind = .chat
            } else {
                kind = .messages
            }
        }
        switch kind {
        case .fileTransfer:
            switch PeerFilePacket.parse(p) {
            case .packet(let packet):
                if packet.opcode == .data { fileBytesCarried += UInt64(packet.dataLength) }
                return pdu(.file(packet))
            case .invalid(let offset, let reason): return .malformed(offset: offset + 2, reason: reason)
            }
        case .chat:
            if fromInitiator { chatSetupSeen.initiator = true } else { chatSetupSeen.responder = true }
            return pdu(.chatSetup)
        case .messages, .unknown:
            return decodeMessage(p, frameLength: frameLength, scratch: scratch)
        }
    }

    func decodeMessage(_ p: UnsafeRawBufferPointer, frameLength: Int, scratch: PeerScratch) -> PeerStep {
        switch version {
        case 2, 3:
            switch PeerMessage.parseV2(p, version: version) {
            case .message(let m): return .pdu(PeerPDU(content: .message(m), length: frameLength, isDecrypted: false))
            case .invalid(let offset, let reason): return .malformed(offset: offset + 2, reason: reason)
            }
        case 4, 5, 6:
            return decrypted(p, skip: 0, frameLength: frameLength, scratch: scratch)
        default:
            guard p[0] == 0x02 else { return .malformed(offset: 2, reason: "peer frame is not PEER_MSG (0x02)") }
            return decrypted(UnsafeRawBufferPointer(rebasing: p[1...]), skip: 1, frameLength: frameLength, scratch: scratch)
        }
    }

    func decrypted(_ region: UnsafeRawBufferPointer, skip: Int, frameLength: Int, scratch: PeerScratch) -> PeerStep {
        guard let result = PeerCipher.decrypt(region, version: version, into: scratch) else {
            return .malformed(offset: 2 + skip, reason: "peer message too short for its check code")
        }
        let plain = scratch.plaintext(count: region.count)
        let parse = version <= 5 ? PeerMessage.parseV2(plain, version: version) : PeerMessage.parseV6(plain, version: version)
        switch parse {
        case .message(var m):
            m.checkcode = result.check
            m.checkValid = result.isValid
            return .pdu(PeerPDU(content: .message(m), length: frameLength, isDecrypted: true))
        case .invalid(let offset, let reason):
            if !result.isValid { return .malformed(offset: 2 + skip, reason: "peer message does not decrypt (check code fails)") }
            return .malformed(offset: offset + 2 + skip, reason: reason)
        }
    }
}
