/// How an ICMP message becomes a flow's "ports", as Zeek and the Community ID spec do it: the
/// source port is the type; for a request/reply pair (echo, timestamp, neighbour solicitation, ...)
/// the destination port is the counterpart type, so a request and its reply share one flow; for
/// everything else (errors, redirects) it is the code and the message is one-way.
public enum ICMPFlowPorts {
    public static func ports(type: UInt8, code: UInt8, isIPv6: Bool) -> (source: UInt16, destination: UInt16, isOneWay: Bool) {
        if let counterpart = isIPv6 ? v6Counterpart(type) : v4Counterpart(type) {
            return (UInt16(type), UInt16(counterpart), false)
        }
        return (UInt16(type), UInt16(code), true)
    }

    /// ICMPv4 pairs of the spec: echo 8/0, timestamp 13/14, information 15/16, router
    /// solicitation/advertisement 10/9, address mask 17/18.
    static func v4Counterpart(_ type: UInt8) -> UInt8? {
        switch type {
        case 8: 0
        case 0: 8
        case 13: 14
        case 14: 13
        case 15: 16
        case 16: 15
        case 10: 9
        case 9: 10
        case 17: 18
        case 18: 17
        default: nil
        }
    }

    /// ICMPv6 pairs of the spec: echo 128/129, multicast listener query/report 130/131, router
    /// solicitation/advertisement 133/134, neighbour solicitation/advertisement 135/136,
    /// who-are-you 139/140, home agent address discovery 144/145.
    static func v6Counterpart(_ type: UInt8) -> UInt8? {
        switch type {
        case 128: 129
        case 129: 128
        case 130: 131
        case 131: 130
        case 133: 134
        case 134: 133
        case 135: 136
        case 136: 135
        case 139: 140
        case 140: 139
        case 144: 145
        case 145: 144
        default: nil
        }
    }
}
