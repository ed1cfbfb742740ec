import Bytes

/// What an ICMP error's quote of a UDP datagram shows of classic ICQ (OUTPUT.md: `icmp.quoted.icq.*`).
/// The quote is evidence about a packet already seen (or lost), never a packet of its own: it is
/// not counted as ICQ and never reaches the session tracker.
public enum QuotedICQ {
    case none
    /// The whole datagram was quoted and decodes as ICQ (Linux quotes up to 576 bytes in all).
    case packet(ICQPacket)
    /// Only the header could be read: the quote stops inside the body (RFC 792 asks for just
    /// 8 bytes after the IP header), or the datagram was damaged after its header.
    case header(ICQHeader)

    public var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    public var header: ICQHeader? {
        switch self {
        case .none: nil
        case .packet(let p): p.header
        case .header(let h): h
        }
    }
}

extension ICQDecoder {
    /// Decodes the UDP payload an ICMP error quotes, as far as it goes. `wireLength` is the
    /// payload's length as the quoted UDP header states it; `quote` may be shorter.
    /// The packet returned may point into the decoder's scratch buffer until its next call.
    public func decodeQuoted(_ quote: UnsafeRawBufferPointer, wireLength: Int, sourcePort: UInt16,
                             destinationPort: UInt16) -> QuotedICQ {
        if quote.count >= wireLength {
            let whole = UnsafeRawBufferPointer(rebasing: quote[0..<wireLength])
            switch classify(whole, sourcePort: sourcePort, destinationPort: destinationPort) {
            case .icq(let p): return .packet(p)
            case .malformed(_, let header?): return .header(header)
            default: return .none
            }
        }
        // Cut short: only the header, and only where a server port says which form it is (the
        // v5 client checkcode, the evidence off the server ports, needs the whole datagram).
        let fromServer = isServerPort(sourcePort)
        guard fromServer || isServerPort(destinationPort), quote.count >= 2 else { return .none }
        let direction: ICQDirection = fromServer == isServerPort(destinationPort)
            ? Self.guessDirection(quote) : (fromServer ? .serverToClient : .clientToServer)
        let version = quote.u16LE(at: 0)
        if version == 5 && direction == .clientToServer {
            return quotedV5ClientHeader(quote, wireLength: wireLength).map { .header($0) } ?? .none
        }
        guard version == 2 || version == 3 || version == 5 else { return .none }  // v4 clients: whole datagrams only
        switch Self.decodePlain(quote, version: UInt8(version), direction: direction) {
        case .icq(let p): return .header(p.header)
        case .malformed(_, let header?): return .header(header)
        default: break
        }
        // decodePlain reads no header when the body is cut: read it here once it fits.
        guard let length = ICQHeaderLayout.length(version: UInt8(version), direction: direction), quote.count >= length,
              version != 5 || quote[2] == 0 else { return .none }
        let header = ICQHeaderLayout.read(quote, version: UInt8(version), direction: direction)
        return header.commandName == nil ? .none : .header(header)
    }

    /// A v5 client header from a quote cut short: the key is made from the length on the wire,
    /// so the quoted prefix decrypts although the checkcode cannot be verified without the rest.
    private func quotedV5ClientHeader(_ quote: UnsafeRawBufferPointer, wireLength: Int) -> ICQHeader? {
        guard Self.hasV5ClientShape(quote), quote.count <= scratch.count else { return nil }
        let checkcode = ICQV5Cipher.unscramble(quote.u32LE(at: ICQV5Cipher.clientCheckcodeOffset))
        let target = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<quote.count])
        target.copyMemory(from: quote)
        ICQV5Cipher.xorPass(target, key: ICQV5Cipher.key(checkcode: checkcode, length: wireLength))
        var header = ICQHeaderLayout.read(UnsafeRawBufferPointer(target), version: 5, direction: .clientToServer)
        header.checkcode = quote.u32LE(at: ICQV5Cipher.clientCheckcodeOffset)
        return header.commandName == nil ? nil : header
    }
}
