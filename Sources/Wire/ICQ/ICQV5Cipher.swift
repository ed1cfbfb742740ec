import Bytes

/// The ICQ v5 obfuscation of client packets and the checkcode shared by both directions
/// (docs/protocol.md#v5-cipher). Pure functions over caller-owned bytes: nothing here allocates.
///
/// Wire layout of a client packet: bytes 0x00..0x09 (version, zero, UIN) are clear; every dword
/// from 0x0A on is XORed with `key + table[offset & 0xFF]`, except the four bytes 0x14..0x17, which
/// hold the checkcode in its bit-scrambled form.
public enum ICQV5Cipher {
    /// 0x68656C6C, ASCII "hell": the key is `length × keyMultiplier + checkcode`.
    public static let keyMultiplier: UInt32 = 0x6865_6C6C
    /// Where the obfuscated part of a client packet starts (the session id).
    public static let firstObfuscatedOffset = 0x0A
    /// Where the scrambled checkcode sits in a client packet.
    public static let clientCheckcodeOffset = 0x14
    /// Where the plain checkcode sits in a server packet.
    public static let serverCheckcodeOffset = 0x11

    /// The 256-byte table published by Sebastien Dault (1998), identical in Wireshark, iserverd,
    /// climm, licq and open-oscar-server (SHA-256 b8f915ae…, checked by a test).
    public static let table: [UInt8] = [
        0x59, 0x60, 0x37, 0x6B, 0x65, 0x62, 0x46, 0x48, 0x53, 0x61, 0x4C, 0x59, 0x60, 0x57, 0x5B, 0x3D,
        0x5E, 0x34, 0x6D, 0x36, 0x50, 0x3F, 0x6F, 0x67, 0x53, 0x61, 0x4C, 0x59, 0x40, 0x47, 0x63, 0x39,
        0x50, 0x5F, 0x5F, 0x3F, 0x6F, 0x47, 0x43, 0x69, 0x48, 0x33, 0x31, 0x64, 0x35, 0x5A, 0x4A, 0x42,
        0x56, 0x40, 0x67, 0x53, 0x41, 0x07, 0x6C, 0x49, 0x58, 0x3B, 0x4D, 0x46, 0x68, 0x43, 0x69, 0x48,
        0x33, 0x31, 0x44, 0x65, 0x62, 0x46, 0x48, 0x53, 0x41, 0x07, 0x6C, 0x69, 0x48, 0x33, 0x51, 0x54,
        0x5D, 0x4E, 0x6C, 0x49, 0x38, 0x4B, 0x55, 0x4A, 0x62, 0x46, 0x48, 0x33, 0x51, 0x34, 0x6D, 0x36,
        0x50, 0x5F, 0x5F, 0x5F, 0x3F, 0x6F, 0x47, 0x63, 0x59, 0x40, 0x67, 0x33, 0x31, 0x64, 0x35, 0x5A,
        0x6A, 0x52, 0x6E, 0x3C, 0x51, 0x34, 0x6D, 0x36, 0x50, 0x5F, 0x5F, 0x3F, 0x4F, 0x37, 0x4B, 0x35,
        0x5A, 0x4A, 0x62, 0x66, 0x58, 0x3B, 0x4D, 0x66, 0x58, 0x5B, 0x5D, 0x4E, 0x6C, 0x49, 0x58, 0x3B,
        0x4D, 0x66, 0x58, 0x3B, 0x4D, 0x46, 0x48, 0x53, 0x61, 0x4C, 0x59, 0x40, 0x67, 0x33, 0x31, 0x64,
        0x55, 0x6A, 0x32, 0x3E, 0x44, 0x45, 0x52, 0x6E, 0x3C, 0x31, 0x64, 0x55, 0x6A, 0x52, 0x4E, 0x6C,
        0x69, 0x48, 0x53, 0x61, 0x4C, 0x39, 0x30, 0x6F, 0x47, 0x63, 0x59, 0x60, 0x57, 0x5B, 0x3D, 0x3E,
        0x64, 0x35, 0x3A, 0x3A, 0x5A, 0x6A, 0x52, 0x4E, 0x6C, 0x69, 0x48, 0x53, 0x61, 0x6C, 0x49, 0x58,
        0x3B, 0x4D, 0x46, 0x68, 0x63, 0x39, 0x50, 0x5F, 0x5F, 0x3F, 0x6F, 0x67, 0x53, 0x41, 0x25, 0x41,
        0x3C, 0x51, 0x54, 0x3D, 0x5E, 0x54, 0x5D, 0x4E, 0x4C, 0x39, 0x50, 0x5F, 0x5F, 0x5F, 0x3F, 0x6F,
        0x47, 0x43, 0x69, 0x48, 0x33, 0x51, 0x54, 0x5D, 0x6E, 0x3C, 0x31, 0x64, 0x35, 0x5A, 0x00, 0x00,
    ]

    // MARK: Checkcode bit permutation (docs/protocol.md#v5-scramble)

    @inlinable
    public static func scramble(_ c: UInt32) -> UInt32 {
        ((c & 0x0000_001F) << 12) &+ ((c & 0x03E0_03E0) << 1) &+ ((c & 0xF800_0400) >> 10)
            &+ ((c & 0x0000_F800) << 16) &+ ((c & 0x041F_0000) >> 15)
    }

    @inlinable
    public static func unscramble(_ s: UInt32) -> UInt32 {
        ((s & 0x0001_F000) >> 12) &+ ((s & 0x07C0_07C0) >> 1) &+ ((s & 0x003E_0001) << 10)
            &+ ((s & 0xF800_0000) >> 16) &+ ((s & 0x0000_083E) << 15)
    }

