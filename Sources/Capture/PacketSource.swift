import Bytes

/// Anything that yields captured packets one at a time: our own file walkers, libpcap reading a
/// file, libpcap capturing live. Later stages are generic over it, so every source goes through
/// exactly the same code.
public protocol PacketSource: ~Copyable {
    /// The next packet, or nil at the end. The packet's bytes stay valid until the next call.
    /// A thrown error with `isFatal == false` skipped one record; the caller may call again.
    mutating func nextPacket() throws(CaptureError) -> CapturedPacket?

    /// Interfaces seen so far (a pcapng file may declare more as it goes).
    var interfaces: [CaptureInterface] { get }

    /// A name for messages: the path, "-" for standard input, or the interface list.
    var sourceName: String { get }

    /// Bytes of the input read so far, where that means something (files), for a progress line.
    var bytesConsumed: Int64? { get }
}

extension PacketSource where Self: ~Copyable {
    public var bytesConsumed: Int64? { nil }
}
