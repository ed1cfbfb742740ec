import Bytes
import Capture

/// A finished flow, as the Report stage prints it (OUTPUT.md "Flow records"). Built once, when the
/// flow ends; the only strings in it (Community ID, history) are made here, not per packet.
public struct FlowRecord: Hashable, Sendable {
    /// Community ID v1 with the table's seed (`community_id`).
    public var communityID: String
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
    public var history: String
    public var protocols: FlowProtocols
    public var uins: [UInt32]
    /// UINs seen beyond the inline capacity, not listed.
    public var uinsNotListed: Int
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

    init(_ slot: FlowSlot, icmpErrors: ICMPErrorSummary, endReason: FlowEndReason, communityID: CommunityID) {
        self.communityID = communityID.compute(
            source: slot.originator.address, destination: slot.responder.address,
            protocolNumber: slot.protocolNumber, sourcePort: slot.originator.port,
            destinationPort: slot.responder.port, isOneWay: slot.isOneWay)
        protocolNumber = slot.protocolNumber
        vlan = slot.vlan
        originator = slot.originator
        responder = slot.responder
        firstTime = slot.firstTime
        lastTime = slot.lastTime
        firstFrame = slot.firstFrame
        lastFrame = slot.lastFrame
        originatorCounters = slot.originatorCounters
        responderCounters = slot.responderCounters
        connState = slot.connState
        history = slot.history.string
        protocols = slot.protocols
        uins = slot.uins.values
        uinsNotListed = slot.uins.overflow
        self.icmpErrors = icmpErrors
        self.endReason = endReason
    }
}
