import Bytes
import Capture
import Diagnosis
import Report
import Tracking
import Wire

extension Analyzer {
    /// Everything above layer 4: the flow table, the ICQ-family decoders and the trackers. `bytes`
    /// is the frame, or the reassembled datagram when the frame completed a fragmented one.
    func analyzeTransport(_ packet: CapturedPacket, _ decoded: DecodedPacket, bytes: UnsafeRawBufferPointer,
                                  vlan: UInt16) {
        if decoded.network == nil {
            // Still moves the capture clock, so flows expire on time.
            flowTable.advance(to: packet.timestampNanos)
            return
        }
        let observation = flowTable.process(packet, decoded, bytes: bytes, vlan: vlan)
        // A shard marks the outside hosts of its frames at each flow's first (a fragment never
        // gets here in a shard: the file is then read on one thread).
        if let shard, observation?.isNewFlow ?? true {
            shard.hosts.markFrame(source: decoded.sourceAddress, destination: decoded.destinationAddress)
        }
        var partner: UInt64? = nil
        let side = decoded.link?.interfaceIndex.map { Int($0) } ?? packet.interfaceIndex
        sidesSeen.note(side)
        if twoSided {
            partner = gateway.observe(frame: packet.frameNumber, time: packet.timestampNanos, side: side,
                                      decoded: decoded, bytes: bytes)
        }
        defer {
            if let partner {
                icqAnalysis.forwarded(frame: partner)
                icqAnalysis.forwarded(frame: packet.frameNumber)
                attempts.gatewayVerdict(frame: partner, forwarded: true, time: packet.timestampNanos)
            }
        }
        decodeQuoted(decoded, bytes: bytes)
        switch decoded.transport {
        case .icmp(let message) where message.type == 3:
            if let quoted = message.quoted, quoted.protocolNumber == IPProtocol.udp {
                icqAnalysis.icmpError(ICQMessageQuote(frame: packet.frameNumber, time: packet.timestampNanos,
                                                      code: message.code, quoted: quoted, icq: quotedICQ.header))
            }
            // Both copies of an error that crossed the gateway: each quotes the attempt as its side saw it.
            attempts.icmp(message, decoded: decoded, frame: packet.frameNumber, time: packet.timestampNanos,
                          twoSided: twoSided && sidesSeen.second != nil)
        case .tcp(let tcp):
            if let shard { shardMovesAttemptClock(shard, tcp, decoded, time: packet.timestampNanos) }
            // A file that declares a second interface but holds one side's packets (a split
            // capture) gets no verdict on a reset: one side seen, one vantage point.
            attempts.tcp(tcp, decoded: decoded, frame: packet.frameNumber, time: packet.timestampNanos,
                         twoSided: twoSided && sidesSeen.second != nil, isCopy: partner != nil)
            if partner == nil {
                // A gateway's forwarded copy would feed the same stream twice: only the first is read.
                // A stream opens at the connection's first bytes, with the handshake the flow saw,
                // and is let go (the flow remembers) once nothing in it can be decoded.
                let flow = observation?.handle
                if tcp.isSYN && !tcp.isACK, let flow { flowTable.clearStreamDone(flow) }
                if flow.map({ !flowTable.isStreamDone($0) }) ?? true {
                    let handshake = decoded.payloadLength > 0 ? flow.flatMap { flowTable.handshake(of: $0) } : nil
                    if streams.ingest(decoded, frame: packet.frameNumber, bytes: bytes, handshake: handshake,
                                      sink: &streamFrame), let flow {
                        flowTable.markStreamDone(flow)
                    }
                }
                noteStreamFrame(frame: packet.frameNumber, flow: observation?.handle)
            }
            if partner == nil, tcp.isFIN || tcp.isRST, !socksAssociations.isEmpty,
               let src = decoded.sourceAddress, let dst = decoded.destinationAddress,
               let ended = socksAssociations.controlConnectionEnded(
                   Endpoint(address: src, port: tcp.sourcePort), Endpoint(address: dst, port: tcp.destinationPort),
                   frame: packet.frameNumber, time: packet.timestampNanos) {
                socks.associationEnded(ended)
            }
        default:
            break
        }
        if case .udp(let udp) = decoded.transport {
            let payload = decoded.payload(of: bytes)
            socksUDP = nil
            if let relayed = socksRelayed(decoded, udp, payload: payload) {
                // ICQ through a SOCKS5 UDP association: the header names the real server; the
                // datagram inside is classic ICQ between the client and that server.
                socksUDP = (relayed.header, payload)
                let inner = UnsafeRawBufferPointer(rebasing: payload[relayed.header.inner])
                icqResult = icq.decode(inner, direction: relayed.toRelay ? .clientToServer : .serverToClient)
                socks.datagram(relay: relayed.relay, client: relayed.client, toRelay: relayed.toRelay, frame: packet.frameNumber,
                               time: packet.timestampNanos, uin: icqResult.packet?.header.uin)
                noteICQResult(packet, relayed.inner, side: side, flow: observation?.handle)
            } else {
                icqResult = icq.classify(payload, sourcePort: udp.sourcePort, destinationPort: udp.destinationPort)
                noteICQResult(packet, decoded, side: side, flow: observation?.handle)
                if case .icq(let p) = icqResult, p.header.direction == .clientToServer,
                   p.header.command == ICQCommand.Client.login || p.header.command == ICQCommand.Client.keepAlive {
                    shard?.mappingDigests.insert(ShardContext.digest(payload))
                    noteUDPMapping(packet, decoded, udp, payload: payload, side: side)
                }
            }
        }
        if briefs != nil { noteBrief(packet, decoded, side: side, partner: partner) }
    }

