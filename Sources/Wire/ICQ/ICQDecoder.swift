import Bytes

/// Classifies UDP payloads as classic ICQ (v2–v5) by their structure and decodes them.
///
/// Rules (issue 4, docs/protocol.md#identification):
/// - On a configured ICQ server port (default 4000, more with `--icq-port`), a datagram is ICQ
///   when its version, lengths and command code fit; a v5 client packet must also have a valid
///   checkcode. One that fits but fails the checkcode is `.malformed(reason "checkcode")`. A
///   datagram with a fitting version that is too short for its header is `.malformed`
///   ("truncated_header") unless a readable command code already shows it is not ICQ.
/// - On any other port only a v5 client packet with a valid checkcode counts. The server's
///   packets of such a flow are recognised by the flow tracker, which then calls
///   `decode(_:direction:)` with the direction it knows.
///
/// Direction comes from the ports (the server side uses a server port); when both or neither
/// port is a server port, from the bytes (v5: the u32 at offset 2 is zero in client packets,
/// Wireshark's test).
///
/// One decoder owns one scratch buffer, allocated once, into which v5 client and v4 packets are
/// decrypted; a decoded packet's `bytes` may point into it until the next call. Decoding does not
/// allocate. Not thread-safe: use one decoder per thread.
public final class ICQDecoder {
    public static let defaultServerPorts: [UInt16] = [4000]
    /// Larger than any UDP payload (65 507 bytes over IPv4).
    public static let scratchCapacity = 65_536

    public var serverPorts: [UInt16]
    let scratch: UnsafeMutableRawBufferPointer

