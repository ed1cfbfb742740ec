import Bytes
import Capture
import Diagnosis
import Report
import Tracking
import Wire

/// Evidence the analyzer hands the rules from beyond one packet: endpoints advertised inside the
/// protocols, and the gateway matcher's verdicts.
extension Analyzer {
    /// Counts, flow protocols and advertised endpoints of the PDUs the current frame completed.
    func noteStreamFrame(frame: UInt64, flow: FlowHandle?) {
        for a in streamFrame.oscar.advertised {
            peerPorts.advertise(a.endpoint, uin: a.uin, source: .oscarDirectConnection,
                                     isLANAddress: a.isLAN && a.endpoint.address.isPrivate, frame: frame)
        }
        if streamFrame.oscar.hasRendezvous { noteRendezvous(frame: frame) }
        for a in streamFrame.advertised {
            peerPorts.advertise(a.endpoint, uin: a.uin, source: a.source,
                                     isLANAddress: a.isLAN && a.endpoint.address.isPrivate, frame: frame)
        }
        if streamFrame.oscar.pduCount > 0 {
            evidence.icqTCPConversation(frame: frame)
            summary.count(.oscar)
            if let flow { flowTable.addProtocol(.oscar, to: flow) }
        }
        if streamFrame.socksCount > 0 {
            evidence.proxyConversation(frame: frame)
            if let client = streamFrame.socks4Client { socks4UDP.socks4Request(client: client.address, frame: frame) }
            summary.count(.socks)
            if let flow { flowTable.addProtocol(.socks, to: flow) }
        }
        if streamFrame.peerCount > 0 {
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

    /// The endpoints rendezvous proposals named (rare: out of the per-frame path).
    @inline(never)
    func noteRendezvous(frame: UInt64) {
        for a in streamFrame.oscar.rendezvous {
            peerPorts.advertise(a.endpoint, uin: a.uin, source: .rendezvous,
                                isLANAddress: a.isLAN && a.endpoint.address.isPrivate, frame: frame, application: a.application)
        }
    }

    func unforwarded(_ u: GatewayMatcher.Unforwarded) {
        // Before the rules: a finding the verdict establishes shows the frame as dropped.
        briefs?.unforwarded(frame: u.frame)
        html?.dropped(frame: u.frame)
        icqAnalysis.unforwarded(u)
        peerPorts.gatewayVerdict(frame: u.frame, forwarded: false, time: u.time)
    }

    /// The TCP listening ports classic ICQ packets advertise, for rule R4.
    func noteAdvertisedEndpoints(_ p: ICQPacket, decoded: DecodedPacket, frame: UInt64) {
        switch p.body {
        case .login(let login):
            guard let port = UInt16(exactly: login.tcpPort), let seen = decoded.sourceAddress else { return }
            peerPorts.advertise(Endpoint(address: seen, port: port), uin: p.header.uin, source: .login, frame: frame,
                                connectionMode: login.connectionMode)
            if let uin = p.header.uin { peerPorts.noteLogin(uin: uin, from: seen) }
            peerPorts.advertise(Endpoint(address: login.lanIP, port: port), uin: p.header.uin, source: .login,
                                isLANAddress: true, frame: frame, connectionMode: login.connectionMode)
        case .userOnline(let online):
            guard let port = UInt16(exactly: online.tcpPort) else { return }
            peerPorts.advertise(Endpoint(address: online.externalIP, port: port), uin: online.uin, source: .userOnline,
                                frame: frame, connectionMode: online.connectionMode)
            peerPorts.advertise(Endpoint(address: online.lanIP, port: port), uin: online.uin, source: .userOnline,
                                isLANAddress: true, frame: frame, connectionMode: online.connectionMode)
        case .tcpRequest(let request):
            guard let port = UInt16(exactly: request.port) else { return }
            peerPorts.advertise(Endpoint(address: request.ip, port: port), uin: request.uin, source: .tcpRequest, frame: frame)
        default:
            break
        }
    }
}
