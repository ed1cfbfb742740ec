import Bytes
import CPcap
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An interface libpcap can capture on, as `icqscope interfaces` lists it.
public struct AvailableInterface: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var addresses: [IPAddress]
    public var isLoopback: Bool
    public var isUp: Bool
    public var isRunning: Bool
    public var isWireless: Bool

    /// Everything libpcap can capture on (`pcap_findalldevs`), in its order, with the IPv4 and
    /// IPv6 addresses of each.
    public static func all() throws(CaptureError) -> [AvailableInterface] {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var list: UnsafeMutablePointer<pcap_if_t>? = nil
        guard pcap_findalldevs(&list, &errbuf) == 0 else {
            throw CaptureError(file: "interfaces", reason: .captureFailed,
                               message: "cannot list interfaces: \(LiveHandle.text(errbuf))")
        }
        defer { pcap_freealldevs(list) }
        var result: [AvailableInterface] = []
        var device = list
        while let d = device {
            let flags = d.pointee.flags
            var entry = AvailableInterface(
                name: String(cString: d.pointee.name),
                description: d.pointee.description.map { String(cString: $0) },
                addresses: [],
                isLoopback: flags & UInt32(PCAP_IF_LOOPBACK) != 0,
                isUp: flags & UInt32(PCAP_IF_UP) != 0,
                isRunning: flags & UInt32(PCAP_IF_RUNNING) != 0,
                isWireless: flags & UInt32(PCAP_IF_WIRELESS) != 0)
            var address = d.pointee.addresses
            while let a = address {
                if let sa = a.pointee.addr, let ip = ipAddress(sa) { entry.addresses.append(ip) }
                address = a.pointee.next
            }
            result.append(entry)
            device = d.pointee.next
        }
        return result
    }

    private static func ipAddress(_ sa: UnsafeMutablePointer<sockaddr>) -> IPAddress? {
        switch Int32(sa.pointee.sa_family) {
        case AF_INET:
            return sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                IPAddress(ipv4: UInt32(bigEndian: $0.pointee.sin_addr.s_addr))
            }
        case AF_INET6:
            return sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                withUnsafeBytes(of: sin6.pointee.sin6_addr) { IPAddress.ipv6($0, at: 0) }
            }
        default:
            return nil
        }
    }
}