    /// `--html` and `--write-evidence` only: the frame's brief, and the page's timelines. Out of
    /// line, so that the path every packet takes stays as it was without them.
    @inline(never)
    func noteBrief(_ packet: CapturedPacket, _ decoded: DecodedPacket, side: Int, partner: UInt64?) {
        guard let briefs, let brief = briefs.packet(packet, decoded, side: side, icq: icqResult) else { return }
        html?.packet(brief, twoSided: twoSided, partner: partner, advertised: attempts.advertised)
    }

    /// What the ICQ classifier said about a datagram (`decoded`: as sent, or as if sent directly
    /// when it was relayed through a SOCKS5 association): counts, the session tracker, advertised
    /// endpoints and the flow's protocols.
    func noteICQResult(_ packet: CapturedPacket, _ decoded: DecodedPacket, side: Int, flow: FlowHandle?) {
        switch icqResult {
        case .icq(let p):
            if p.header.direction == .clientToServer {
                if firstClientSide == nil { firstClientSide = side }
                // A host's datagrams to the server say what TTL and IP ids its packets arrive
                // with here: a reset in its name that does not fit was forged on the way
                // (one-sided captures).
                if !(twoSided && sidesSeen.second != nil) { attempts.noteSender(decoded, time: packet.timestampNanos) }
            }
            summary.count(.icq)
            summary.icq.count(p)
            icqAnalysis.observe(p, decoded: decoded, frame: packet.frameNumber, time: packet.timestampNanos,
                                side: side, twoSided: twoSided)
            noteAdvertisedEndpoints(p, decoded: decoded, frame: packet.frameNumber)
            if let flow {
                flowTable.addProtocol(.icq, to: flow)
                if let uin = p.header.uin, uin != 0 { flowTable.addUIN(uin, to: flow) }
            }
        case .malformed(var m, let header):
            // Offsets in the record are from the start of the frame (or reassembled datagram).
            m.offset += decoded.payloadOffset
            icqResult = .malformed(m, header: header)
            summary.countMalformed(m)
        case .notICQ:
            break
        }
    }
}
