import Bytes
import Wire

/// Follows the SOCKS handshake of TCP connections until it is over, keeping only the bytes of a
/// message not yet complete (a handshake message is a few hundred bytes at most; past the
/// handshake nothing is kept). Reports UDP associations granted, and when their control
/// connection ends, which is when the association ends (RFC 1928 §6).
///
/// Every segment costs O(1) in the number of connections followed: one lookup by the pair of
/// endpoints. Connections sit in reused slots (their byte buffers keep their capacity); when
/// `maximumConnections` are followed, a new connection makes room by forgetting the one that
/// has been quiet longest (counted in `evicted`). Associations are kept up to
/// `maximumAssociations`, the oldest forgotten first (counted in `associationsForgotten`).
public final class SOCKSHandshakes {
    public struct Association: Sendable {
        /// The control connection: the client's endpoint and the proxy's.
        public var client: Endpoint
        public var proxy: Endpoint
        /// The relay the client must send its datagrams to.
        public var relay: Endpoint
        public var grantedFrame: UInt64
        public var closedFrame: UInt64? = nil
        public var closedTime: Int64? = nil
    }

    struct Key: Hashable {
        var client: Endpoint
        var server: Endpoint
    }

    public static let maximumPending = 2048
    public let maximumConnections: Int
    public let maximumAssociations: Int
    let state: UnsafeMutablePointer<SOCKSHandshakesState>

    public init(maximumConnections: Int = 4096, maximumAssociations: Int = 4096) {
        self.maximumConnections = max(1, maximumConnections)
        self.maximumAssociations = max(1, maximumAssociations)
        state = .allocate(capacity: 1)
        state.initialize(to: SOCKSHandshakesState())
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Handshakes given up because a segment came out of order.
    public var givenUp: UInt64 { state.pointee.givenUp }
    /// Handshakes forgotten to make room for newer connections.
    public var evicted: UInt64 { state.pointee.evicted }
    /// Associations forgotten to make room for newer ones.
    public var associationsForgotten: UInt64 { state.pointee.associationsForgotten }
    /// Connections whose handshake is followed now.
    public var connectionCount: Int { state.pointee.index.count }

    /// Every TCP segment: handshake bytes are decoded; a FIN or RST ends an association's control
    /// connection. Returns the association whose control connection this segment ended, if any.
    @discardableResult
    public func segment(_ header: TCPHeader, payload: UnsafeRawBufferPointer, source: Endpoint, destination: Endpoint,
                        frame: UInt64, time: Int64) -> Association? {
        state.pointee.segment(header, payload: payload, source: source, destination: destination, frame: frame,
                              time: time, maximumConnections: maximumConnections,
                              maximumAssociations: maximumAssociations)
    }

    /// The association a datagram to or from this endpoint belongs to (its relay).
    public func association(relay: Endpoint) -> Association? {
        guard !state.pointee.byRelay.isEmpty, let key = state.pointee.byRelay[relay] else { return nil }
        return state.pointee.associations[key]
    }
}

/// What `SOCKSHandshakes` keeps.
struct SOCKSHandshakesState {
    /// One connection whose handshake is followed: its SOCKS client is the end that sent the SYN.
    struct Connection {
        var key: SOCKSHandshakes.Key
        var socks = SOCKSConnection()
        /// Unconsumed bytes of the client's and the server's direction (capacity kept on reuse).
        var pendingClient: [UInt8] = []
        var pendingServer: [UInt8] = []
        var expectedClient: UInt32? = nil
        var expectedServer: UInt32? = nil
    }

