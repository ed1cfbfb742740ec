import Bytes
import Capture
import Diagnosis
import Report
import Tracking
import Wire

/// Evidence the analyzer hands the rules from beyond one packet: endpoints advertised inside the
/// protocols, and the gateway matcher's verdicts.
extension Analyzer {
    /// A client's login or keep-alive, compared with the last few for the copy a UDP mapping
    /// forwards to the server.
    func noteUDPMapping(_ packet: CapturedPacket, _ decoded: DecodedPacket, _ udp: UDPHeader,
                        payload: UnsafeRawBufferPointer, side: Int) {
        guard let src = decoded.sourceAddress, let dst = decoded.destinationAddress,
              let mapping = udpMappings.clientDatagram(
                  payload, source: Endpoint(address: src, port: udp.sourcePort),
                  destination: Endpoint(address: dst, port: udp.destinationPort),
                  side: side, frame: packet.frameNumber, time: packet.timestampNanos) else { return }
        shard?.noteConflict("a UDP mapping was found (the same datagram from another source)")
        evidence.udpMapping(mapping)
    }

    /// Counts, flow protocols and advertised endpoints of the PDUs the current frame completed.
    func noteStreamFrame(frame: UInt64, flow: FlowHandle?) {
        // Most segments complete nothing: the evidence is not copied out (with its lists) for them.
        guard streamFrame.evidence.isDirty else { return }
        let found = streamFrame.evidence
        for a in found.advertised {
            advertise(a.endpoint, uin: a.uin, source: a.source, isLANAddress: a.isLANAddress, frame: frame,
                      application: a.application)
        }
        for association in found.associations {
            shard?.relays.insert(association.relay)
            socksAssociations.grant(association)
        }
        if found.oscarPDUs > 0 {
            evidence.icqTCPConversation(frame: frame)
            summary.count(.oscar)
            if let flow { flowTable.addProtocol(.oscar, to: flow) }
        }
        if found.socksMessages > 0 {
            evidence.proxyConversation(frame: frame)
            if let client = found.socks4Client { socks4UDP.socks4Request(client: client.address, frame: frame) }
            summary.count(.socks)
            if let flow { flowTable.addProtocol(.socks, to: flow) }
        }
        if found.peerPDUs > 0 {
            summary.count(.icqPeer)
            if let flow {
                flowTable.addProtocol(.peer, to: flow)
                if let responder = flowTable.endpoints(of: flow)?.responder {
                    evidence.peerConnection(port: responder.port, frame: frame)
                    peerPorts.peerConversation(responder: responder, frame: frame)
                }
            }
        }
    }

    func unforwarded(_ u: GatewayMatcher.Unforwarded) {
        // Before the rules: a finding the verdict establishes shows the frame as dropped.
        briefs?.unforwarded(frame: u.frame)
        html?.dropped(frame: u.frame)
        icqAnalysis.unforwarded(u)
        attempts.gatewayVerdict(frame: u.frame, forwarded: false, time: u.time)
    }

    /// The TCP listening ports classic ICQ packets advertise, for rule R4.
    func noteAdvertisedEndpoints(_ p: ICQPacket, decoded: DecodedPacket, frame: UInt64) {
        switch p.body {
        case .login(let login):
            guard let port = UInt16(exactly: login.tcpPort), let seen = decoded.sourceAddress else { return }
            advertise(Endpoint(address: seen, port: port), uin: p.header.uin, source: .login, frame: frame,
                                connectionMode: login.connectionMode)
            if let uin = p.header.uin {
                attempts.noteLogin(uin: uin, from: seen)
                shard?.records.append(.login(uin: uin, address: seen))
            }
            advertise(Endpoint(address: login.lanIP, port: port), uin: p.header.uin, source: .login,
                                isLANAddress: true, frame: frame, connectionMode: login.connectionMode)
        case .userOnline(let online):
            guard let port = UInt16(exactly: online.tcpPort) else { return }
            advertise(Endpoint(address: online.externalIP, port: port), uin: online.uin, source: .userOnline,
                                frame: frame, connectionMode: online.connectionMode)
            advertise(Endpoint(address: online.lanIP, port: port), uin: online.uin, source: .userOnline,
                                isLANAddress: true, frame: frame, connectionMode: online.connectionMode)
        case .tcpRequest(let request):
            guard let port = UInt16(exactly: request.port) else { return }
            advertise(Endpoint(address: request.ip, port: port), uin: request.uin, source: .tcpRequest, frame: frame)
        default:
            break
        }
    }

    /// An endpoint advertised inside a protocol: followed for connection attempts, and listed in
    /// the ledger of the guide's peer ports.
    func advertise(_ endpoint: Endpoint, uin: UInt32?, source: AdvertisedEndpoints.Source,
                   isLANAddress: Bool = false, frame: UInt64, connectionMode: UInt8? = nil, application: UInt8? = nil) {
        attempts.advertise(endpoint, uin: uin, source: source, isLANAddress: isLANAddress, frame: frame,
                           connectionMode: connectionMode, application: application)
        if let shard {
            // The merge hands it to the ledger in one thread's order.
            return shard.records.appendAdvertisement(AdvertisedEndpoints.Entry(
                endpoint: endpoint, uin: uin, source: source, isLANAddress: isLANAddress, frame: frame,
                connectionMode: connectionMode, application: application))
        }
        peerPorts.advertised(endpoint, uin: uin, source: source, isLANAddress: isLANAddress, frame: frame,
                             connectionMode: connectionMode, application: application)
    }
}
