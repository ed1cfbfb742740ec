/// Packets and bytes per capture interface of the current source, counted in two arrays indexed
/// by the packet's interface: two additions a packet, nothing allocated once the interfaces are
/// known (a pcapng file that declares one more grows them, once).
public struct InterfaceTally {
    public private(set) var packets: [UInt64] = []
    public private(set) var bytes: [UInt64] = []

    public init() {}

    @inline(__always)
    public mutating func count(interface index: Int, wireBytes: Int) {
        if index >= packets.count { grow(to: index + 1) }
        packets[index] &+= 1
        bytes[index] &+= UInt64(truncatingIfNeeded: wireBytes)
    }

    @inline(never)
    private mutating func grow(to count: Int) {
        packets += [UInt64](repeating: 0, count: count - packets.count)
        bytes += [UInt64](repeating: 0, count: count - bytes.count)
    }

    public mutating func removeAll() {
        packets.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
    }
}
