/// SOCKS5 connections (RFC 1928) to the ISP's proxy on TCP 1080: no-authentication method, a
/// CONNECT to a web server's port 443 by IPv4 address, the proxy's reply, then tunnelled TLS-like
/// bytes both ways and FINs: 14 packets, 4 of them SOCKS handshake messages.
extension GatewayMix {
    static let proxyTTL: UInt8 = 60

    func socksProxy(_ user: Int) -> UInt32 { 0xCB00_7150 &+ UInt32(user % 4) }  // 203.0.113.80–83

    func socksEpisode(_ user: Int, at time: Int64) {
        let c = connection(user, to: socksProxy(user), 1080, serverTTL: Self.proxyTTL)
        // The proxy is at the ISP; the tunnelled server is a full round trip beyond it.
        let lan = 8 * ICQSessionScript.millisecond
        let rtt = lan + users[user].rtt
        var request: [UInt8] = [5, 1, 0, 1]
        request.appendBE32(webServer())
        request.appendBE16(443)
        var reply: [UInt8] = [5, 0, 0, 1]
        reply.appendBE32(Self.publicAddress)
        reply.appendBE16(40_000 + randomU16() % 20_000)
        let tunnelled = [tlsRecord(200 + randomBelow(300)), tlsRecord(900 + randomBelow(500)),
                         tlsRecord(60 + randomBelow(200)), tlsRecord(200 + randomBelow(1000))]
        var t = handshake(c, at: time, rtt: lan, .socks)
        send(c, at: t, fromClient: true, [.ack], .socks)
        t += 100_000
        send(c, at: t, fromClient: true, [.psh, .ack], .socks, carries: .socks) { [5, 1, 0] }
        t += lan
        send(c, at: t, fromClient: false, [.psh, .ack], .socks, carries: .socks) { [5, 0] }
        t += 200_000
        send(c, at: t, fromClient: true, [.psh, .ack], .socks, carries: .socks) { request }
        t += rtt
        send(c, at: t, fromClient: false, [.psh, .ack], .socks, carries: .socks) { reply }
        for (i, record) in tunnelled.enumerated() {
            t += i % 2 == 0 ? 300_000 : rtt
            send(c, at: t, fromClient: i % 2 == 0, [.psh, .ack], .socks) { record }
        }
        t += 50 * ICQSessionScript.millisecond
        send(c, at: t, fromClient: true, [.fin, .ack], .socks)
        t += lan
        send(c, at: t, fromClient: false, [.fin, .ack], .socks)
        send(c, at: t + 200_000, fromClient: true, [.ack], .socks)
    }

    /// A TLS record header (application data, TLS 1.2) and opaque bytes: `count` bytes in all.
    func tlsRecord(_ count: Int) -> [UInt8] {
        var record: [UInt8] = [0x17, 0x03, 0x03]
        record.appendBE16(UInt16(count - 5))
        return record + opaqueBytes(count - 5)
    }
}
