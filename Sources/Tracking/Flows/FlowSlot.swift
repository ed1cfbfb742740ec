import Bytes

/// Packets and bytes sent by one side of a flow.
public struct DirectionCounters: Hashable, Sendable {
    public var packets: UInt64 = 0
    /// IP bytes: the IPv4 total length or 40 + the IPv6 payload length of every packet, as Zeek's
    /// `orig_ip_bytes`/`resp_ip_bytes` (headers included, link layer excluded).
    public var ipBytes: UInt64 = 0

    public init() {}
}

/// One entry of the flow pool: everything the table knows about a live flow, held by value in a
/// preallocated array, linked into its timeout class's least-recently-active list by index.
struct FlowSlot {
    // Fields widest first: a busy gateway holds a million slots, so padding counts.
    /// The addresses as four bytes each (`CompactFlowKey`): the table makes the whole key.
    var key: CompactFlowKey
    /// Creation order, to end flows deterministically at the end of the capture.
    var sequence: UInt64 = 0
    var firstTime: Int64 = 0
    var lastTime: Int64 = 0
    /// Table clock at the last packet: the LRU lists are ordered by it, and idle expiry uses it.
    var lastActivity: Int64 = 0
    var firstFrame: UInt64 = 0
    var lastFrame: UInt64 = 0
    var originatorCounters = DirectionCounters()
    var responderCounters = DirectionCounters()
    var tcp = TCPConversation()
    var history = FlowHistory()
    // ICMP errors tied to the flow are rare: they live in the table's side index
    // (`icmpErrorsBySlot`), not in every slot.

    /// Bumped each time the slot is reused, so a stale `FlowHandle` is recognised.
    var generation: UInt32 = 0
    /// The flow's UINs, in the table's side pool (`FlowTable.uinSets`); -1 while it has none
    /// (most flows are not classic ICQ).
    var uinSet: Int32 = -1
    var previous: Int32 = -1
    var next: Int32 = -1
    var protocols: FlowProtocols = []
    var timeoutClass: FlowTimeoutClass = .other
    var inUse = false
    /// Whether the originator is the key's low endpoint; the endpoints themselves are the key's
    /// (kept once, not twice).
    var originatorIsLow = true
    /// ICMP message without a counterpart type (hashed unordered by Community ID).
    var isOneWay = false
    /// TCP: the stream decoders gave up on this connection (not of the ICQ family).
    var streamDone = false

    var protocolNumber: UInt8 { key.protocolNumber }
    var vlan: UInt16 { key.vlan }
    var isIPv6: Bool { key.lowIsIPv6 }

    init(key: CompactFlowKey, originatorIsLow: Bool) {
        self.key = key
        self.originatorIsLow = originatorIsLow
    }

    static let empty = FlowSlot(key: .empty, originatorIsLow: true)

    /// Swaps originator and responder (Zeek's `FlipRoles`), recording `^` in the history.
    mutating func flipRoles() {
        originatorIsLow.toggle()
        swap(&originatorCounters, &responderCounters)
        tcp.flip()
        history.append(UInt8(ascii: "^"))
    }

    var connState: ConnState {
        switch protocolNumber {
        case 6: ConnState.tcp(tcp, history: history)
        case 17: ConnState.udp(originatorActive: originatorCounters.packets > 0,
                               responderActive: responderCounters.packets > 0)
        default: .OTH
        }
    }

    /// The class whose idle timeout applies now.
    var currentTimeoutClass: FlowTimeoutClass {
        Self.timeoutClass(protocolNumber: protocolNumber, originator: tcp.originator.state,
                          responder: tcp.responder.state)
    }

    /// Takes the few fields it needs, so that the per-packet caller does not copy a whole slot.
    static func timeoutClass(protocolNumber: UInt8, originator o: TCPEndpointState,
                             responder r: TCPEndpointState) -> FlowTimeoutClass {
        switch protocolNumber {
        case 17: return .udp
        case 1, 58: return .icmp
        case 6:
            func closing(_ s: TCPEndpointState) -> Bool { s == .closed || s == .reset }
            func open(_ s: TCPEndpointState) -> Bool { s == .established || s == .partial }
            if closing(o) || closing(r) { return .tcpTransitory }
            return open(o) && open(r) ? .tcpEstablished : .tcpTransitory
        default: return .other
        }
    }
}
