import Bytes
import Wire
import Tracking

/// Every TCP port a client advertised or announced inside the protocols, and what became of it:
/// reached (a peer's connection was answered, or peer-to-peer PDUs flowed to it), blocked (a
/// filter refused or swallowed the connection), or never tried. The `ports` list of the
/// `peer-tcp-ports` requirement, and "N of the 3 ports the guide asks for were shown open".
/// Bounded: ports beyond `capacity` are counted, not listed.
public struct PeerPortLedger: Sendable {
    public enum Status: String, Sendable {
        case reached, blocked, untried
    }

    public struct Entry: Sendable, Equatable {
        /// The advertising client's listening endpoint.
        public var endpoint: Endpoint
        public var uin: UInt32?
        public var source: AdvertisedEndpoints.Source
        /// Advertised as the client's LAN ("real") address.
        public var isLANAddress: Bool
        public var status: Status
        /// The frame that advertised it, then those that showed its status (at most `keptFrames`).
        public var frames: [UInt64]
        /// The direct-connection mode announced with it (CMD_LOGIN, SRV_USER_ONLINE), if any.
        public var connectionMode: UInt8? = nil
        /// The external application (voice, video, games) a rendezvous proposed it for: such
        /// ports belong to the guide's `external-applications` requirement.
        public var application: String? = nil
    }

    public static let capacity = 256
    static let keptFrames = 8

    public private(set) var entries: [Entry] = []
    /// Where each listed endpoint is in `entries`. Every advertisement is looked up here, most
    /// of them after the list is full (a busy gateway's clients advertise a port a minute):
    /// a probe, where a dictionary of endpoints hashed each with SipHash.
    private var index = SlotIndex(minimumCapacity: PeerPortLedger.capacity)
    private static let hasher = SlotHasher()
    /// Ports advertised after the list was full.
    public private(set) var notListed = 0

    public init() {}

    /// A change to the ledger, as a shard of `read --threads` logs it (`onCall`) for the merge to
    /// replay in one thread's order: the ledger is a fold over these calls.
    public enum Call: Sendable {
        case advertised(Endpoint, uin: UInt32?, source: AdvertisedEndpoints.Source, isLANAddress: Bool, frame: UInt64,
                        connectionMode: UInt8?, application: UInt8?)
        case reached(Endpoint, frames: [UInt64])
        /// `reached(_:opening:frame:)`: one or two frames, without an array for each.
        case reachedAt(Endpoint, opening: UInt64?, frame: UInt64)
        case blocked(Endpoint, frames: [UInt64])
    }

    nonisolated(unsafe) public var onCall: ((Call) -> Void)? = nil

    public mutating func replay(_ call: Call) {
        switch call {
        case .advertised(let e, let uin, let source, let isLAN, let frame, let mode, let application):
            advertised(e, uin: uin, source: source, isLANAddress: isLAN, frame: frame, connectionMode: mode, application: application)
        case .reached(let e, let frames): reached(e, frames: frames)
        case .reachedAt(let e, let opening, let frame): reached(e, opening: opening, frame: frame)
        case .blocked(let e, let frames): blocked(e, frames: frames)
        }
    }

    mutating func advertised(_ endpoint: Endpoint, uin: UInt32?, source: AdvertisedEndpoints.Source,
                             isLANAddress: Bool, frame: UInt64, connectionMode: UInt8? = nil,
                             application: UInt8? = nil) {
        if let onCall {
            return onCall(.advertised(endpoint, uin: uin, source: source, isLANAddress: isLANAddress, frame: frame,
                                      connectionMode: connectionMode, application: application))
        }
        if let i = position(of: endpoint) {
            if entries[i].connectionMode == nil { entries[i].connectionMode = connectionMode }
            return
        }
        guard endpoint.port != 0, endpoint.address != IPAddress(ipv4: 0) else { return }
        guard entries.count < Self.capacity else {
            notListed += 1
            return
        }
        index.insert(Int32(entries.count), hash: Self.hasher.hash(endpoint))
        entries.append(Entry(endpoint: endpoint, uin: uin, source: source, isLANAddress: isLANAddress,
                             status: .untried, frames: [frame], connectionMode: connectionMode,
                             application: application.map { "\(ExternalApplicationCapability.name($0))" }))
    }

    /// A connection to the port got through the firewall (a blocked status stays: the block is
    /// what the requirement is about).
    mutating func reached(_ endpoint: Endpoint, frames: [UInt64]) {
        if let onCall { return onCall(.reached(endpoint, frames: frames)) }
        guard let i = position(of: endpoint), entries[i].status != .blocked else { return }
        entries[i].status = .reached
        add(frames, to: i)
    }

    /// `reached(_:frames:)` for one or two frames, which builds no array: it runs for every
    /// answered connection, and an array literal that may escape into the log is allocated on
    /// the heap even when nothing is logged.
    mutating func reached(_ endpoint: Endpoint, opening: UInt64? = nil, frame: UInt64) {
        if let onCall { return onCall(.reachedAt(endpoint, opening: opening, frame: frame)) }
        guard let i = position(of: endpoint), entries[i].status != .blocked else { return }
        entries[i].status = .reached
        if let opening { add(opening, to: i) }
        add(frame, to: i)
    }

    mutating func blocked(_ endpoint: Endpoint, frames: [UInt64]) {
        if let onCall { return onCall(.blocked(endpoint, frames: frames)) }
        guard let i = position(of: endpoint) else { return }
        if entries[i].status == .reached { entries[i].frames.removeSubrange(1...) }
        entries[i].status = .blocked
        add(frames, to: i)
    }

    private func position(of endpoint: Endpoint) -> Int? {
        index.find(Self.hasher.hash(endpoint)) { entries[Int($0)].endpoint == endpoint }.map(Int.init)
    }

    private mutating func add(_ frames: [UInt64], to i: Int) {
        for frame in frames { add(frame, to: i) }
    }

    private mutating func add(_ frame: UInt64, to i: Int) {
        guard entries[i].frames.count < Self.keptFrames, !entries[i].frames.contains(frame) else { return }
        entries[i].frames.append(frame)
    }

    /// Distinct port numbers shown open (reached), external applications' aside.
    public var portsShownOpen: [UInt16] {
        Array(Set(entries.filter { $0.status == .reached && $0.application == nil }.map(\.endpoint.port))).sorted()
    }
}