    var connections: [Connection] = []
    var freeSlots: [Int32] = []
    /// By the unordered pair of endpoints: a connection is followed from its SYN only when neither
    /// direction is followed already, so one pair has at most one connection.
    var index = SlotIndex()
    let hasher = SlotHasher()
    var recency = RecencyList()
    var givenUp: UInt64 = 0
    var evicted: UInt64 = 0
    /// Granted associations by control connection, and by relay endpoint.
    var associations: [SOCKSHandshakes.Key: SOCKSHandshakes.Association] = [:]
    var byRelay: [Endpoint: SOCKSHandshakes.Key] = [:]
    /// Control connections with an association, in the order they were granted: a ring whose
    /// oldest is at `oldestAssociation` once it is full.
    var associationOrder: [SOCKSHandshakes.Key] = []
    var oldestAssociation = 0
    var associationsForgotten: UInt64 = 0

    mutating func segment(_ header: TCPHeader, payload: UnsafeRawBufferPointer, source: Endpoint, destination: Endpoint,
                          frame: UInt64, time: Int64, maximumConnections: Int,
                          maximumAssociations: Int) -> SOCKSHandshakes.Association? {
        if header.isFIN || header.isRST {
            if let slot = lookup(source, destination) { release(slot) }
            guard !associations.isEmpty else { return nil }
            if let closed = close(SOCKSHandshakes.Key(client: source, server: destination), frame: frame, time: time) {
                return closed
            }
            return close(SOCKSHandshakes.Key(client: destination, server: source), frame: frame, time: time)
        }
        guard let slot = lookup(source, destination) else {
            if header.isSYN && !header.isACK { follow(SOCKSHandshakes.Key(client: source, server: destination), maximum: maximumConnections) }
            return nil
        }
        guard payload.count > 0 else { return nil }
        recency.touch(slot)
        let fromClient = connections[Int(slot)].key.client == source
        let sequence = header.sequenceNumber
        if let expected = fromClient ? connections[Int(slot)].expectedClient : connections[Int(slot)].expectedServer,
           expected != sequence {
            // A retransmission or a hole: a handshake is followed only in order; give it up.
            if sequence &- expected > 0x8000_0000 { return nil }  // old data again
            release(slot)
            givenUp += 1
            return nil
        }
        let next = sequence &+ UInt32(truncatingIfNeeded: payload.count)
        if fromClient { connections[Int(slot)].expectedClient = next } else { connections[Int(slot)].expectedServer = next }
        let done = decode(slot, payload, fromClient: fromClient)
        let connection = connections[Int(slot)]
        if connection.socks.status == .udpAssociated {
            let relayAddress = connection.socks.udpRelayAddress.flatMap { $0 == IPAddress(ipv4: 0) ? nil : $0 } ?? connection.key.server.address
            let relay = Endpoint(address: relayAddress, port: connection.socks.udpRelayPort)
            grant(SOCKSHandshakes.Association(client: connection.key.client, proxy: connection.key.server, relay: relay,
                                              grantedFrame: frame), maximum: maximumAssociations)
        }
        if done { release(slot) }
        return nil
    }

