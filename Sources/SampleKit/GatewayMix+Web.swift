/// The background: short web-like connections that are none of the ICQ family, to port 80
/// (an HTTP request, a response that closes the connection) or 443 (TLS-like records), from
/// the user's next ephemeral port to one of 254 servers. SYN, SYN-ACK, the ACK carrying the
/// request, the response with the server's FIN, then the client's FIN and the last ACK, or (one
/// in three) the client's RST: 5.7 packets on average, so the web's 30 packets per 100 open
/// about 1,060 connections per second of capture time.
extension GatewayMix {
    static let webTTL: UInt8 = 56

    /// 192.0.2.1–254.
    func webServer() -> UInt32 { 0xC000_0201 &+ UInt32(randomBelow(254)) }

    func webEpisode(_ user: Int, at time: Int64) {
        let https = randomBelow(2) == 0
        let c = connection(user, to: webServer(), https ? 443 : 80, serverTTL: Self.webTTL)
        let rtt = users[user].rtt
        let request: [UInt8]
        let response: [UInt8]
        if https {
            request = tlsRecord(150 + randomBelow(350))
            response = tlsRecord(300 + randomBelow(1_100))
        } else {
            let path = "/" + String(repeating: "a", count: 1 + randomBelow(60)) + "/index.html"
            request = Array("GET \(path) HTTP/1.0\r\nHost: www.example.com\r\nUser-Agent: Mozilla/4.0\r\nAccept: */*\r\n\r\n".utf8)
            let body = opaqueBytes(100 + randomBelow(1_100))
            response = Array("HTTP/1.0 200 OK\r\nContent-Type: image/gif\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
        }
        var t = handshake(c, at: time, rtt: rtt, .web)
        send(c, at: t, fromClient: true, [.psh, .ack], .web) { request }
        t += rtt + 300_000
        send(c, at: t, fromClient: false, [.psh, .fin, .ack], .web) { response }
        t += 500_000
        if randomBelow(3) == 0 {
            send(c, at: t, fromClient: true, [.rst, .ack], .web)
        } else {
            send(c, at: t, fromClient: true, [.fin, .ack], .web)
            send(c, at: t + rtt, fromClient: false, [.ack], .web)
        }
    }
}
