import Tracking

/// What the capture shows holds, gathered while packets go by: the first frames that prove each
/// of the guide's requirements met. Findings show the opposite; `RequirementCard` weighs both.
/// A few optional frames and a bounded set of ports: nothing grows with the traffic.
public final class RequirementEvidence {
    /// A classic ICQ client packet to the server, and the first server packet (on any side).
    public private(set) var firstClientPacket: UInt64? = nil
    public private(set) var firstServerPacket: UInt64? = nil
    /// The first server packet seen on the client's side of the capture (one-sided: any).
    public private(set) var firstServerPacketDelivered: UInt64? = nil
    /// TCP ports above 1023 on which peers reached each other (peer-to-peer PDUs flowed), with
    /// the first frame of each; at most `maximumPorts` kept.
    public private(set) var peerPorts: [UInt16: UInt64] = [:]
    /// The first frame of a TCP conversation of the ICQ family (OSCAR or peer-to-peer).
    public private(set) var firstICQTCP: UInt64? = nil
    /// The first frame of a SOCKS conversation, and of ICQ carried through a SOCKS relay.
    public private(set) var firstProxy: UInt64? = nil
    /// The first UDP mapping seen carrying classic ICQ to its server (the guide's other proxy).
    public private(set) var firstUDPMapping: UDPMappingDetector.Mapping? = nil

    static let maximumPorts = 64

    public init() {}

    public func icqPacket(fromClient: Bool, onClientSide: Bool, frame: UInt64) {
        if fromClient {
            if firstClientPacket == nil { firstClientPacket = frame }
        } else {
            if firstServerPacket == nil { firstServerPacket = frame }
            if onClientSide && firstServerPacketDelivered == nil { firstServerPacketDelivered = frame }
        }
    }

    public func icqTCPConversation(frame: UInt64) {
        if firstICQTCP == nil { firstICQTCP = frame }
    }

    public func peerConnection(port: UInt16, frame: UInt64) {
        icqTCPConversation(frame: frame)
        guard port > 1023, peerPorts[port] == nil, peerPorts.count < Self.maximumPorts else { return }
        peerPorts[port] = frame
    }

    public func proxyConversation(frame: UInt64) {
        if firstProxy == nil { firstProxy = frame }
    }

    public func udpMapping(_ mapping: UDPMappingDetector.Mapping) {
        if firstUDPMapping == nil { firstUDPMapping = mapping }
    }

    /// `read --threads`: a shard's evidence joined into the run's; each first frame is the
    /// earliest of any shard, the peer ports the first `maximumPorts` by frame.
    public func absorb(_ shard: RequirementEvidence) {
        func earliest(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
            guard let a else { return b }
            guard let b else { return a }
            return min(a, b)
        }
        firstClientPacket = earliest(firstClientPacket, shard.firstClientPacket)
        firstServerPacket = earliest(firstServerPacket, shard.firstServerPacket)
        firstServerPacketDelivered = earliest(firstServerPacketDelivered, shard.firstServerPacketDelivered)
        firstICQTCP = earliest(firstICQTCP, shard.firstICQTCP)
        firstProxy = earliest(firstProxy, shard.firstProxy)
        var ports = peerPorts
        for (port, frame) in shard.peerPorts { ports[port] = earliest(ports[port], frame) }
        let kept = ports.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.prefix(Self.maximumPorts)
        peerPorts = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
        if firstUDPMapping == nil { firstUDPMapping = shard.firstUDPMapping }
    }
}