    public init(serverPorts: [UInt16] = ICQDecoder.defaultServerPorts) {
        self.serverPorts = serverPorts
        scratch = .allocate(byteCount: Self.scratchCapacity, alignment: 8)
        scratch.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { scratch.deallocate() }

    /// An index loop: `Array.contains` is not specialised in debug builds and allocates there.
    public func isServerPort(_ port: UInt16) -> Bool {
        var i = 0
        while i < serverPorts.count {
            if serverPorts[i] == port { return true }
            i += 1
        }
        return false
    }

    /// Classifies one UDP payload by its ports and structure.
    public func classify(
        _ payload: UnsafeRawBufferPointer, sourcePort: UInt16, destinationPort: UInt16
    ) -> ICQClassification {
        let fromServer = isServerPort(sourcePort)
        let toServer = isServerPort(destinationPort)
        if fromServer != toServer {
            return decode(payload, direction: toServer ? .clientToServer : .serverToClient)
        }
        if fromServer {
            return decode(payload, direction: Self.guessDirection(payload))
        }
        // Neither side is a known server port: only the v5 client checkcode is evidence enough.
        guard Self.hasV5ClientShape(payload) else { return .notICQ }
        let (result, checkcodeValid) = decodeV5Client(payload)
        return checkcodeValid ? result : .notICQ
    }

    /// Decodes a payload whose direction is known (the flow is already known to be ICQ, or the
    /// ports said so). Applies the structural rules of a server port.
    public func decode(_ payload: UnsafeRawBufferPointer, direction: ICQDirection) -> ICQClassification {
        guard payload.count >= 2 else { return Self.truncatedHeader(payload, header: nil) }
        let version = payload.u16LE(at: 0)
        guard version >= 2 && version <= 5 else { return .notICQ }
        switch (version, direction) {
        case (5, .clientToServer): return decodeV5Client(payload).result
        case (4, .clientToServer): return decodeV4Client(payload)
        case (4, .serverToClient): return .notICQ  // servers answer v4 clients with v3 headers
        default: return Self.decodePlain(payload, version: UInt8(version), direction: direction)
        }
    }

    /// Decodes each packet inside a SRV_MULTI_PACKET like a standalone server packet, in wire
    /// order. `index` counts from 0. Offsets of malformations are relative to the outer packet.
    public static func forEachInnerPacket(
        of packet: ICQPacket, _ visit: (_ index: Int, _ inner: ICQClassification) -> Void
    ) {
        guard case .multi(let multi) = packet.body else { return }
        let bytes = packet.bytes
        var at = multi.firstEntryOffset
        for index in 0..<multi.count {
            // The body decoder checked that every entry fits.
            let length = Int(bytes.u16LE(at: at))
            let start = at + 2
            let inner = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
            var result = inner.count >= 2 && inner.u16LE(at: 0) == 5
                ? decodePlain(inner, version: 5, direction: .serverToClient)
                : .malformed(Malformation(.icq, at: 0, "multi_packet_entry"), header: nil)
            if case .notICQ = result {
                result = .malformed(Malformation(.icq, at: 0, "multi_packet_entry"), header: nil)
            }
            if case .malformed(var m, let header) = result {
                m.offset += start
                result = .malformed(m, header: header)
            }
            visit(index, result)
            at = start + length
        }
    }

    // MARK: Forms

    /// v2, v3 and v5 server packets: never obfuscated, decoded in place.
    static func decodePlain(
        _ payload: UnsafeRawBufferPointer, version: UInt8, direction: ICQDirection
    ) -> ICQClassification {
        guard let headerLength = ICQHeaderLayout.length(version: version, direction: direction) else {
            return .notICQ
        }
        // A v5 server header has a single zero byte after the version.
        if version == 5, payload.count >= 3, payload[2] != 0 { return .notICQ }
        let commandOffset = ICQHeaderLayout.commandOffset(version: version, direction: direction)
        guard payload.count >= commandOffset + 2 else { return truncatedHeader(payload, header: nil) }
        let command = payload.u16LE(at: commandOffset)
        guard ICQCommandNames.name(command, direction: direction, version: version) != nil else {
            return .notICQ
        }
        guard payload.count >= headerLength else { return truncatedHeader(payload, header: nil) }
        let header = ICQHeaderLayout.read(payload, version: version, direction: direction)
        // v3's checkcode (public ICQ 98 betas) uses a table nobody has published, and ICQ
        // Groupware sends 0 there (docs/protocol.md#v3-v4): it is reported, not validated.
        var checkcodeValid: Bool? = nil
        if version == 5, let checkcode = header.checkcode {
            // docs/protocol.md#v5-server-checkcode: same formula as the client's, not scrambled;
            // informational only.
            checkcodeValid = ICQV5Cipher.isValid(
                checkcode: checkcode, plaintext: payload, checkcodeOffset: ICQV5Cipher.serverCheckcodeOffset)
        }
        return finish(header, payload, checkcodeValid: checkcodeValid, plainCheckcode: nil, key: nil)
    }

    /// v5 client packets: decrypt into the scratch buffer, validate the checkcode, decode.
    /// Also says whether the checkcode validated (the evidence used off the server ports).
    func decodeV5Client(_ payload: UnsafeRawBufferPointer) -> (result: ICQClassification, checkcodeValid: Bool) {
        let count = payload.count
        // VERSION(05 00) then four zero bytes: any non-zero byte there says "not this form".
        var i = 2
        while i < min(count, 6) {
            if payload[i] != 0 { return (.notICQ, false) }
            i += 1
        }
        guard count >= 24 else { return (Self.truncatedHeader(payload, header: nil), false) }
        guard count <= scratch.count else { return (.notICQ, false) }
        let (checkcode, key) = ICQV5Cipher.decryptClient(payload, into: scratch)
        let plain = UnsafeRawBufferPointer(rebasing: scratch[0..<count])
        var header = ICQHeaderLayout.read(plain, version: 5, direction: .clientToServer)
        header.checkcode = payload.u32LE(at: ICQV5Cipher.clientCheckcodeOffset)
        let valid = ICQV5Cipher.isValid(
            checkcode: checkcode, plaintext: plain, checkcodeOffset: ICQV5Cipher.clientCheckcodeOffset)
        guard valid else {
            // Fits in every way but the checkcode: damaged ICQ. A failed checkcode and an unknown
            // command together are just bytes that happen to start with 05 00 00 00 00 00.
            guard header.commandName != nil else { return (.notICQ, false) }
            return (.malformed(Malformation(.icq, at: ICQV5Cipher.clientCheckcodeOffset, "checkcode"), header: header), false)
        }
        return (Self.finish(header, plain, checkcodeValid: true, plainCheckcode: checkcode, key: key), true)
    }

    /// v4 client packets: undo the partial obfuscation into the scratch buffer
    /// (docs/protocol.md#v3-v4; the algorithm is not verified against a real v4 capture).
    func decodeV4Client(_ payload: UnsafeRawBufferPointer) -> ICQClassification {
        let count = payload.count
        guard count >= ICQV4Cipher.headerLength else { return Self.truncatedHeader(payload, header: nil) }
        guard count <= scratch.count else { return .notICQ }
        let plain = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<count])
        plain.copyMemory(from: payload)
        let checkcode = ICQV4Cipher.decrypt(plain)
        let bytes = UnsafeRawBufferPointer(plain)
        guard bytes.u16LE(at: 4) == 0 else { return .notICQ }  // the ZERO field
        let header = ICQHeaderLayout.read(bytes, version: 4, direction: .clientToServer)
        guard header.commandName != nil else { return .notICQ }
        let valid = ICQV5Cipher.isValid(
            checkcode: checkcode, plaintext: bytes, checkcodeOffset: ICQV4Cipher.checkcodeOffset,
            table: ICQV4Cipher.table)
        return Self.finish(header, bytes, checkcodeValid: valid, plainCheckcode: nil, key: nil)
    }

    private static func finish(
        _ header: ICQHeader, _ bytes: UnsafeRawBufferPointer, checkcodeValid: Bool?,
        plainCheckcode: UInt32?, key: UInt32?
    ) -> ICQClassification {
        let (body, malformation) = ICQBodyDecoder.decode(header, bytes)
        if let malformation { return .malformed(malformation, header: header) }
        return .icq(
            ICQPacket(
                header: header, body: body, bytes: bytes, checkcodeValid: checkcodeValid,
                plainCheckcode: plainCheckcode, key: key))
    }

    private static func truncatedHeader(_ payload: UnsafeRawBufferPointer, header: ICQHeader?) -> ICQClassification {
        .malformed(Malformation(.icq, at: payload.count, "truncated_header"), header: header)
    }

    // MARK: Shape tests

    /// `05 00 00 00 00 00` and room for the 24-byte header.
    @inlinable
    public static func hasV5ClientShape(_ payload: UnsafeRawBufferPointer) -> Bool {
        payload.count >= 24 && payload.u16LE(at: 0) == 5 && payload.u32LE(at: 2) == 0
    }

    /// Direction from the bytes alone, for datagrams between two server ports.
    static func guessDirection(_ payload: UnsafeRawBufferPointer) -> ICQDirection {
        guard payload.count >= 4 else { return .clientToServer }
        switch payload.u16LE(at: 0) {
        case 5:
            // Wireshark's test: the u32 at offset 2 is zero only in client packets.
            guard payload.count >= 6 else { return .clientToServer }
            return payload.u32LE(at: 2) == 0 ? .clientToServer : .serverToClient
        case 2, 3:
            let command = payload.u16LE(at: 2)
            return ICQCommandNames.client(command) == nil && ICQCommandNames.server(command) != nil
                ? .serverToClient : .clientToServer
        default:
            return .clientToServer
        }
    }
}
