import Bytes

/// Result of reading one SOCKS message from the start of a direction's unconsumed bytes.
public enum SOCKSParse: Equatable, Sendable {
    case message(SOCKSMessage)
    /// The message is not complete: at least this many more bytes are needed.
    case needMore(Int)
    /// The bytes are not the expected message; `offset` is relative to the message start.
    case invalid(offset: Int, reason: StaticString)

    public static func == (a: SOCKSParse, b: SOCKSParse) -> Bool {
        switch (a, b) {
        case (.message(let x), .message(let y)): x == y
        case (.needMore(let x), .needMore(let y)): x == y
        case (.invalid(let o1, let r1), .invalid(let o2, let r2)):
            o1 == o2 && r1.description == r2.description
        default: false
        }
    }
}

/// Stateless readers, one per SOCKS message. Each reads from offset 0 of `bytes`, checks every
/// length before use, and never reads past `bytes.count`.
public enum SOCKSParser {
    /// Longest SOCKS4 USERID or SOCKS4a host name accepted. The protocol sets no limit; real ones
    /// are short, and a cap keeps a non-SOCKS stream from being held while we look for a NUL.
    public static let maximumV4StringLength = 255

    // MARK: SOCKS4 / 4a

    public static func v4Request(_ bytes: UnsafeRawBufferPointer) -> SOCKSParse {
        guard bytes.count >= 1 else { return .needMore(1) }
        guard bytes[0] == 4 else { return .invalid(offset: 0, reason: "not SOCKS version 4") }
        guard bytes.count >= 2 else { return .needMore(1) }
        guard bytes[1] == 1 || bytes[1] == 2 else { return .invalid(offset: 1, reason: "SOCKS4 command not CONNECT or BIND") }
        guard bytes.count >= 9 else { return .needMore(9 - bytes.count) }
        var message = SOCKSMessage(kind: .v4Request, length: 0, versionByte: 4)
        message.command = bytes[1]
        message.port = bytes.u16BE(at: 2)
        message.address = .ipv4(bytes, at: 4)
        let userIDEnd: Int
        switch nulTerminated(bytes, from: 8) {
        case .found(let end): userIDEnd = end
        case .needMore: return .needMore(1)
        case .tooLong: return .invalid(offset: 8, reason: "SOCKS4 user id not terminated")
        }
        message.userID = 8..<userIDEnd
        var end = userIDEnd + 1
        if message.isSOCKS4a {
            switch nulTerminated(bytes, from: end) {
            case .found(let nameEnd):
                guard nameEnd > end else { return .invalid(offset: end, reason: "SOCKS4a host name empty") }
                message.domain = end..<nameEnd
                end = nameEnd + 1
            case .needMore: return .needMore(1)
            case .tooLong: return .invalid(offset: end, reason: "SOCKS4a host name not terminated")
            }
        }
        message.length = end
        return .message(message)
    }

    public static func v4Reply(_ bytes: UnsafeRawBufferPointer) -> SOCKSParse {
        guard bytes.count >= 1 else { return .needMore(1) }
        guard bytes[0] == 0 else { return .invalid(offset: 0, reason: "SOCKS4 reply version not 0") }
        guard bytes.count >= 2 else { return .needMore(1) }
        guard (0x5A...0x5D).contains(bytes[1]) else { return .invalid(offset: 1, reason: "SOCKS4 reply code not 90..93") }
        guard bytes.count >= 8 else { return .needMore(8 - bytes.count) }
        var message = SOCKSMessage(kind: .v4Reply, length: 8, versionByte: 0)
        message.code = bytes[1]
        message.port = bytes.u16BE(at: 2)
        message.address = .ipv4(bytes, at: 4)
        return .message(message)
    }

    // MARK: SOCKS5 (RFC 1928) and RFC 1929

    public static func v5Greeting(_ bytes: UnsafeRawBufferPointer) -> SOCKSParse {
        guard bytes.count >= 1 else { return .needMore(1) }
        guard bytes[0] == 5 else { return .invalid(offset: 0, reason: "not SOCKS version 5") }
        guard bytes.count >= 2 else { return .needMore(1) }
        let count = Int(bytes[1])
        guard count > 0 else { return .invalid(offset: 1, reason: "SOCKS5 greeting offers no method") }
        guard bytes.count >= 2 + count else { return .needMore(2 + count - bytes.count) }
        var message = SOCKSMessage(kind: .v5Greeting, length: 2 + count, versionByte: 5)
        message.methods = 2..<(2 + count)
        return .message(message)
    }

    public static func v5MethodSelection(_ bytes: UnsafeRawBufferPointer) -> SOCKSParse {
        guard bytes.count >= 1 else { return .needMore(1) }
        guard bytes[0] == 5 else { return .invalid(offset: 0, reason: "SOCKS5 method selection version not 5") }
        guard bytes.count >= 2 else { return .needMore(1) }
        var message = SOCKSMessage(kind: .v5MethodSelection, length: 2, versionByte: 5)
        message.code = bytes[1]
        return .message(message)
    }

