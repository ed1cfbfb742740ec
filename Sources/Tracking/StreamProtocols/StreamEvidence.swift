import Bytes
import Wire

/// What the TCP stream decoder's PDUs prove beyond themselves, gathered while one frame is
/// analysed: the endpoints advertised inside them, SOCKS requests and the UDP associations a
/// proxy granted, and how many PDUs of each protocol the frame completed. Tracking derives it
/// here, once, so that the rules consume typed evidence and the report only renders PDUs.
public struct StreamEvidence: StreamProtocolSink {
    /// An endpoint a PDU announced: where a peer will listen for, or has been told to expect, a
    /// TCP connection.
    public struct Advertised: Sendable, Equatable {
        public var endpoint: Endpoint
        public var uin: UInt32?
        public var source: AdvertisedEndpoints.Source
        /// Advertised as a LAN address (and private): such an address is not reachable through
        /// the gateway, so an attempt to it says nothing about the firewall.
        public var isLANAddress: Bool
        /// The external application (voice, video, games) a rendezvous proposed the endpoint for
        /// (`ExternalApplicationCapability`'s index).
        public var application: UInt8? = nil
    }

    public private(set) var advertised: [Advertised] = []
    /// UDP associations granted in this frame (the proxy's reply to UDP ASSOCIATE).
    public private(set) var associations: [SOCKSAssociation] = []
    /// The client of a SOCKS4 (or 4a) request in this frame (SOCKS4 carries no UDP).
    public private(set) var socks4Client: Endpoint? = nil
    public private(set) var oscarPDUs = 0
    public private(set) var socksMessages = 0
    public private(set) var peerPDUs = 0
    /// Whether anything was noted since the last `begin` (most frames complete no PDU).
    public private(set) var isDirty = false
    /// The frame being analysed: a grant is known by the frame that completed it.
    public private(set) var frame: UInt64 = 0
    public let peerScratch: PeerScratch

    /// `peerScratch`: where encrypted peer messages are decrypted (shared with whoever renders them).
    public init(peerScratch: PeerScratch = PeerScratch()) {
        self.peerScratch = peerScratch
    }

    public mutating func oscarPDU(_ pdu: OSCARPDU, from: Endpoint, to: Endpoint, frame: UInt64) {
        isDirty = true
        oscarPDUs += 1
        noteDirectConnectionInfo(pdu, from: from)
    }

    public mutating func oscarGap(_ gap: StreamGap, from: Endpoint, to: Endpoint) {}

    /// `connection` is the handshake's state after the message; `from` sent it.
    public mutating func socksMessage(_ message: SOCKSMessage, bytes: UnsafeRawBufferPointer,
                                      connection: SOCKSConnection, from: Endpoint, to: Endpoint) {
        isDirty = true
        socksMessages += 1
        if message.kind == .v4Request { socks4Client = from }
        // BIND's first reply names where the proxy listens for the peer (0.0.0.0: the proxy itself).
        if message.isSuccessReply && connection.command == 2 && connection.status == .negotiating, message.port != 0 {
            let address = message.address.flatMap { $0 == IPAddress(ipv4: 0) ? nil : $0 } ?? from.address
            advertise(Endpoint(address: address, port: message.port), uin: nil, source: .socksBind, isLAN: true)
        }
        // The reply that grants UDP ASSOCIATE: the relay (0.0.0.0: the proxy's own address). The
        // SOCKS client is the TCP originator, so the reply goes to it.
        if message.isSuccessReply && connection.status == .udpAssociated {
            let relayAddress = connection.udpRelayAddress.flatMap { $0 == IPAddress(ipv4: 0) ? nil : $0 } ?? from.address
            associations.append(SOCKSAssociation(client: to, proxy: from,
                                                 relay: Endpoint(address: relayAddress, port: connection.udpRelayPort),
                                                 grantedFrame: frame))
        }
    }

    public mutating func peerPDU(_ pdu: PeerPDU, bytes: UnsafeRawBufferPointer, connection: PeerConnection,
                                 from: Endpoint, to: Endpoint) {
        isDirty = true
        peerPDUs += 1
        switch pdu.content {
        case .initPacket(let i):
            let port = UInt16(truncatingIfNeeded: i.listenPort2 != 0 ? i.listenPort2 : i.listenPort)
            if port != 0 {
                advertise(Endpoint(address: i.externalIP, port: port), uin: i.uin, source: .peerInit, isLAN: false)
                advertise(Endpoint(address: i.internalIP, port: port), uin: i.uin, source: .peerInit, isLAN: true)
            }
        case .message(let m):
            noteAcceptedPort(m, from: from)
        default:
            break
        }
    }

