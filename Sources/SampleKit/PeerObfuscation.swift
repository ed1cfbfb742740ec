/// The sender's side of the peer-to-peer obfuscation (docs/protocol.md#peer-cipher), written from
/// the reference rather than from the decoder: what the samples send, and what the lab peers
/// (LabPeers) send when they talk as a v8 client does. One encoder for both.
public enum PeerObfuscation {
    /// `body` starts at the check code (v6+ PEER_MSG, after the 0x02 of v7/v8); M1 in [10,
    /// min(S, 255)), X2 in [0, 220).
    public static func encrypt(_ body: [UInt8], m1: Int, x2: Int) -> [UInt8] {
        PeerBytes.encrypt(body, m1: m1, x2: x2)
    }
}
