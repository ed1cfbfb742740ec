import Bytes

/// Every IP address and TCP port a client advertised or learned inside the protocol (classic
/// login and user-online, OSCAR direct-connection info, PEER_INIT, SOCKS BIND replies), so that a
/// later TCP connection attempt to one of them is known to be an ICQ peer connection.
/// Bounded: the oldest entries are forgotten first (counted in `forgotten`); adding and looking up
/// are O(1), and the arrival ring is reused once it has grown to `capacity`.
public struct AdvertisedEndpoints: Sendable {
    public enum Source: String, Sendable {
        case login, userOnline = "user_online", oscarDirectConnection = "oscar_dc_info", peerInit = "peer_init"
        case socksBind = "socks_bind", tcpRequest = "tcp_request", rendezvous
        /// The BOS server an OSCAR login server sent its client to (TLV 5 of 17,03 or of the
        /// channel-4 reply): not a peer, but the next TCP connection the client must make.
        case bosRedirect = "bos_redirect"
        /// The port a peer message's accepting acknowledgement announces (a file, a chat, an
        /// external application: the acknowledging side listens on it).
        case peerAck = "peer_ack"
    }

    public struct Entry: Sendable, Equatable {
        public var endpoint: Endpoint
        public var uin: UInt32?
        public var source: Source
        /// Advertised as the peer's LAN ("real") address rather than the address the server sees.
        public var isLANAddress: Bool
        public var frame: UInt64
        /// The connection mode the client announced with it (classic login and user-online: 4
        /// direct, 2 behind a firewall or proxy, 1 indirect), where the protocol says.
        public var connectionMode: UInt8? = nil
        /// The external application (voice, video, games) a rendezvous proposed it for, as
        /// `ExternalApplicationCapability`'s index (one byte: the entry stays small).
        public var application: UInt8? = nil

        public init(endpoint: Endpoint, uin: UInt32?, source: Source, isLANAddress: Bool = false, frame: UInt64,
                    connectionMode: UInt8? = nil, application: UInt8? = nil) {
            self.endpoint = endpoint
            self.uin = uin
            self.source = source
            self.isLANAddress = isLANAddress
            self.frame = frame
            self.connectionMode = connectionMode
            self.application = application
        }
    }

    public let capacity: Int
    private var entries: [Endpoint: Entry] = [:]
    /// The endpoints in the order they were first advertised: a ring of `order.count` slots
    /// whose oldest is at `oldest` once it is full.
    private var order: [Endpoint] = []
    private var oldest = 0
    /// Entries forgotten to make room for newer ones.
    public private(set) var forgotten: UInt64 = 0

    public init(capacity: Int = 16_384) {
        self.capacity = max(1, capacity)
    }

    public mutating func add(_ endpoint: Endpoint, uin: UInt32?, source: Source, isLANAddress: Bool = false, frame: UInt64,
                             connectionMode: UInt8? = nil, application: UInt8? = nil) {
        guard endpoint.port != 0, endpoint.address != IPAddress(ipv4: 0) else { return }
        if let existing = entries[endpoint] {
            // An address advertised as external is external, whatever else said it.
            if existing.isLANAddress && !isLANAddress { entries[endpoint]?.isLANAddress = false }
            return
        }
        if order.count < capacity {
            order.append(endpoint)
        } else {
            entries.removeValue(forKey: order[oldest])
            forgotten += 1
            order[oldest] = endpoint
            oldest = oldest + 1 == order.count ? 0 : oldest + 1
        }
        entries[endpoint] = Entry(endpoint: endpoint, uin: uin, source: source, isLANAddress: isLANAddress, frame: frame,
                                  connectionMode: connectionMode, application: application)
    }

    public func lookup(_ endpoint: Endpoint) -> Entry? { entries[endpoint] }

    /// Every entry still held, oldest first (for the HTML page's port matrix, once at the end).
    public var all: [Entry] {
        let ordered = order.count < capacity ? order : Array(order[oldest...] + order[..<oldest])
        return ordered.compactMap { entries[$0] }
    }

    public var count: Int { entries.count }
}
