import Bytes

/// The SOCKS5 UDP request header (RFC 1928 §7) in front of every datagram relayed through a UDP
/// association, in both directions. Client → relay: DST is the real destination (the ICQ server);
/// relay → client: DST is the datagram's real source. The datagram inside is `inner`.
public struct SOCKSUDPHeader: Sendable, Equatable {
    /// 0 for a standalone datagram; 1...127 is a fragment position, high bit = last fragment.
    public var fragment: UInt8
    public var addressType: UInt8
    /// IPv4/IPv6 destination; nil for a domain name.
    public var address: IPAddress?
    /// Domain name bytes, as a range of the datagram.
    public var domain: Range<Int>
    public var port: UInt16
    /// Header length: 10 for IPv4, 22 for IPv6, 7 + name length for a domain.
    public var headerLength: Int
    /// The datagram inside, as a range of the bytes given to `parse`.
    public var inner: Range<Int>

    public enum Parse: Equatable, Sendable {
        case header(SOCKSUDPHeader)
        case invalid(offset: Int, reason: StaticString)

        public static func == (a: Parse, b: Parse) -> Bool {
            switch (a, b) {
            case (.header(let x), .header(let y)): x == y
            case (.invalid(let o1, let r1), .invalid(let o2, let r2)): o1 == o2 && r1.description == r2.description
            default: false
            }
        }
    }

    /// Reads the header from a UDP payload exchanged with a known relay endpoint. (The header has
    /// no magic of its own beyond RSV = 0, so it is only looked for on an association's relay.)
    public static func parse(_ datagram: UnsafeRawBufferPointer) -> Parse {
        guard datagram.count >= 4 else { return .invalid(offset: datagram.count, reason: "SOCKS5 UDP header truncated") }
        guard datagram[0] == 0 && datagram[1] == 0 else {
            return .invalid(offset: 0, reason: "SOCKS5 UDP header reserved bytes not 0")
        }
        switch SOCKSParser.readAddress(datagram, at: 3) {
        case .address(let type, let address, let domain, let end):
            let header = SOCKSUDPHeader(
                fragment: datagram[2], addressType: type, address: address, domain: domain,
                port: datagram.u16BE(at: end - 2), headerLength: end, inner: end..<datagram.count)
            return .header(header)
        case .needMore:
            return .invalid(offset: datagram.count, reason: "SOCKS5 UDP header truncated")
        case .invalid(let offset, let reason):
            return .invalid(offset: offset, reason: reason)
        }
    }
}

/// Detection helpers for SOCKS on arbitrary ports.
public enum SOCKSDetection {
    /// Longest preamble accepted before a reverse SOCKS5 handshake.
    public static let maximumReversePreamble = 16

    /// The "reverse" SOCKS5 some tunnelling tools use (Arkime's socks5-reverse sample): the TCP
    /// *initiator* is the SOCKS server; it first sends a short preamble, the responder then sends
    /// a SOCKS5 greeting (and request), and the initiator answers with the selection and reply.
    ///
    /// Returns the preamble length when all of this holds: the responder's first bytes are a
    /// complete plausible greeting; the initiator's bytes are not themselves a SOCKS handshake; at
    /// some offset p ≤ 16 of the initiator's bytes sits a selection of an offered method; and, for
    /// method 0, a well-formed SOCKS5 reply follows it. The smallest such p is returned. Anything
    /// short of that is not called SOCKS: the preamble's meaning is unknown, so only this much is
    /// sound.
    public static func reversePreamble(
        initiatorBytes: UnsafeRawBufferPointer, responderBytes: UnsafeRawBufferPointer
    ) -> Int? {
        guard case .message(let greeting) = SOCKSParser.v5Greeting(responderBytes),
            SOCKSConnection.plausibleGreeting(greeting, responderBytes)
        else { return nil }
        var offered = MethodSet()
        for i in greeting.methods { offered.insert(responderBytes[i]) }
        if let first = initiatorBytes.first, first == 4 || first == 5 { return nil }
        let last = min(maximumReversePreamble, initiatorBytes.count - 2)
        guard last >= 1 else { return nil }
        for p in 1...last where initiatorBytes[p] == 5 {
            let method = initiatorBytes[p + 1]
            guard offered.contains(method) else { continue }
            if method == 0 {
                let rest = UnsafeRawBufferPointer(rebasing: initiatorBytes[(p + 2)...])
                guard case .message = SOCKSParser.v5RequestOrReply(rest, isReply: true) else { continue }
            }
            return p
        }
        return nil
    }
}