    /// An acknowledgement that accepts a file, a chat or an external application names the port
    /// its sender listens on for the connection that follows (docs/protocol.md#peer-ports): at the
    /// address the acknowledgement came from.
    mutating func noteAcceptedPort(_ m: PeerMessage, from: Endpoint) {
        guard m.command == PeerMessage.commandAck, m.status == 0, let port = m.port, port != 0 else { return }
        let application = m.plugin?.isExternalApplication == true ? ExternalApplicationCapability.classicExternalPlugin : nil
        advertise(Endpoint(address: from.address, port: port), uin: nil, source: .peerAck, isLAN: false,
                  application: application)
    }

    /// Direct-connection endpoints an OSCAR PDU advertised (buddy arrived, set status): the peer's
    /// internal address and TCP port, and its external address with the same port.
    mutating func noteDirectConnectionInfo(_ pdu: OSCARPDU, from: Endpoint) {
        // ICBM channel 2 (a rendezvous), told from the SNAC header and the channel's two bytes
        // after the cookie: every other message costs a few compares, not a copy of its body.
        if let snac = pdu.snac, snac.family == 4, snac.subtype == 6 || snac.subtype == 7,
           pdu.data.count >= pdu.snacBodyOffset + 10,
           pdu.data[pdu.snacBodyOffset + 8] == 0, pdu.data[pdu.snacBodyOffset + 9] == 2 {
            noteRendezvous(pdu, from: from)
            return
        }
        let presence: PresenceTLVs
        var uin: UInt32? = nil
        switch pdu.body {
        case .loginReply(let reply), .signOff(let reply):
            noteBOSRedirect(reply)
            return
        case .userInfo(let list):
            presence = list.first.presence
            uin = ScreenName.uin(list.first.screenName)
        case .setStatus(let p):
            presence = p
        default:
            return
        }
        guard let dc = presence.dcInfo, let port = UInt16(exactly: dc.tcpPort), port != 0 else { return }
        advertise(Endpoint(address: dc.internalAddress, port: port), uin: uin, source: .oscarDirectConnection, isLAN: true)
        if let external = presence.externalAddress {
            advertise(Endpoint(address: external, port: port), uin: uin, source: .oscarDirectConnection, isLAN: false)
        } else if case .setStatus = pdu.body {
            // A client's own status: the address it is seen from is its external one.
            advertise(Endpoint(address: from.address, port: port), uin: uin, source: .oscarDirectConnection, isLAN: false)
        }
    }

    /// The login server's redirect: the client's next connection goes to the BOS address (a
    /// dotted IPv4 address; a host name cannot be followed from the capture).
    mutating func noteBOSRedirect(_ reply: LoginReply) {
        guard let text = reply.bosAddress, let address = ServerAddress.ipv4(ServerAddress.host(text)) else { return }
        let uin = reply.screenName.flatMap(ScreenName.uin)
        advertise(Endpoint(address: address, port: ServerAddress.port(text)), uin: uin, source: .bosRedirect, isLAN: false)
    }

    /// A rendezvous proposal: the proposer listens on TLV 5's port at its internal address (TLV
    /// 3) and at its external one (TLV 4, which the server adds to what it relays; for a proposal
    /// the client sends, the address it is seen from).
    @inline(never)
    mutating func noteRendezvous(_ pdu: borrowing OSCARPDU, from: Endpoint) {
        guard case .icbm(let m) = pdu.body, let r = m.rendezvous, r.messageType == 0, let port = r.port, port != 0 else { return }
        let application = ExternalApplicationCapability.index(of: r.capability)
        // (04,07) names the sender (the proposer); (04,06) the recipient.
        let uin = m.sender != nil ? ScreenName.uin(m.screenName) : nil
        if let lan = r.internalAddress {
            advertise(Endpoint(address: lan, port: port), uin: uin, source: .rendezvous, isLAN: true, application: application)
        }
        if let external = r.externalAddress {
            advertise(Endpoint(address: external, port: port), uin: uin, source: .rendezvous, isLAN: false, application: application)
        } else if m.sender == nil {
            advertise(Endpoint(address: from.address, port: port), uin: uin, source: .rendezvous, isLAN: false,
                      application: application)
        }
    }

    /// A LAN address counts as one only when it is private: a public "internal" address is as
    /// reachable as any other.
    mutating func advertise(_ endpoint: Endpoint, uin: UInt32?, source: AdvertisedEndpoints.Source, isLAN: Bool,
                            application: UInt8? = nil) {
        advertised.append(Advertised(endpoint: endpoint, uin: uin, source: source,
                                     isLANAddress: isLAN && endpoint.address.isPrivate, application: application))
    }

    /// Ready for frame `frame` (buffers kept).
    public mutating func begin(frame: UInt64) {
        self.frame = frame
        guard isDirty else { return }
        isDirty = false
        if !advertised.isEmpty { advertised.removeAll(keepingCapacity: true) }
        if !associations.isEmpty { associations.removeAll(keepingCapacity: true) }
        socks4Client = nil
        oscarPDUs = 0
        socksMessages = 0
        peerPDUs = 0
    }
}
