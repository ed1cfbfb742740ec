import Bytes

/// What a SOCKS connection's decoder says about the unconsumed bytes of one direction.
public enum SOCKSStep: Equatable, Sendable {
    /// One handshake message; it takes `message.length` bytes.
    case message(SOCKSMessage)
    /// A complete message needs at least this many more bytes of this direction.
    case needMore(Int)
    /// Bytes that sit before the handshake (the "reverse" SOCKS5 preamble); skip them.
    case preamble(Int)
    /// Nothing to decode until the other direction has progressed (the client's bytes after its
    /// request, before the server's reply): keep the bytes and ask again later.
    case awaitPeer
    /// The handshake succeeded: from here on this direction carries the tunnelled connection.
    case tunnel
    /// Bytes after a refused request, after an opaque (e.g. GSSAPI) method, or on the control
    /// connection of a UDP association: not SOCKS, not tunnelled either.
    case unexpectedData
    /// The connection's first bytes are not a SOCKS handshake.
    case notSOCKS
    /// The handshake started as SOCKS, then broke; the offset is relative to the bytes given.
    case malformed(offset: Int, reason: StaticString)

    public static func == (a: SOCKSStep, b: SOCKSStep) -> Bool {
        switch (a, b) {
        case (.message(let x), .message(let y)): x == y
        case (.needMore(let x), .needMore(let y)): x == y
        case (.preamble(let x), .preamble(let y)): x == y
        case (.awaitPeer, .awaitPeer), (.tunnel, .tunnel), (.unexpectedData, .unexpectedData),
            (.notSOCKS, .notSOCKS): true
        case (.malformed(let o1, let r1), .malformed(let o2, let r2)):
            o1 == o2 && r1.description == r2.description
        default: false
        }
    }
}

/// The SOCKS4/4a/5 handshake of one TCP connection, followed in both directions.
///
/// A value type holding a few integers: the caller keeps one per connection and hands it the
/// contiguous, in-order, not yet consumed bytes of one direction at a time (`consume`). Each call
/// decodes at most one message; the caller drops `message.length` bytes and calls again.
/// "Client" and "server" are SOCKS roles: for the reverse SOCKS5 some tools use, the TCP initiator
/// is the SOCKS server (see `SOCKSDetection.reversePreamble`).
public struct SOCKSConnection: Sendable {
    public enum Version: Sendable { case unknown, v4, v5 }

    public enum Status: Sendable, Equatable {
        case negotiating
        /// CONNECT or BIND granted: both directions now carry the tunnelled protocol.
        case tunnel
        /// UDP ASSOCIATE granted: the relay is `udpRelay`; datagrams carry the SOCKS5 UDP header.
        case udpAssociated
        /// The server refused (method, authentication or request); `failureCode` says which code.
        case failed
        /// A method we cannot follow (GSSAPI, private): the rest is opaque.
        case opaque
        case notSOCKS
    }

    enum ClientState: Sendable { case start, afterGreeting, afterAuth, afterRequest }
    enum ServerState: Sendable { case expectSelection, expectAuthReply, expectReply, expectSecondReply, done }

    public private(set) var version: Version = .unknown
    public private(set) var status: Status = .negotiating
    /// The request's command (1 CONNECT, 2 BIND, 3 UDP ASSOCIATE), 0 before it.
    public private(set) var command: UInt8 = 0
    /// The SOCKS5 method the server chose, nil before its selection.
    public private(set) var selectedMethod: UInt8? = nil
    /// The refusing code when `status == .failed` (v5 method 0xFF, RFC 1929 status, REP or v4 CD).
    public private(set) var failureCode: UInt8 = 0
    /// The server answered as a SOCKS server would: the detection is confirmed.
    public private(set) var isConfirmed = false
    /// UDP ASSOCIATE: the relay endpoint from the reply (BND.ADDR 0.0.0.0 means "the SOCKS
    /// server's own address"; the caller substitutes it). Nil address for a domain-name relay.
    public private(set) var udpRelayAddress: IPAddress? = nil
    public private(set) var udpRelayPort: UInt16 = 0
    /// The destination the client asked for (IPv4/IPv6; nil for a domain name) and its port.
    public private(set) var requestedAddress: IPAddress? = nil
    public private(set) var requestedPort: UInt16 = 0

    var clientState: ClientState = .start
    var serverState: ServerState = .expectSelection
    var offeredMethods = MethodSet()
    var serverPreamble: Int

    /// `serverPreamble`: bytes the SOCKS server sends before its first SOCKS message (only the
    /// reverse SOCKS5 form has any).
    public init(serverPreamble: Int = 0) {
        self.serverPreamble = serverPreamble
    }

