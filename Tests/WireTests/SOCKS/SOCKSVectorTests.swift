import Bytes
import Testing
import Wire

/// Examples built from the layouts of docs/protocol.md#socks and messages built by hand.
struct SOCKSVectorTests {
    func hex(_ s: String) -> [UInt8] {
        let digits = s.filter { !$0.isWhitespace }
        return stride(from: 0, to: digits.count, by: 2).map {
            let i = digits.index(digits.startIndex, offsetBy: $0)
            return UInt8(digits[i..<digits.index(i, offsetBy: 2)], radix: 16)!
        }
    }

    func fields(_ bytes: [UInt8], _ m: SOCKSMessage) -> CollectingVisitor {
        var v = CollectingVisitor()
        bytes.withUnsafeBytes { m.visitFields(UnsafeRawBufferPointer(rebasing: $0[0..<m.length]), revealSecrets: false, into: &v) }
        return v
    }

    @Test func socks4ConnectAndReply() {
        var c = SOCKSConnection()
        let request = hex("04 01 14 46 40 0C A1 B9 78 00")
        guard case .message(let m) = request.withUnsafeBytes({ c.consume($0, fromClient: true) }) else { Issue.record(); return }
        let f = fields(request, m)
        #expect(f.value("socks.dst") == "64.12.161.185" && f.value("socks.dstport") == "5190" && f.value("socks.username") == "x")
        #expect(hex("01").withUnsafeBytes { c.consume($0, fromClient: true) } == .awaitPeer)
        let reply = hex("00 5A 00 00 00 00 00 00")
        guard case .message(let r) = reply.withUnsafeBytes({ c.consume($0, fromClient: false) }) else { Issue.record(); return }
        #expect(fields(reply, r).value("socks.results_name") == "Request granted")
        #expect(c.status == .tunnel && c.isConfirmed)
        #expect(hex("2A 01").withUnsafeBytes { c.consume($0, fromClient: true) } == .tunnel)
    }

    @Test func socks4aHostName() {
        let request = hex("04 01 14 46 00 00 00 01 00 6C 6F 67 69 6E 2E 69 63 71 2E 63 6F 6D 00")
        guard case .message(let m) = request.withUnsafeBytes({ SOCKSParser.v4Request($0) }) else { Issue.record(); return }
        #expect(m.isSOCKS4a && m.length == request.count)
        #expect(fields(request, m).value("socks.v4a_dns_name") == "login.icq.com")
        // Every shorter prefix asks for more, never claims a message.
        for n in 0..<request.count {
            guard case .needMore = Array(request.prefix(n)).withUnsafeBytes({ SOCKSParser.v4Request($0) }) else {
                Issue.record("prefix \(n)"); return
            }
        }
    }

    /// climm-style UDP ASSOCIATE and the relay endpoint it yields (docs/protocol.md#socks5), then
    /// the #socks5-udp header.
    @Test func socks5UDPAssociate() {
        var c = SOCKSConnection()
        for (bytes, fromClient) in [("05 01 00", true), ("05 00", false), ("05 03 00 01 00 00 00 00 04 4C", true),
                                    ("05 00 00 01 C0 A8 00 01 13 88", false)] {
            guard case .message = hex(bytes).withUnsafeBytes({ c.consume($0, fromClient: fromClient) }) else {
                Issue.record("\(bytes)"); return
            }
        }
        #expect(c.status == .udpAssociated && c.command == 3 && c.requestedPort == 1100)
        #expect(c.udpRelayAddress?.description == "192.168.0.1" && c.udpRelayPort == 5000)
        let datagram = hex("00 00 00 01 CD BC 99 6A 0F A0 05 00 00 00 00 00 8F E4 5E 00")
        guard case .header(let h) = datagram.withUnsafeBytes({ SOCKSUDPHeader.parse($0) }) else { Issue.record(); return }
        #expect(h.address?.description == "205.188.153.106" && h.port == 4000 && h.headerLength == 10 && h.inner == 10..<20)
    }

    @Test func socks5UDPHeaderIPv6AndDomain() {
        let v6 = hex("00 00 00 04 20 01 0D B8 00 00 00 00 00 00 00 00 00 00 00 01 0F A0 05 00")
        guard case .header(let h6) = v6.withUnsafeBytes({ SOCKSUDPHeader.parse($0) }) else { Issue.record(); return }
        #expect(h6.address?.description == "2001:db8::1" && h6.headerLength == 22 && h6.inner == 22..<24)
        let domain = hex("00 00 00 03 0D") + Array("login.icq.com".utf8) + hex("0F A0 02 00")
        guard case .header(let hd) = domain.withUnsafeBytes({ SOCKSUDPHeader.parse($0) }) else { Issue.record(); return }
        #expect(hd.address == nil && hd.domain == 5..<18 && hd.port == 4000 && hd.inner == 20..<22)
        var v = CollectingVisitor()
        domain.withUnsafeBytes { hd.visitFields($0, into: &v) }
        #expect(v.value("socks.remote_name") == "login.icq.com")
        // Truncated or wrong headers are refused with a reason.
        for bad in ["00 00 00 01 7F 00", "00 01 00 01 7F 00 00 01 0F A0", "00 00 00 07 00 00", ""] {
            guard case .invalid = hex(bad).withUnsafeBytes({ SOCKSUDPHeader.parse($0) }) else { Issue.record("\(bad)"); return }
        }
    }

    @Test func socks5BindTwoReplies() {
        var c = SOCKSConnection()
        for (bytes, fromClient) in [("05 01 00", true), ("05 00", false), ("05 02 00 01 00 00 00 00 9C 4B", true),
                                    ("05 00 00 01 7F 00 00 01 9C 4B", false)] {
            _ = hex(bytes).withUnsafeBytes { c.consume($0, fromClient: fromClient) }
        }
        #expect(c.status == .negotiating)
        guard case .message = hex("05 00 00 01 0A 00 00 05 D2 04").withUnsafeBytes({ c.consume($0, fromClient: false) }) else {
            Issue.record(); return
        }
        #expect(c.status == .tunnel)
    }

    @Test func notSOCKSWhenServerDisagrees() {
        var c = SOCKSConnection()
        _ = hex("05 01 00").withUnsafeBytes { c.consume($0, fromClient: true) }
        // Selecting a method that was not offered: not a SOCKS server.
        #expect(hex("05 02").withUnsafeBytes { c.consume($0, fromClient: false) } == .notSOCKS)
        var d = SOCKSConnection()
        #expect(Array("GET / HTTP/1.1\r\n".utf8).withUnsafeBytes { d.consume($0, fromClient: true) } == .notSOCKS)
        var e = SOCKSConnection()
        #expect(hex("05 00").withUnsafeBytes { e.consume($0, fromClient: false) } == .notSOCKS)
        var f = SOCKSConnection()
        #expect(hex("05 02 41 42").withUnsafeBytes { f.consume($0, fromClient: true) } == .notSOCKS)
    }

    @Test func malformedAfterConfirmation() {
        var c = SOCKSConnection()
        _ = hex("05 01 00").withUnsafeBytes { c.consume($0, fromClient: true) }
        _ = hex("05 00").withUnsafeBytes { c.consume($0, fromClient: false) }
        let step = hex("05 01 00 09 00 00").withUnsafeBytes { c.consume($0, fromClient: true) }
        #expect(step == .malformed(offset: 3, reason: "SOCKS5 address type not 1, 3 or 4"))
    }
}