    /// KEY = L × 0x68656C6C + CHECKCODE, L being the on-wire UDP payload length.
    @inlinable
    public static func key(checkcode: UInt32, length: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: length) &* keyMultiplier &+ checkcode
    }

    // MARK: Checkcode (docs/protocol.md#v5-checkcode, #v5-server-checkcode)

    /// number1 from the clear bytes 2, 4, 6 and 8 (zero bytes and UIN bytes in a client packet;
    /// part of the session and command in a server packet). `bytes` must hold at least 9 bytes.
    @inlinable
    static func number1(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(bytes[8]) << 24 | UInt32(bytes[4]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[6])
    }

    /// The checkcode a sender computes over `plaintext` with its random choices R1 (an offset
    /// inside the packet) and R2 (a table index). `table` is the v5 table, or the v4 one.
    public static func checkcode(
        plaintext: UnsafeRawBufferPointer, r1: Int, r2: UInt8, table: [UInt8] = ICQV5Cipher.table
    ) -> UInt32 {
        precondition(plaintext.count >= 9 && r1 >= 0 && r1 < plaintext.count && r1 < 256)
        var number2 = UInt32(r1) << 24 | UInt32(plaintext[r1]) << 16 | UInt32(r2) << 8 | UInt32(table[Int(r2)])
        number2 ^= 0x00FF_00FF
        return number1(plaintext) ^ number2
    }

    /// Whether `checkcode` is one that `checkcode(plaintext:r1:r2:)` can produce for this plaintext:
    /// R1 and R2 are recovered from it and the two bytes they select are compared. Something that
    /// is not ICQ passes by chance with probability about 2^-16 × (L/256).
    /// The four bytes at `checkcodeOffset` are read as zero, as the sender saw them when it
    /// computed the checkcode. `plaintext` must hold at least 9 bytes.
    @inlinable
    public static func isValid(
        checkcode: UInt32, plaintext: UnsafeRawBufferPointer, checkcodeOffset: Int,
        table: [UInt8] = ICQV5Cipher.table
    ) -> Bool {
        guard plaintext.count >= 9 else { return false }
        let x = checkcode ^ number1(plaintext)
        let r1 = Int(x >> 24)
        let r2 = Int((x >> 8) & 0xFF)
        guard r1 < plaintext.count else { return false }
        let atR1 = (r1 >= checkcodeOffset && r1 < checkcodeOffset + 4) ? 0 : plaintext[r1]
        return UInt8(truncatingIfNeeded: x >> 16) == atR1 ^ 0xFF
            && UInt8(truncatingIfNeeded: x) == table[r2] ^ 0xFF
    }

    // MARK: XOR pass (docs/protocol.md#v5-xor)

    /// XORs the obfuscated part of a client packet in place; the same call encrypts and decrypts.
    /// Bytes 0x14..0x17 (the scrambled checkcode) are left alone, as Wireshark and iserverd do.
    /// `bytes.count` must be the on-wire length (the key was made from it).
    @inlinable
    public static func xorPass(_ bytes: UnsafeMutableRawBufferPointer, key: UInt32) {
        let count = bytes.count
        var i = firstObfuscatedOffset
        while i < count {
            let k = key &+ UInt32(table[i & 0xFF])
            for j in 0..<4 {
                let at = i + j
                if at >= count { break }
                if at >= clientCheckcodeOffset && at < clientCheckcodeOffset + 4 { continue }
                bytes[at] ^= UInt8(truncatingIfNeeded: k >> (8 * UInt32(j)))
            }
            i += 4
        }
    }

    /// Decrypts a client packet: copies `wire` into `scratch` (which must be at least as large)
    /// and undoes the XOR pass there, then zeroes 0x14..0x17 so that the scratch holds exactly
    /// the plaintext the sender built (the checkcode itself is returned). The plaintext is
    /// `scratch[0..<wire.count]`. `wire` must hold at least 0x18 bytes.
    @inlinable
    public static func decryptClient(
        _ wire: UnsafeRawBufferPointer, into scratch: UnsafeMutableRawBufferPointer
    ) -> (checkcode: UInt32, key: UInt32) {
        let checkcode = unscramble(wire.u32LE(at: clientCheckcodeOffset))
        let key = key(checkcode: checkcode, length: wire.count)
        let target = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<wire.count])
        target.copyMemory(from: wire)
        xorPass(target, key: key)
        target.storeBytes(of: 0, toByteOffset: clientCheckcodeOffset, as: UInt32.self)
        return (checkcode, key)
    }

    /// Encrypts a plaintext client packet in place as a real client does: computes the checkcode
    /// with the sender's choices R1/R2, XORs, then stores the scrambled checkcode at 0x14.
    /// Bytes 0x14..0x17 of the plaintext are treated as zero. Returns the checkcode.
    @discardableResult
    public static func encryptClient(_ bytes: UnsafeMutableRawBufferPointer, r1: Int, r2: UInt8) -> UInt32 {
        precondition(bytes.count >= 0x18, "a v5 client packet has a 24-byte header")
        for i in clientCheckcodeOffset..<(clientCheckcodeOffset + 4) { bytes[i] = 0 }
        let checkcode = checkcode(plaintext: UnsafeRawBufferPointer(bytes), r1: r1, r2: r2)
        xorPass(bytes, key: key(checkcode: checkcode, length: bytes.count))
        bytes.storeBytes(of: scramble(checkcode).littleEndian, toByteOffset: clientCheckcodeOffset, as: UInt32.self)
        return checkcode
    }
}
