import Bytes
import Wire

/// A SOCKS5 UDP association: granted on a TCP control connection, it lasts as long as that
/// connection does (RFC 1928 §7).
public struct SOCKSAssociation: Sendable, Equatable {
    /// The control connection: the client's endpoint and the proxy's.
    public var client: Endpoint
    public var proxy: Endpoint
    /// The relay the client must send its datagrams to.
    public var relay: Endpoint
    public var grantedFrame: UInt64
    /// The segment (FIN or RST) that ended the control connection, and so the association.
    public var closedFrame: UInt64? = nil
    public var closedTime: Int64? = nil

    public init(client: Endpoint, proxy: Endpoint, relay: Endpoint, grantedFrame: UInt64) {
        self.client = client
        self.proxy = proxy
        self.relay = relay
        self.grantedFrame = grantedFrame
    }
}

/// The UDP associations the stream decoder saw granted (`StreamEvidence.associations`), by
/// control connection and by relay: which datagrams are relayed ICQ, and when an association
/// ended. Bounded: at most `maximum`, the oldest forgotten first (counted in `forgotten`).
public final class SOCKSAssociations {
    struct ControlConnection: Hashable {
        var client: Endpoint
        var proxy: Endpoint
    }

    public let maximum: Int
    private var byControl: [ControlConnection: SOCKSAssociation] = [:]
    private var byRelay: [Endpoint: ControlConnection] = [:]
    /// Control connections in the order they were granted: a ring whose oldest is at `oldest`
    /// once it is full.
    private var order: [ControlConnection] = []
    private var oldest = 0
    public private(set) var forgotten: UInt64 = 0

    public init(maximum: Int = 4096) {
        self.maximum = max(1, maximum)
    }

    public var isEmpty: Bool { byControl.isEmpty }

    public func grant(_ association: SOCKSAssociation) {
        let key = ControlConnection(client: association.client, proxy: association.proxy)
        if let replaced = byControl.updateValue(association, forKey: key) {
            // The same endpoints' earlier association (a reused port): its relay leads nowhere now.
            if replaced.relay != association.relay && byRelay[replaced.relay] == key { byRelay.removeValue(forKey: replaced.relay) }
        } else if order.count < maximum {
            order.append(key)
        } else {
            let forgottenKey = order[oldest]
            if let old = byControl.removeValue(forKey: forgottenKey), byRelay[old.relay] == forgottenKey {
                byRelay.removeValue(forKey: old.relay)
            }
            forgotten += 1
            order[oldest] = key
            oldest = oldest + 1 == order.count ? 0 : oldest + 1
        }
        byRelay[association.relay] = key
    }

    /// A FIN or RST between these endpoints: when they are an association's control connection
    /// (either way round), the association ends here (once); returns it.
    public func controlConnectionEnded(_ source: Endpoint, _ destination: Endpoint, frame: UInt64,
                                       time: Int64) -> SOCKSAssociation? {
        guard !byControl.isEmpty else { return nil }
        return close(ControlConnection(client: source, proxy: destination), frame: frame, time: time)
            ?? close(ControlConnection(client: destination, proxy: source), frame: frame, time: time)
    }

    /// The association whose relay is this endpoint, if any.
    public func association(relay: Endpoint) -> SOCKSAssociation? {
        guard !byRelay.isEmpty, let key = byRelay[relay] else { return nil }
        return byControl[key]
    }

    private func close(_ key: ControlConnection, frame: UInt64, time: Int64) -> SOCKSAssociation? {
        guard var association = byControl[key], association.closedFrame == nil else { return nil }
        association.closedFrame = frame
        association.closedTime = time
        byControl[key] = association
        return association
    }
}
