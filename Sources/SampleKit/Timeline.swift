/// Collects the frames of a generated capture in any order, each with its capture time, its
/// interface and an optional name, then writes them in time order as pcapng. Scripts emit a
/// retransmission or a reply when they decide it, not when it happens; sorting here puts it in
/// its place and numbers the frames, so named frames get their final numbers only at the end.
struct Timeline {
    struct Entry {
        var time: Int64
        var order: Int
        var interface: Int
        var frame: [UInt8]
        var names: [String]
    }

    /// Interface names: one per side the capture saw (inside0, outside0).
    let interfaceNames: [String]
    private(set) var entries: [Entry] = []

    init(interfaceNames: [String]) {
        self.interfaceNames = interfaceNames
    }

    mutating func add(time: Int64, interface: Int, frame: [UInt8], names: [String] = []) {
        precondition(interface < interfaceNames.count)
        entries.append(Entry(time: time, order: entries.count, interface: interface, frame: frame, names: names))
    }

    /// The frames in time order (ties keep the order they were emitted in).
    var sorted: [Entry] {
        entries.sorted { $0.time != $1.time ? $0.time < $1.time : $0.order < $1.order }
    }

    struct Rendered {
        var bytes: [UInt8]
        var marks: [String: [UInt64]]
        var times: [Int64]
        var interfaces: [Int]
    }

    /// pcapng with nanosecond timestamps, and the named frames' numbers. On a two-sided capture
    /// each name is also recorded with the side (`name@inside`, `name@outside`).
    func render() -> Rendered {
        var file = PcapngBuilder()
        for name in interfaceNames { file.interface(linkType: 1, name: name, resolution: 9) }
        var marks: [String: [UInt64]] = [:]
        var times: [Int64] = []
        var interfaces: [Int] = []
        var received = [UInt64](repeating: 0, count: interfaceNames.count)
        for (index, entry) in sorted.enumerated() {
            let number = UInt64(index + 1)
            file.enhancedPacket(interface: UInt32(entry.interface), units: UInt64(entry.time), frame: entry.frame)
            times.append(entry.time)
            interfaces.append(entry.interface)
            received[entry.interface] += 1
            for name in entry.names {
                marks[name, default: []].append(number)
                if interfaceNames.count > 1 {
                    let side = interfaceNames[entry.interface].hasPrefix("inside") ? "inside" : "outside"
                    marks[name + "@" + side, default: []].append(number)
                }
            }
        }
        for (i, count) in received.enumerated() {
            file.interfaceStatistics(interface: UInt32(i), received: count, interfaceDropped: 0, osDropped: 0)
        }
        return Rendered(bytes: file.bytes, marks: marks, times: times, interfaces: interfaces)
    }
}

/// An IPv4 host as the generator needs it: its address, the TTL it starts with, and its IP
/// identification counter (Windows and older Linux count up per packet; the gateway forwards the
/// value unchanged, which is how a forwarded copy is recognised).
struct SimHost {
    var address: UInt32
    var ttl: UInt8
    var nextID: UInt16

    mutating func identification() -> UInt16 {
        defer { nextID &+= 1 }
        return nextID
    }
}

/// IP-level builders that keep the IP packet (so that an ICMP error can quote it) apart from
/// the Ethernet frame.
enum SimPacket {
    static func udp(from source: UInt32, _ sourcePort: UInt16, to destination: UInt32, _ destinationPort: UInt16,
                    payload: [UInt8], ttl: UInt8, id: UInt16) -> [UInt8] {
        let pseudo = FrameBuilder.pseudoHeaderV4(source: source, destination: destination, protocolNumber: 17,
                                                 length: 8 + payload.count)
        let segment = FrameBuilder.udp(sourcePort: sourcePort, destinationPort: destinationPort, payload: payload,
                                       pseudoHeader: pseudo)
        return FrameBuilder.ipv4(source: source, destination: destination, protocolNumber: 17, ttl: ttl,
                                 identification: id, payload: segment)
    }

    static func tcp(from source: UInt32, _ sourcePort: UInt16, to destination: UInt32, _ destinationPort: UInt16,
                    sequence: UInt32, acknowledgement: UInt32, flags: FrameBuilder.TCPFlags, window: UInt16 = 64240,
                    options: [UInt8] = [], payload: [UInt8] = [], ttl: UInt8, id: UInt16) -> [UInt8] {
        let pseudo = FrameBuilder.pseudoHeaderV4(source: source, destination: destination, protocolNumber: 6,
                                                 length: 20 + options.count + payload.count)
        let segment = FrameBuilder.tcp(sourcePort: sourcePort, destinationPort: destinationPort, sequence: sequence,
                                       acknowledgement: acknowledgement, flags: flags, window: window,
                                       options: options, payload: payload, pseudoHeader: pseudo)
        return FrameBuilder.ipv4(source: source, destination: destination, protocolNumber: 6, ttl: ttl,
                                 identification: id, payload: segment)
    }

    /// An ICMP destination unreachable quoting `quoted` as Linux does (RFC 1812 §4.3.2.3): as
    /// much of the datagram as fits in 576 bytes, so a quoted ICQ server header stays readable.
    static func unreachable(from reporter: UInt32, to destination: UInt32, code: UInt8, quoting quoted: [UInt8],
                            ttl: UInt8, id: UInt16) -> [UInt8] {
        let message = FrameBuilder.icmp(type: 3, code: code, body: Array(quoted.prefix(576 - 28)))
        return FrameBuilder.ipv4(source: reporter, destination: destination, protocolNumber: 1, ttl: ttl,
                                 identification: id, dontFragment: false, payload: message)
    }

    static func frame(_ ipPacket: [UInt8]) -> [UInt8] {
        FrameBuilder.ethernet(etherType: 0x0800, payload: ipPacket)
    }
}
