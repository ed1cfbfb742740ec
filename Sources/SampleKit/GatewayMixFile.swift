#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a gateway mix as a classic pcap file (Ethernet, microsecond timestamps), streamed: the
/// packets go out through a 1 MiB buffer as the mix makes them, so a million packets need no
/// more memory than ten.
public enum GatewayMixFile {
    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes the first `packets` packets of the mix of `users` users to `path` and returns what
    /// was written.
    @discardableResult
    public static func write(users: Int, packets: Int, seed: UInt64 = 1, to path: String) throws -> GatewayMix.Counts {
        guard let file = fopen(path, "wb") else {
            throw WriteError(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        var closed = false
        defer { if !closed { fclose(file) } }
        let mix = GatewayMix(users: users, seed: seed)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20 + 2048)
        func flush() throws {
            let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            guard written == buffer.count else {
                throw WriteError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            buffer.removeAll(keepingCapacity: true)
        }
        buffer += PcapBuilder(linkType: 1, snapLength: 262_144).bytes
        for _ in 0..<packets {
            let (time, frame) = mix.next()
            buffer.appendLE32(UInt32(time / 1_000_000_000))
            buffer.appendLE32(UInt32(time % 1_000_000_000 / 1000))
            buffer.appendLE32(UInt32(frame.count))
            buffer.appendLE32(UInt32(frame.count))
            buffer += frame
            if buffer.count >= 1 << 20 { try flush() }
        }
        try flush()
        closed = true
        guard fclose(file) == 0 else {
            throw WriteError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return mix.counts
    }
}
