import Bytes

/// The header forms of docs/protocol.md#classic-headers, read from plaintext bytes whose length the
/// caller has checked against `length(version:direction:)`. All integers little-endian.
enum ICQHeaderLayout {
    /// Header length of each form; nil where the form does not exist (v4 server replies use
    /// the v3 header and say version 3).
    static func length(version: UInt8, direction: ICQDirection) -> Int? {
        switch (version, direction) {
        case (2, .clientToServer): 10
        case (2, .serverToClient): 6
        case (3, _): 16
        case (4, .clientToServer): 20
        case (5, .clientToServer): 24
        case (5, .serverToClient): 21
        default: nil
        }
    }

    /// Where the command code sits in each form (in the plaintext).
    static func commandOffset(version: UInt8, direction: ICQDirection) -> Int {
        switch (version, direction) {
        case (4, _): 0x06
        case (5, .clientToServer): 0x0E
        case (5, .serverToClient): 0x07
        default: 0x02
        }
    }

    static func read(_ b: UnsafeRawBufferPointer, version: UInt8, direction: ICQDirection) -> ICQHeader {
        switch (version, direction) {
        case (2, .clientToServer):
            // VERSION COMMAND SEQ_NUM UIN
            return ICQHeader(
                version: 2, direction: direction, command: b.u16LE(at: 2), seq1: b.u16LE(at: 4), seq2: nil,
                uin: b.u32LE(at: 6), sessionID: nil, checkcode: nil, length: 10)
        case (2, _):
            // VERSION COMMAND SEQ_NUM
            return ICQHeader(
                version: 2, direction: direction, command: b.u16LE(at: 2), seq1: b.u16LE(at: 4), seq2: nil,
                uin: nil, sessionID: nil, checkcode: nil, length: 6)
        case (3, _):
            // VERSION COMMAND SEQ1 SEQ2 UIN CHECKCODE; the UIN is the client's in both directions.
            return ICQHeader(
                version: 3, direction: direction, command: b.u16LE(at: 2), seq1: b.u16LE(at: 4),
                seq2: b.u16LE(at: 6), uin: b.u32LE(at: 8), sessionID: nil, checkcode: b.u32LE(at: 12),
                length: 16)
        case (4, _):
            // VERSION RANDOM ZERO COMMAND SEQ1 SEQ2 UIN CHECKCODE
            return ICQHeader(
                version: 4, direction: direction, command: b.u16LE(at: 6), seq1: b.u16LE(at: 8),
                seq2: b.u16LE(at: 10), uin: b.u32LE(at: 12), sessionID: nil, checkcode: b.u32LE(at: 16),
                random: b.u16LE(at: 2), length: 20)
        case (_, .clientToServer):
            // VERSION ZERO(4) UIN SESSION COMMAND SEQ1 SEQ2 CHECKCODE(scrambled)
            return ICQHeader(
                version: 5, direction: direction, command: b.u16LE(at: 0x0E), seq1: b.u16LE(at: 0x10),
                seq2: b.u16LE(at: 0x12), uin: b.u32LE(at: 0x06), sessionID: b.u32LE(at: 0x0A),
                checkcode: nil, length: 24)
        case (_, .serverToClient):
            // VERSION ZERO(1) SESSION COMMAND SEQ1 SEQ2 UIN CHECKCODE(plain)
            return ICQHeader(
                version: 5, direction: direction, command: b.u16LE(at: 0x07), seq1: b.u16LE(at: 0x09),
                seq2: b.u16LE(at: 0x0B), uin: b.u32LE(at: 0x0D), sessionID: b.u32LE(at: 0x03),
                checkcode: b.u32LE(at: 0x11), length: 21)
        }
    }
}
