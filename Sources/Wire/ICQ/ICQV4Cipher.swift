import Bytes

/// The ICQ v4 client-packet obfuscation (docs/protocol.md#v3-v4).
///
/// Uncertain: the algorithm comes from two implementations that agree (the old licq encoder and
/// the open-oscar-server decoder); no real v4 capture has been checked against it. Only about the
/// first quarter of a packet is XORed, so long parameters are in the clear anyway.
public enum ICQV4Cipher {
    /// 0x66756B65, ASCII "fuke".
    public static let keyMultiplier: UInt32 = 0x6675_6B65
    /// The v4 checkcode is stored plain (unscrambled) at 0x10.
    public static let checkcodeOffset = 0x10
    public static let headerLength = 0x14

    /// The first 256 bytes of an ICQ "tips" text (SHA-256 2bbcc0cb…, checked by a test).
    public static let table: [UInt8] = Array(
        ("\n[1] You can modify the sounds ICQ makes. Just select \"Sounds\" from the \"preferences/misc\""
            + " in ICQ or from the \"Sounds\" in the control panel. Credit: Eran\n[2] Can't remember what"
            + " was said?  Double-click on a user to get a dialog of all messages sent incomin").utf8)

    @inlinable
    public static func key(checkcode: UInt32, length: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: length) &* keyMultiplier &+ checkcode
    }

    /// How many leading dwords the sender XORed: those whose offset is below a quarter of L.
    @inlinable
    static func obfuscatedDwordCount(length: Int) -> Int {
        ((length + 3) / 4 + 3) / 4
    }

    /// Undoes the obfuscation of `bytes` (the wire packet, already copied into a scratch buffer)
    /// in place. Returns the checkcode. `bytes` must hold at least `headerLength` bytes.
    @inlinable
    @discardableResult
    public static func decrypt(_ bytes: UnsafeMutableRawBufferPointer) -> UInt32 {
        let count = bytes.count
        let checkcode = UnsafeRawBufferPointer(bytes).u32LE(at: checkcodeOffset)
        let key = key(checkcode: checkcode, length: count)
        let dwords = obfuscatedDwordCount(length: count)
        for d in 0..<dwords where d != checkcodeOffset / 4 {
            xorDword(bytes, at: 4 * d, with: key &+ UInt32(table[(4 * d) & 0xFF]))
        }
        bytes[0] = 0x04
        bytes[1] = 0x00
        return checkcode
    }

    /// Obfuscates a plaintext v4 packet in place as the licq encoder does, with the sender's
    /// random choices R1 and R2. Returns the checkcode. licq draws R1 below L − 4; the
    /// reference's vector V4-1 uses R1 = L − 4, so any offset inside the packet is accepted.
    @discardableResult
    public static func encrypt(_ bytes: UnsafeMutableRawBufferPointer, r1: Int, r2: UInt8) -> UInt32 {
        precondition(bytes.count >= headerLength && r1 < bytes.count)
        let count = bytes.count
        let checkcode = ICQV5Cipher.checkcode(plaintext: UnsafeRawBufferPointer(bytes), r1: r1, r2: r2, table: table)
        let key = key(checkcode: checkcode, length: count)
        let quarter = (count + 3) / 4
        var i = 0
        while i < quarter {
            xorDword(bytes, at: i, with: key &+ UInt32(table[i & 0xFF]))
            i += 4
        }
        bytes[0] = 0x04
        bytes[1] = 0x00
        bytes.storeBytes(of: checkcode.littleEndian, toByteOffset: checkcodeOffset, as: UInt32.self)
        return checkcode
    }

    @inlinable
    static func xorDword(_ bytes: UnsafeMutableRawBufferPointer, at offset: Int, with k: UInt32) {
        for j in 0..<4 where offset + j < bytes.count {
            bytes[offset + j] ^= UInt8(truncatingIfNeeded: k >> (8 * UInt32(j)))
        }
    }
}