    /// Decodes what one direction has now: the bytes kept from before and the segment's. Only the
    /// bytes of an unfinished message are kept (copied) for the next segment. Returns whether the
    /// handshake is over (or given up) and the connection need not be followed any more.
    mutating func decode(_ slot: Int32, _ payload: UnsafeRawBufferPointer, fromClient: Bool) -> Bool {
        var pending: [UInt8] = []
        if fromClient { swap(&pending, &connections[Int(slot)].pendingClient) } else { swap(&pending, &connections[Int(slot)].pendingServer) }
        defer {
            if fromClient { swap(&pending, &connections[Int(slot)].pendingClient) } else { swap(&pending, &connections[Int(slot)].pendingServer) }
        }
        if pending.isEmpty {
            let (used, done) = consume(slot, payload, fromClient: fromClient)
            if !done && used < payload.count {
                pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: payload[used...]))
            }
            return done
        }
        pending.append(contentsOf: payload)
        let (used, done) = pending.withUnsafeBytes { consume(slot, $0, fromClient: fromClient) }
        pending.removeFirst(used)
        return done
    }

    /// Hands `bytes` to the SOCKS decoder message by message; returns how many it used up and
    /// whether the handshake is over.
    mutating func consume(_ slot: Int32, _ bytes: UnsafeRawBufferPointer, fromClient: Bool) -> (used: Int, done: Bool) {
        var used = 0
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[used...])
            switch connections[Int(slot)].socks.consume(rest, fromClient: fromClient) {
            case .message(let message):
                used += min(message.length, rest.count)
            case .preamble(let n):
                used += min(n, rest.count)
            case .needMore:
                return (used, rest.count > SOCKSHandshakes.maximumPending)
            case .awaitPeer:
                return (used, false)
            case .tunnel, .unexpectedData, .notSOCKS, .malformed:
                return (used, true)
            }
            if connections[Int(slot)].socks.status != .negotiating { return (used, true) }
        }
    }

    /// The same for both directions of a connection.
    @inline(__always)
    func hash(_ a: Endpoint, _ b: Endpoint) -> UInt64 {
        let pair = StreamKey(a, b)
        return hasher.hash(pair.low, pair.high)
    }

    /// The connection between these endpoints (either way round) that is followed, if any.
    @inline(__always)
    func lookup(_ a: Endpoint, _ b: Endpoint) -> Int32? {
        guard !index.isEmpty else { return nil }
        return index.find(hash(a, b)) { slot in
            let key = connections[Int(slot)].key
            return (key.client == a && key.server == b) || (key.client == b && key.server == a)
        }
    }

    /// Starts following a connection at its SYN; when full, the one quiet longest is forgotten.
    mutating func follow(_ key: SOCKSHandshakes.Key, maximum: Int) {
        if index.count >= maximum, recency.head >= 0 {
            release(recency.head)
            evicted += 1
        }
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            connections[Int(slot)].key = key
            connections[Int(slot)].socks = SOCKSConnection()
            connections[Int(slot)].pendingClient.removeAll(keepingCapacity: true)
            connections[Int(slot)].pendingServer.removeAll(keepingCapacity: true)
            connections[Int(slot)].expectedClient = nil
            connections[Int(slot)].expectedServer = nil
        } else {
            slot = Int32(connections.count)
            connections.append(Connection(key: key))
        }
        index.insert(slot, hash: hash(key.client, key.server))
        recency.append(slot)
    }

    mutating func release(_ slot: Int32) {
        let key = connections[Int(slot)].key
        index.remove(slot, hash: hash(key.client, key.server))
        recency.remove(slot)
        freeSlots.append(slot)
    }

    mutating func grant(_ association: SOCKSHandshakes.Association, maximum: Int) {
        let key = SOCKSHandshakes.Key(client: association.client, server: association.proxy)
        if let replaced = associations.updateValue(association, forKey: key) {
            // The same endpoints' earlier association (a reused port): its relay leads nowhere now.
            if replaced.relay != association.relay && byRelay[replaced.relay] == key { byRelay.removeValue(forKey: replaced.relay) }
        } else {
            if associationOrder.count < maximum {
                associationOrder.append(key)
            } else {
                let forgotten = associationOrder[oldestAssociation]
                if let old = associations.removeValue(forKey: forgotten), byRelay[old.relay] == forgotten {
                    byRelay.removeValue(forKey: old.relay)
                }
                associationsForgotten += 1
                associationOrder[oldestAssociation] = key
                oldestAssociation = oldestAssociation + 1 == associationOrder.count ? 0 : oldestAssociation + 1
            }
        }
        byRelay[association.relay] = key
    }

    /// Marks the association of this control connection closed (once); returns it.
    mutating func close(_ key: SOCKSHandshakes.Key, frame: UInt64, time: Int64) -> SOCKSHandshakes.Association? {
        guard var association = associations[key], association.closedFrame == nil else { return nil }
        association.closedFrame = frame
        association.closedTime = time
        associations[key] = association
        return association
    }
}