    /// Decodes the next message of one direction. `bytes` starts at the first unconsumed byte.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer, fromClient: Bool) -> SOCKSStep {
        if status == .notSOCKS { return .notSOCKS }
        return fromClient ? consumeClient(bytes) : consumeServer(bytes)
    }

    // MARK: client → server

    mutating func consumeClient(_ bytes: UnsafeRawBufferPointer) -> SOCKSStep {
        switch clientState {
        case .start:
            guard let first = bytes.first else { return .needMore(1) }
            let parse: SOCKSParse
            switch first {
            case 4: parse = SOCKSParser.v4Request(bytes)
            case 5: parse = SOCKSParser.v5Greeting(bytes)
            default:
                status = .notSOCKS
                return .notSOCKS
            }
            switch parse {
            case .needMore(let n): return .needMore(n)
            case .invalid:
                status = .notSOCKS
                return .notSOCKS
            case .message(let message):
                if message.kind == .v4Request {
                    version = .v4
                    command = message.command
                    requestedAddress = message.isSOCKS4a ? nil : message.address
                    requestedPort = message.port
                    clientState = .afterRequest
                    serverState = .expectReply
                } else {
                    guard Self.plausibleGreeting(message, bytes) else {
                        status = .notSOCKS
                        return .notSOCKS
                    }
                    version = .v5
                    for i in message.methods { offeredMethods.insert(bytes[i]) }
                    clientState = .afterGreeting
                }
                return .message(message)
            }
        case .afterGreeting, .afterAuth:
            guard let first = bytes.first else { return .needMore(1) }
            // The first byte tells the RFC 1929 request (1) from the SOCKS5 request (5), so a
            // client that does not wait for the server's selection is followed too.
            if first == 1 && clientState == .afterGreeting {
                guard offeredMethods.contains(2) else {
                    return .malformed(offset: 0, reason: "SOCKS5 authentication without offering username/password")
                }
                return take(SOCKSParser.v5AuthRequest(bytes)) { $0.clientState = .afterAuth }
            }
            return take(SOCKSParser.v5RequestOrReply(bytes, isReply: false)) { me, message in
                me.command = message.command
                me.requestedAddress = message.address
                me.requestedPort = message.port
                me.clientState = .afterRequest
            }
        case .afterRequest:
            switch status {
            case .tunnel: return .tunnel
            case .negotiating: return bytes.isEmpty ? .needMore(1) : .awaitPeer
            default: return .unexpectedData
            }
        }
    }

    // MARK: server → client

    mutating func consumeServer(_ bytes: UnsafeRawBufferPointer) -> SOCKSStep {
        if serverPreamble > 0 {
            guard bytes.count >= serverPreamble else { return .needMore(serverPreamble - bytes.count) }
            let n = serverPreamble
            serverPreamble = 0
            return .preamble(n)
        }
        if clientState == .start {
            // A SOCKS server never speaks first.
            if bytes.isEmpty { return .awaitPeer }
            status = .notSOCKS
            return .notSOCKS
        }
        switch serverState {
        case .expectSelection:
            return take(SOCKSParser.v5MethodSelection(bytes), confirming: true) { me, message in
                let method = message.code
                guard method == 0xFF || me.offeredMethods.contains(method) else {
                    me.status = .notSOCKS
                    return
                }
                me.selectedMethod = method
                switch method {
                case 0: me.serverState = .expectReply
                case 2: me.serverState = .expectAuthReply
                case 0xFF: me.fail(0xFF)
                default:
                    me.status = .opaque
                    me.serverState = .done
                }
            }
        case .expectAuthReply:
            return take(SOCKSParser.v5AuthReply(bytes)) { me, message in
                if message.code == 0 { me.serverState = .expectReply } else { me.fail(message.code) }
            }
        case .expectReply, .expectSecondReply:
            if clientState != .afterRequest { return bytes.isEmpty ? .needMore(1) : .awaitPeer }
            let parse = version == .v4 ? SOCKSParser.v4Reply(bytes) : SOCKSParser.v5RequestOrReply(bytes, isReply: true)
            return take(parse, confirming: version == .v4) { me, message in
                me.acceptReply(message)
            }
        case .done:
            if bytes.isEmpty { return .needMore(1) }
            return status == .tunnel ? .tunnel : .unexpectedData
        }
    }

    mutating func acceptReply(_ message: SOCKSMessage) {
        guard message.isSuccessReply else {
            fail(message.code)
            return
        }
        if serverState == .expectReply && command == 2 {
            // BIND: a second reply follows when the remote host connects.
            serverState = .expectSecondReply
            return
        }
        serverState = .done
        if command == 3 {
            status = .udpAssociated
            udpRelayAddress = message.address
            udpRelayPort = message.port
        } else {
            status = .tunnel
        }
    }

    mutating func fail(_ code: UInt8) {
        status = .failed
        failureCode = code
        serverState = .done
    }

    /// Turns a parse into a step, applying `update` to a complete message. A server's first
    /// message (`confirming`) that does not parse means the connection was not SOCKS after all.
    mutating func take(
        _ parse: SOCKSParse, confirming: Bool = false, _ update: (inout SOCKSConnection, SOCKSMessage) -> Void
    ) -> SOCKSStep {
        switch parse {
        case .needMore(let n): return .needMore(n)
        case .invalid(let offset, let reason):
            if confirming && !isConfirmed {
                status = .notSOCKS
                return .notSOCKS
            }
            return .malformed(offset: offset, reason: reason)
        case .message(let message):
            update(&self, message)
            if status == .notSOCKS { return .notSOCKS }
            if confirming { isConfirmed = true }
            return .message(message)
        }
    }

    mutating func take(_ parse: SOCKSParse, _ update: (inout SOCKSConnection) -> Void) -> SOCKSStep {
        take(parse) { me, _ in update(&me) }
    }

    /// Methods a real client offers: the defined ones (0x00...0x09) and the private range.
    /// "Any bytes starting with 05" is not enough to call a stream SOCKS on an arbitrary port.
    static func plausibleGreeting(_ message: SOCKSMessage, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard message.methods.count <= 32 else { return false }
        for i in message.methods {
            let m = bytes[i]
            if m > 0x09 && !(0x80...0xFE).contains(m) { return false }
        }
        return true
    }
}

/// A set of the 256 possible method bytes, by value.
struct MethodSet: Sendable {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    mutating func insert(_ m: UInt8) {
        let bit = UInt64(1) << UInt64(m & 63)
        switch m >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    func contains(_ m: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(m & 63)
        switch m >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }
}
