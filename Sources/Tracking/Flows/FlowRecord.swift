import Bytes
import Capture

/// A finished flow, as the Report stage prints it (OUTPUT.md "Flow records"). Built when the flow
/// ends without allocating: its strings (Community ID, history) and UIN list are made when they
/// are read, that is only for flows that are printed (`--flows`).
public struct FlowRecord: Hashable, Sendable {
    /// Community ID v1 with the table's seed (`community_id`).
    public var communityID: String {
        communityIDHasher.compute(
            source: originator.address, destination: responder.address, protocolNumber: protocolNumber,
            sourcePort: originator.port, destinationPort: responder.port, isOneWay: isOneWay)
    }
    /// IP protocol number; `protocolName` is the `proto` field.
    public var protocolNumber: UInt8
    public var vlan: UInt16
    /// `orig` and `resp`. For ICMP flows the ports are Zeek's: type, and counterpart type or code.
    public var originator: Endpoint
    public var responder: Endpoint
    /// Capture time of the first and last packet, nanoseconds since the epoch
    /// (`first_time`, `last_time`).
    public var firstTime: Int64
    public var lastTime: Int64
    public var firstFrame: UInt64
    public var lastFrame: UInt64
    /// `packets` and `bytes` per direction; bytes are IP bytes (see `DirectionCounters`).
    public var originatorCounters: DirectionCounters
    public var responderCounters: DirectionCounters
    public var connState: ConnState
    public var history: String { historyLetters.string }
    public var protocols: FlowProtocols
    public var uins: [UInt32] { uinSet.values }
    /// UINs seen beyond the inline capacity, not listed.
    public var uinsNotListed: Int { uinSet.overflow }
    public var icmpErrors: ICMPErrorSummary
    public var endReason: FlowEndReason

    /// `duration`, nanoseconds.
    public var duration: Int64 { CaptureTime.elapsed(from: firstTime, to: lastTime) }

    /// `proto`: Zeek's transport names, else the protocol number.
    public var protocolName: String { Self.protocolName(protocolNumber) }

    public static func protocolName(_ number: UInt8) -> String {
        switch number {
        case 6: "tcp"
        case 17: "udp"
        case 1: "icmp"
        case 58: "icmpv6"
        case 132: "sctp"
        default: String(number)
        }
    }

    let communityIDHasher: CommunityID
    let isOneWay: Bool
    let historyLetters: FlowHistory
    let uinSet: FlowUINs

    init(_ slot: FlowSlot, originator: Endpoint, responder: Endpoint, uins: FlowUINs, icmpErrors: ICMPErrorSummary,
         endReason: FlowEndReason, communityID: CommunityID) {
        communityIDHasher = communityID
        isOneWay = slot.isOneWay
        protocolNumber = slot.protocolNumber
        vlan = slot.vlan
        self.originator = originator
        self.responder = responder
        firstTime = slot.firstTime
        lastTime = slot.lastTime
        firstFrame = slot.firstFrame
        lastFrame = slot.lastFrame
        originatorCounters = slot.originatorCounters
        responderCounters = slot.responderCounters
        connState = slot.connState
        historyLetters = slot.history
        protocols = slot.protocols
        uinSet = uins
        self.icmpErrors = icmpErrors
        self.endReason = endReason
    }
}
