import Bytes

/// The direct-connection obfuscation of TCP v4 and later (docs/protocol.md#peer-cipher, licq
/// Decrypt_Client, climm Decrypt_Pak). Only PEER_MSG packets are obfuscated, and only the first
/// quarter of each: dwords at 4, 8, … below (S+3)/4 are XORed with KEY + TABLE[i].
public enum PeerCipher {
    /// The first 256 bytes of the Mirabilis licence text the clients use as a table.
    static let table: [UInt8] = Array(
        ("As part of this software beta version Mirabilis is granting a limited access to the ICQ "
            + "network, servers, directories, listings, information and databases (\"ICQ Services "
            + "and Information\"). The ICQ Service and Information may databases (\"ICQ Services and In")
            .utf8)

    public struct Result: Sendable, Equatable {
        /// The check code as sent.
        public var check: UInt32
        /// KEY = 0x67657268 × S + check.
        public var key: UInt32
        /// The verification bytes inside the check code agree with the decrypted packet.
        public var isValid: Bool
    }

    /// Decrypts a PEER_MSG region into `scratch` (the ciphertext stays untouched). `region` is the
    /// frame payload without its length, and for v7+ without the leading 0x02. For v4/v5 the check
    /// sits at offset 6 (after UIN and version) and the first 6 bytes are not obfuscated; for v6+
    /// it sits at offset 0. Returns nil when the region is too short to hold a check code.
    public static func decrypt(
        _ region: UnsafeRawBufferPointer, version: UInt16, into scratch: PeerScratch
    ) -> Result? {
        let checkOffset = version <= 5 ? 6 : 0
        let size = region.count
        guard size >= checkOffset + 4 + 4, size <= scratch.capacity else { return nil }
        let out = scratch.storage
        out.copyMemory(from: region)
        let check = region.u32LE(at: checkOffset)
        let key = 0x6765_7268 &* UInt32(truncatingIfNeeded: size) &+ check
        var i = 4
        let limit = (size + 3) / 4
        table.withUnsafeBufferPointer { t in
            while i < limit {
                let word = key &+ UInt32(t[i & 0xFF])
                for j in 0..<4 where i + j < size {
                    out[i + j] ^= UInt8(truncatingIfNeeded: word >> (8 * UInt32(j)))
                }
                i += 4
            }
        }
        if checkOffset > 0 {
            // The sender restored UIN and version, and wrote the check after encrypting.
            for j in 4..<10 { out[j] = region[j] }
        }
        let plain = UnsafeRawBufferPointer(out)
        let b1: UInt32
        if checkOffset > 0 {
            guard size > 12 else { return Result(check: check, key: key, isValid: false) }
            b1 = UInt32(plain[10]) << 24 | UInt32(plain[12]) << 16 | UInt32(plain[2]) << 8 | UInt32(plain[0])
        } else {
            b1 = UInt32(plain[4]) << 24 | UInt32(plain[6]) << 16 | UInt32(plain[4]) << 8 | UInt32(plain[6])
        }
        let verify = b1 ^ check
        let m1 = Int(verify >> 24)
        var valid = m1 >= 10 && m1 < size && UInt8(truncatingIfNeeded: verify >> 16) == plain[m1] ^ 0xFF
        let x2 = Int((verify >> 8) & 0xFF)
        if valid && x2 < 220 { valid = UInt8(truncatingIfNeeded: verify) == table[x2] ^ 0xFF }
        return Result(check: check, key: key, isValid: valid)
    }
}

/// One reusable buffer for decrypted peer messages, allocated once (a frame payload is at most
/// 65535 bytes) and overwritten by every decryption. Decoded messages refer to its bytes by
/// offset; they are valid until the next decryption with the same scratch.
public final class PeerScratch {
    public let capacity = 65_536
    let storage: UnsafeMutableRawBufferPointer

    public init() {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { storage.deallocate() }

    /// The plaintext of the last decryption, `count` bytes long.
    public func plaintext(count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[0..<min(count, capacity)])
    }
}
