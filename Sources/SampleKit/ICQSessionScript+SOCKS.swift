import Bytes

/// The TCP control connection of a SOCKS5 UDP association (RFC 1928 §4–§7, mICQ's procedure in
/// docs/flow-semantics.md#socks): the association lives as long as this connection.
struct SOCKSControl {
    var clientPort: UInt16
    var proxy: Endpoint
    var clientSeq: UInt32
    var proxySeq: UInt32
    var proxyIDs: SimHost
}

extension ICQSessionScript {
    /// Opens the control connection to `proxy` (TCP 1080) at `now` and asks for a UDP association
    /// as mICQ does: method negotiation (no authentication), then UDP ASSOCIATE with DST.ADDR
    /// 0.0.0.0 and DST.PORT = the client's UDP port; the reply's BND.ADDR/BND.PORT is the relay of
    /// `setup.socksRelay`. Frames: all `socks.control`; `socks.associate` (the request),
    /// `socks.reply`. The client's clock moves past the reply.
    public mutating func socksAssociate(proxy: Endpoint) {
        guard let relay = setup.socksRelay else { preconditionFailure("socksAssociate needs setup.socksRelay") }
        let port = nextEphemeralTCPPort
        nextEphemeralTCPPort &+= 1
        var control = SOCKSControl(clientPort: port, proxy: proxy, clientSeq: randomU32(), proxySeq: randomU32(),
                                   proxyIDs: SimHost(address: proxy.address.ipv4Value, ttl: 64, nextID: 0x3000))
        let lan: Int64 = 250_000
        var t = now
        let all = "socks.control"
        controlSegment(&control, fromClient: true, at: t, flags: [.syn], options: Self.synOptions, names: [all])
        control.clientSeq &+= 1
        t += lan
        controlSegment(&control, fromClient: false, at: t, flags: [.syn, .ack], options: [2, 4, 0x05, 0xB4], names: [all])
        control.proxySeq &+= 1
        t += lan
        controlSegment(&control, fromClient: true, at: t, flags: [.ack], names: [all])
        t += 100_000
        controlSegment(&control, fromClient: true, at: t, flags: [.psh, .ack], payload: [5, 1, 0], names: [all, "socks.greeting"])
        t += lan
        controlSegment(&control, fromClient: false, at: t, flags: [.psh, .ack], payload: [5, 0], names: [all, "socks.method"])
        t += lan
        var associate: [UInt8] = [5, 3, 0, 1, 0, 0, 0, 0]
        associate.appendBE16(setup.clientPort)
        controlSegment(&control, fromClient: true, at: t, flags: [.psh, .ack], payload: associate, names: [all, "socks.associate"])
        t += lan
        var reply: [UInt8] = [5, 0, 0, 1]
        reply.appendBE32(relay.address.ipv4Value)
        reply.appendBE16(relay.port)
        controlSegment(&control, fromClient: false, at: t, flags: [.psh, .ack], payload: reply, names: [all, "socks.reply"])
        t += 40_000_000  // the client's delayed ack
        controlSegment(&control, fromClient: true, at: t, flags: [.ack], names: [all])
        socksControl = control
        at(t + 1_000_000)
    }

    /// A SOCKS4 CONNECT through `proxy` to `target` at `now` (SOCKS4 carries TCP only): the
    /// handshake with the proxy, the request (user id "icq") and the proxy's grant (0x5A).
    /// Frames: all `socks4.control`; `socks4.request`, `socks4.reply`. The connection stays open.
    public mutating func socks4Connect(proxy: Endpoint, to target: Endpoint) {
        let port = nextEphemeralTCPPort
        nextEphemeralTCPPort &+= 1
        var control = SOCKSControl(clientPort: port, proxy: proxy, clientSeq: randomU32(), proxySeq: randomU32(),
                                   proxyIDs: SimHost(address: proxy.address.ipv4Value, ttl: 64, nextID: 0x4000))
        let lan: Int64 = 250_000
        var t = now
        let all = "socks4.control"
        controlSegment(&control, fromClient: true, at: t, flags: [.syn], options: Self.synOptions, names: [all])
        control.clientSeq &+= 1
        t += lan
        controlSegment(&control, fromClient: false, at: t, flags: [.syn, .ack], options: [2, 4, 0x05, 0xB4], names: [all])
        control.proxySeq &+= 1
        t += lan
        controlSegment(&control, fromClient: true, at: t, flags: [.ack], names: [all])
        t += 100_000
        var request: [UInt8] = [4, 1]
        request.appendBE16(target.port)
        request.appendBE32(target.address.ipv4Value)
        request += Array("icq".utf8) + [0]
        controlSegment(&control, fromClient: true, at: t, flags: [.psh, .ack], payload: request, names: [all, "socks4.request"])
        t += lan
        var reply: [UInt8] = [0, 0x5A]
        reply.appendBE16(target.port)
        reply.appendBE32(target.address.ipv4Value)
        controlSegment(&control, fromClient: false, at: t, flags: [.psh, .ack], payload: reply, names: [all, "socks4.reply"])
        t += 40_000_000
        controlSegment(&control, fromClient: true, at: t, flags: [.ack], names: [all])
        at(t + 1_000_000)
    }

    /// Ends the control connection at `now` with FINs: the proxy first (its idle timeout, or it
    /// was restarted) or the client first (it logs off). Frames `socks.control`, `socks.fin` (both
    /// FINs).
    public mutating func socksClose(byProxy: Bool) {
        guard var control = socksControl else { preconditionFailure("no SOCKS control connection") }
        let all = "socks.control"
        let lan: Int64 = 250_000
        var t = now
        controlSegment(&control, fromClient: !byProxy, at: t, flags: [.fin, .ack], names: [all, "socks.fin"])
        if byProxy { control.proxySeq &+= 1 } else { control.clientSeq &+= 1 }
        t += lan
        controlSegment(&control, fromClient: byProxy, at: t, flags: [.fin, .ack], names: [all, "socks.fin"])
        if byProxy { control.clientSeq &+= 1 } else { control.proxySeq &+= 1 }
        t += lan
        controlSegment(&control, fromClient: !byProxy, at: t, flags: [.ack], names: [all])
        socksControl = nil
        at(t + 1_000_000)
    }

    private mutating func controlSegment(_ control: inout SOCKSControl, fromClient: Bool, at time: Int64,
                                         flags: FrameBuilder.TCPFlags, options: [UInt8] = [], payload: [UInt8] = [],
                                         names: [String]) {
        let proxyIP = control.proxy.address.ipv4Value
        let packet: [UInt8]
        if fromClient {
            packet = SimPacket.tcp(from: setup.clientIP, control.clientPort, to: proxyIP, control.proxy.port,
                                   sequence: control.clientSeq, acknowledgement: flags.contains(.ack) ? control.proxySeq : 0,
                                   flags: flags, options: options, payload: payload, ttl: clientHost.ttl,
                                   id: clientHost.identification())
            control.clientSeq &+= UInt32(payload.count)
        } else {
            packet = SimPacket.tcp(from: proxyIP, control.proxy.port, to: setup.clientIP, control.clientPort,
                                   sequence: control.proxySeq, acknowledgement: control.clientSeq, flags: flags,
                                   options: options, payload: payload, ttl: 64, id: control.proxyIDs.identification())
            control.proxySeq &+= UInt32(payload.count)
        }
        timeline.add(time: time, interface: insideInterface, frame: SimPacket.frame(packet), names: names)
    }
}
