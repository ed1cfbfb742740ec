import Bytes
import Wire

/// Follows the SOCKS handshake of TCP connections until it is over, keeping only the bytes of a
/// message not yet complete (a handshake message is a few hundred bytes at most; past the
/// handshake nothing is kept). Reports UDP associations granted, and when their control
/// connection ends, which is when the association ends (RFC 1928 §6).
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

    struct Connection {
        var socks = SOCKSConnection()
        var pending: [[UInt8]] = [[], []]  // client, server
        var expectedSequence: [UInt32?] = [nil, nil]
    }

    public static let maximumPending = 2048
    public let maximumConnections: Int
    private var connections: [Key: Connection] = [:]
    /// Granted associations by control connection, and by relay endpoint.
    private var associations: [Key: Association] = [:]
    private var byRelay: [Endpoint: Key] = [:]
    public private(set) var givenUp: UInt64 = 0

    public init(maximumConnections: Int = 4096) {
        self.maximumConnections = maximumConnections
    }

    /// Every TCP segment: handshake bytes are decoded; a FIN or RST ends an association's control
    /// connection. Returns the association whose control connection this segment ended, if any.
    @discardableResult
    public func segment(_ header: TCPHeader, payload: UnsafeRawBufferPointer, source: Endpoint, destination: Endpoint,
                        frame: UInt64, time: Int64) -> Association? {
        let forward = Key(client: source, server: destination)
        let backward = Key(client: destination, server: source)
        if header.isFIN || header.isRST {
            connections.removeValue(forKey: forward)
            connections.removeValue(forKey: backward)
            for key in [forward, backward] {
                if var association = associations[key], association.closedFrame == nil {
                    association.closedFrame = frame
                    association.closedTime = time
                    associations[key] = association
                    return association
                }
            }
            return nil
        }
        let fromClient: Bool
        let key: Key
        if connections[forward] != nil {
            (key, fromClient) = (forward, true)
        } else if connections[backward] != nil {
            (key, fromClient) = (backward, false)
        } else if header.isSYN && !header.isACK {
            guard connections.count < maximumConnections else {
                givenUp += 1
                return nil
            }
            connections[forward] = Connection()
            return nil
        } else {
            return nil
        }
        guard payload.count > 0, var connection = connections[key] else { return nil }
        let side = fromClient ? 0 : 1
        let sequence = header.sequenceNumber
        if let expected = connection.expectedSequence[side], expected != sequence {
            // A retransmission or a hole: a handshake is followed only in order; give it up.
            if sequence &- expected > 0x8000_0000 { return nil }  // old data again
            connections.removeValue(forKey: key)
            givenUp += 1
            return nil
        }
        connection.expectedSequence[side] = sequence &+ UInt32(payload.count)
        connection.pending[side] += payload
        var done = false
        loop: while true {
            let step = connection.pending[side].withUnsafeBytes { connection.socks.consume($0, fromClient: fromClient) }
            switch step {
            case .message(let message):
                connection.pending[side].removeFirst(min(message.length, connection.pending[side].count))
            case .preamble(let n):
                connection.pending[side].removeFirst(min(n, connection.pending[side].count))
            case .needMore:
                if connection.pending[side].count > Self.maximumPending { done = true }
                break loop
            case .awaitPeer:
                break loop
            case .tunnel, .unexpectedData, .notSOCKS, .malformed:
                done = true
                break loop
            }
            if connection.socks.status != .negotiating { done = true; break loop }
        }
        if connection.socks.status == .udpAssociated {
            let relayAddress = connection.socks.udpRelayAddress.flatMap { $0 == IPAddress(ipv4: 0) ? nil : $0 } ?? key.server.address
            let relay = Endpoint(address: relayAddress, port: connection.socks.udpRelayPort)
            associations[key] = Association(client: key.client, proxy: key.server, relay: relay, grantedFrame: frame)
            byRelay[relay] = key
        }
        if done { connections.removeValue(forKey: key) } else { connections[key] = connection }
        return nil
    }

    /// The association a datagram to or from this endpoint belongs to (its relay).
    public func association(relay: Endpoint) -> Association? {
        byRelay[relay].flatMap { associations[$0] }
    }
}