    public static func v5AuthRequest(_ bytes: UnsafeRawBufferPointer) -> SOCKSParse {
        guard bytes.count >= 1 else { return .needMore(1) }
        guard bytes[0] == 1 else { return .invalid(offset: 0, reason: "RFC 1929 sub-negotiation version not 1") }
        guard bytes.count >= 2 else { return .needMore(1) }
        let userLength = Int(bytes[1])
        guard bytes.count >= 3 + userLength else { return .needMore(3 + userLength - bytes.count) }
        let passwordLength = Int(bytes[2 + userLength])
        let total = 3 + userLength + passwordLength
        guard bytes.count >= total else { return .needMore(total - bytes.count) }
        var message = SOCKSMessage(kind: .v5AuthRequest, length: total, versionByte: 1)
        message.username = 2..<(2 + userLength)
        message.password = (3 + userLength)..<total
        return .message(message)
    }

    public static func v5AuthReply(_ bytes: UnsafeRawBufferPointer) -> SOCKSParse {
        guard bytes.count >= 1 else { return .needMore(1) }
        guard bytes[0] == 1 else { return .invalid(offset: 0, reason: "RFC 1929 reply version not 1") }
        guard bytes.count >= 2 else { return .needMore(1) }
        var message = SOCKSMessage(kind: .v5AuthReply, length: 2, versionByte: 1)
        message.code = bytes[1]
        return .message(message)
    }

    /// A request (`isReply` false: the second byte is CMD 1...3) or a reply (REP).
    public static func v5RequestOrReply(_ bytes: UnsafeRawBufferPointer, isReply: Bool) -> SOCKSParse {
        guard bytes.count >= 1 else { return .needMore(1) }
        guard bytes[0] == 5 else {
            return .invalid(offset: 0, reason: isReply ? "SOCKS5 reply version not 5" : "SOCKS5 request version not 5")
        }
        guard bytes.count >= 2 else { return .needMore(1) }
        if !isReply && !(1...3).contains(bytes[1]) {
            return .invalid(offset: 1, reason: "SOCKS5 command not CONNECT, BIND or UDP ASSOCIATE")
        }
        guard bytes.count >= 4 else { return .needMore(4 - bytes.count) }
        guard bytes[2] == 0 else { return .invalid(offset: 2, reason: "SOCKS5 reserved byte not 0") }
        var message = SOCKSMessage(kind: isReply ? .v5Reply : .v5Request, length: 0, versionByte: 5)
        if isReply { message.code = bytes[1] } else { message.command = bytes[1] }
        switch readAddress(bytes, at: 3) {
        case .address(let type, let address, let domain, let end):
            message.addressType = type
            message.address = address
            message.domain = domain
            message.port = bytes.u16BE(at: end - 2)
            message.length = end
            return .message(message)
        case .needMore(let n): return .needMore(n)
        case .invalid(let offset, let reason): return .invalid(offset: offset, reason: reason)
        }
    }

    // MARK: shared pieces

    enum AddressRead {
        /// `end` is the offset after DST.PORT.
        case address(type: UInt8, address: IPAddress?, domain: Range<Int>, end: Int)
        case needMore(Int)
        case invalid(Int, StaticString)
    }

    /// ATYP, DST.ADDR and DST.PORT at `offset` (the form used by requests, replies and the UDP header).
    static func readAddress(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> AddressRead {
        guard bytes.count > offset else { return .needMore(offset + 1 - bytes.count) }
        let type = bytes[offset]
        switch type {
        case 1:
            let end = offset + 1 + 4 + 2
            guard bytes.count >= end else { return .needMore(end - bytes.count) }
            return .address(type: 1, address: .ipv4(bytes, at: offset + 1), domain: 0..<0, end: end)
        case 4:
            let end = offset + 1 + 16 + 2
            guard bytes.count >= end else { return .needMore(end - bytes.count) }
            return .address(type: 4, address: .ipv6(bytes, at: offset + 1), domain: 0..<0, end: end)
        case 3:
            guard bytes.count > offset + 1 else { return .needMore(offset + 2 - bytes.count) }
            let nameLength = Int(bytes[offset + 1])
            let end = offset + 2 + nameLength + 2
            guard bytes.count >= end else { return .needMore(end - bytes.count) }
            return .address(type: 3, address: nil, domain: (offset + 2)..<(offset + 2 + nameLength), end: end)
        default:
            return .invalid(offset, "SOCKS5 address type not 1, 3 or 4")
        }
    }

    enum NulSearch { case found(Int), needMore, tooLong }

    static func nulTerminated(_ bytes: UnsafeRawBufferPointer, from start: Int) -> NulSearch {
        let limit = min(bytes.count, start + maximumV4StringLength + 1)
        var i = start
        while i < limit {
            if bytes[i] == 0 { return .found(i) }
            i += 1
        }
        return bytes.count >= start + maximumV4StringLength + 1 ? .tooLong : .needMore
    }
}
