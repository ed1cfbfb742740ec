import Bytes
import Wire

/// Receives what the combined stream decoder (`ICQStreamConsumer`) finds in a TCP connection:
/// OSCAR FLAPs (through `OSCARSink`), SOCKS handshake messages and ICQ peer-to-peer PDUs. Each
/// PDU is reported once, during the frame whose bytes completed it; the views it holds (`bytes`,
/// the scratch plaintext) are valid only during the call.
public protocol StreamProtocolSink: OSCARSink {
    /// Where encrypted peer messages are decrypted: allocated once by the sink, reused.
    var peerScratch: PeerScratch { get }
    /// One SOCKS handshake message; `bytes` are its own bytes (offset 0 = its first byte).
    /// `connection` is the handshake's state after the message.
    mutating func socksMessage(_ message: SOCKSMessage, bytes: UnsafeRawBufferPointer,
                               connection: SOCKSConnection, from: Endpoint, to: Endpoint)
    /// One peer-to-peer PDU; `bytes` start at its 2-byte length. `connection` is the state after it.
    mutating func peerPDU(_ pdu: PeerPDU, bytes: UnsafeRawBufferPointer, connection: PeerConnection,
                          from: Endpoint, to: Endpoint)
}
