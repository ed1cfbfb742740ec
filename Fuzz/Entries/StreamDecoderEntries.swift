import Bytes
import Wire

/// The stream decoders of TCP connections fed directly (no reassembly): the ICQ peer-to-peer
/// decoder, the OSCAR framer with the FLAP/SNAC decoder, and the SOCKS handshake.
public enum StreamDecoderEntries {
    nonisolated(unsafe) static let scratch = PeerScratch()

    /// Peer-to-peer: both directions (`Chunks`), every PDU's fields visited.
    public static func peer(_ bytes: UnsafeRawBufferPointer) -> FuzzTally {
        var chunks = Chunks(bytes)
        var connection = PeerConnection()
        var stopped = (false, false)
        var tally = FuzzTally()
        while let event = chunks.next() {
            guard case .data(let side) = event else { continue }
            // Like the stream consumer: after one side's bytes, the other side may now go on.
            for s in [side, 1 - side] where !(s == 0 ? stopped.0 : stopped.1) {
                var stop = false
                chunks.withPending(s) { buffer in
                    var used = 0
                    while used < buffer.count {
                        let rest = UnsafeRawBufferPointer(rebasing: buffer[used...])
                        switch connection.consume(rest, fromInitiator: s == 0, scratch: scratch) {
                        case .pdu(let pdu):
                            tally.decoded += 1
                            tally.saw(kind: kind(pdu.content))
                            var visitor = RenderingVisitor()
                            pdu.visitFields(frame: rest, scratch: scratch, into: &visitor)
                            tally.fields += visitor.fields
                            precondition(pdu.length > 0, "a peer PDU of no bytes would never end")
                            used += min(pdu.length, rest.count)
                        case .needMore, .awaitPeer:
                            return used
                        case .notPeer:
                            stop = true
                            return buffer.count
                        case .malformed:
                            tally.malformed += 1
                            stop = true
                            return buffer.count
                        }
                    }
                    return used
                }
                if stop { if s == 0 { stopped.0 = true } else { stopped.1 = true } }
            }
        }
        return tally
    }

    static func kind(_ content: PeerPDU.Content) -> Int {
        switch content {
        case .initPacket: 0
        case .initAck: 1
        case .init2: 2
        case .message: 3
        case .file: 4
        case .chatSetup: 5
        case .chatData: 6
        }
    }

    /// OSCAR framing: each direction cut into FLAPs (gaps make the framer search), each FLAP
    /// decoded down to its SNAC and visited.
    public static func oscarFraming(_ bytes: UnsafeRawBufferPointer) -> FuzzTally {
        var chunks = Chunks(bytes)
        var framers = (OSCARFramer(), OSCARFramer())
        var tally = FuzzTally()
        while let event = chunks.next() {
            switch event {
            case .gap(let side):
                if side == 0 { framers.0.lostSync() } else { framers.1.lostSync() }
            case .data(let side):
                var framer = side == 0 ? framers.0 : framers.1
                chunks.withPending(side) { buffer in
                    var used = 0
                    while used < buffer.count {
                        let rest = UnsafeRawBufferPointer(rebasing: buffer[used...])
                        switch framer.next(rest) {
                        case .pdu(let length):
                            precondition(length > 0 && length <= rest.count, "a FLAP must lie in the bytes offered")
                            let one = decodePDU(UnsafeRawBufferPointer(rebasing: rest[..<length]))
                            tally = tally + one
                            used += length
                        case .junk(let count):
                            precondition(count > 0 && count <= rest.count, "junk must lie in the bytes offered")
                            tally.saw(kind: 30)
                            used += count
                        case .needMore:
                            return used
                        case .notOSCAR:
                            return buffer.count
                        }
                    }
                    return used
                }
                if side == 0 { framers.0 = framer } else { framers.1 = framer }
            }
        }
        return tally
    }

    /// One FLAP as the framer hands it over: decoded (FLAP, SNAC, body) and visited.
    public static func oscarPDU(_ bytes: UnsafeRawBufferPointer) -> FuzzTally {
        decodePDU(bytes)
    }

    static func decodePDU(_ bytes: UnsafeRawBufferPointer) -> FuzzTally {
        var tally = FuzzTally()
        guard let pdu = OSCARPDU.decode(bytes) else { return tally }
        tally.decoded += 1
        if pdu.malformation != nil { tally.malformed += 1 }
        if let snac = pdu.snac {
            tally.saw(kind: Int(snac.family % 24))
            _ = snac.familyName
            _ = snac.subtypeName
        } else {
            tally.saw(kind: 24 + Int(pdu.flap.channel % 6))
        }
        var visitor = RenderingVisitor()
        pdu.visitFields(&visitor, revealSecrets: true)
        pdu.visitFields(&visitor, revealSecrets: false)
        tally.fields += visitor.fields
        return tally
    }

    /// SOCKS: the handshake of both directions (`Chunks`; side 0 is the client); every message's
    /// fields visited; each chunk also parsed as a SOCKS5 UDP datagram.
    public static func socks(_ bytes: UnsafeRawBufferPointer) -> FuzzTally {
        var chunks = Chunks(bytes)
        var connection = SOCKSConnection()
        var stopped = (false, false)
        var tally = FuzzTally()
        while let event = chunks.next() {
            guard case .data(let side) = event else { continue }
            for s in [side, 1 - side] where !(s == 0 ? stopped.0 : stopped.1) {
                var stop = false
                chunks.withPending(s) { buffer in
                    if s == side { tally = tally + udp(buffer) }
                    var used = 0
                    while used < buffer.count {
                        let rest = UnsafeRawBufferPointer(rebasing: buffer[used...])
                        switch connection.consume(rest, fromClient: s == 0) {
                        case .message(let message):
                            tally.decoded += 1
                            tally.saw(kind: s)
                            let length = min(max(message.length, 1), rest.count)
                            var visitor = RenderingVisitor()
                            message.visitFields(UnsafeRawBufferPointer(rebasing: rest[..<length]), revealSecrets: true, into: &visitor)
                            tally.fields += visitor.fields
                            used += length
                        case .preamble(let n):
                            precondition(n > 0, "an empty preamble would never end")
                            used += min(n, rest.count)
                        case .needMore, .awaitPeer:
                            return used
                        case .tunnel:
                            tally.saw(kind: 2)
                            stop = true
                            return buffer.count
                        case .unexpectedData, .notSOCKS:
                            stop = true
                            return buffer.count
                        case .malformed:
                            tally.malformed += 1
                            stop = true
                            return buffer.count
                        }
                    }
                    return used
                }
                if stop { if s == 0 { stopped.0 = true } else { stopped.1 = true } }
            }
        }
        return tally
    }

    static func udp(_ datagram: UnsafeRawBufferPointer) -> FuzzTally {
        var tally = FuzzTally()
        if case .header(let header) = SOCKSUDPHeader.parse(datagram) {
            tally.saw(kind: 3)
            var visitor = RenderingVisitor()
            header.visitFields(datagram, into: &visitor)
            _ = UnsafeRawBufferPointer(rebasing: datagram[header.inner])
            tally.fields += visitor.fields
        }
        return tally
    }
}
