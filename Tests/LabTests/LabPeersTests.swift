@testable import LabPeers
import Testing

/// The lab peers' wire pieces against the reference's own examples; no root needed.
struct LabPeersTests {
    /// docs/protocol.md#peer-init: the real v8 PEER_INIT from the pwicq dumps (UIN 4024781 on port 8280
    /// at 212.56.196.130 calling UIN 164915098, DC cookie 0x4C4F4897).
    @Test func peerInitV8MatchesTheRealExample() {
        let ip = LabEndpoint.parseAddress("212.56.196.130")!
        let handshake = DirectHandshake(
            role: .initiator, version: 8,
            me: .init(uin: 4_024_781, listenPort: 8280, externalIP: ip, lanIP: ip, cookie: 0x4C4F_4897),
            peerUIN: 164_915_098)
        let expected: [UInt8] = [
            0xFF, 0x08, 0x00, 0x2B, 0x00, 0x9A, 0x67, 0xD4, 0x09, 0x00, 0x00, 0x58, 0x20, 0x00, 0x00,
            0xCD, 0x69, 0x3D, 0x00, 0xD4, 0x38, 0xC4, 0x82, 0xD4, 0x38, 0xC4, 0x82, 0x04, 0x58, 0x20, 0x00, 0x00,
            0x97, 0x48, 0x4F, 0x4C, 0x50, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ]
        #expect(handshake.peerInit() == expected)
        #expect(handshake.start() == [[0x30, 0x00] + expected])
        let parsed = DirectHandshake.parsePeerInit(expected)
        #expect(parsed?.version == 8 && parsed?.uin == 4_024_781 && parsed?.port == 8280)
    }

    /// Both sides in memory: v8 needs PEER_INIT, PEER_INIT_ACK and PEER_INIT2 each way; v6 only
    /// the initiator's PEER_INIT and the ACK.
    @Test(arguments: [UInt16(6), 8])
    func handshakeCompletesOnBothSides(version: UInt16) {
        let me = DirectHandshake.Identity(uin: 1001, listenPort: 5001, externalIP: 1, lanIP: 1, cookie: 7)
        let them = DirectHandshake.Identity(uin: 1002, listenPort: 5002, externalIP: 2, lanIP: 2, cookie: 8)
        let caller = DirectHandshake(role: .initiator, version: version, me: me, peerUIN: 1002)
        let callee = DirectHandshake(role: .acceptor, version: 6, me: them, peerUIN: 0)
        var toCallee = caller.start(), toCaller: [[UInt8]] = []
        var rounds = 0
        while (!toCallee.isEmpty || !toCaller.isEmpty) && rounds < 10 {
            rounds += 1
            var next: [[UInt8]] = []
            for frame in toCallee {
                let (send, events) = callee.receive(Array(frame[2...]))
                #expect(!events.contains { if case .failed = $0 { true } else { false } })
                next += send
            }
            toCallee = []
            for frame in toCaller {
                let (send, events) = caller.receive(Array(frame[2...]))
                #expect(!events.contains { if case .failed = $0 { true } else { false } })
                toCallee += send
            }
            toCaller = next
        }
        #expect(caller.done && callee.done)
        #expect(callee.version == version)
        #expect(callee.peerUIN == 1001)
    }

    @Test func frameSplitterWaitsForWholeFramesAndRefusesHugeOnes() {
        var splitter = FrameSplitter()
        #expect(splitter.append([0x04, 0x00, 0x01]) == [])
        #expect(splitter.append([0x00, 0x00, 0x00, 0x02, 0x00, 0xAA]) == [[0x01, 0x00, 0x00, 0x00]])
        #expect(splitter.append([0xBB]) == [[0xAA, 0xBB]])
        var hostile = FrameSplitter()
        #expect(hostile.append([0xFF, 0xFF]) == nil)
    }

    /// docs/protocol.md#socks5-udp: the real login sent through a relay begins
    /// `00 00 00 01 CD BC 99 6A 0F A0`.
    /// SOCKS4 (the 1990s protocol): VN 4, CD 1, port, IPv4 address, user id, NUL; reply CD 90
    /// granted, 91-93 rejected.
    @Test func socks4ConnectRequestAndReplies() {
        let target = LabEndpoint(address: LabEndpoint.parseAddress("10.78.1.3")!, port: 5002)
        #expect(Socks4Connect.request(to: target) == [4, 1, 0x13, 0x8A, 10, 78, 1, 3] + Array("icqlab".utf8) + [0])
        #expect(Socks4Connect.reply([0, 90, 0, 0, 0, 0, 0]) == nil, "7 of 8 bytes")
        #expect(Socks4Connect.reply([0, 90, 0x13, 0x8A, 10, 78, 1, 3]) == .granted)
        #expect(Socks4Connect.reply([0, 91, 0, 0, 0, 0, 0, 0]) == .rejected(code: 91))
    }

    @Test func socksUDPHeaderMatchesTheReference() {
        let server = LabEndpoint("205.188.153.106:4000")!
        let wrapped = Socks5UDPAssociation.wrap([0x05, 0x00], destination: server)
        #expect(wrapped == [0x00, 0x00, 0x00, 0x01, 0xCD, 0xBC, 0x99, 0x6A, 0x0F, 0xA0, 0x05, 0x00])
        let unwrapped = Socks5UDPAssociation.unwrap(wrapped)
        #expect(unwrapped?.source == server && unwrapped?.data == [0x05, 0x00])
        #expect(Socks5UDPAssociation.unwrap([0x00, 0x00, 0x01, 0x01, 0, 0, 0, 0, 0, 0, 1]) == nil)  // fragment
    }

    /// docs/protocol.md#socks5: greeting, UDP ASSOCIATE from the local port, and a reply naming the
    /// relay (BND.ADDR 0.0.0.0 means the proxy itself).
    @Test func socksAssociationHandshake() {
        let association = Socks5UDPAssociation(proxy: LabEndpoint("10.78.1.4:1080")!, localUDPPort: 1100)
        #expect(association.greeting() == [0x05, 0x01, 0x00])
        #expect(association.receive([0x05, 0x00]) == [0x05, 0x03, 0x00, 0x01, 0, 0, 0, 0, 0x04, 0x4C])
        #expect(association.receive([0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0]) == nil)
        #expect(association.state == .awaitingAssociateReply)
        _ = association.receive([0x13, 0x88])
        #expect(association.state == .associated(relay: LabEndpoint("10.78.1.4:5000")!))
        let refused = Socks5UDPAssociation(proxy: LabEndpoint("10.78.1.4:1080")!, localUDPPort: 1100)
        _ = refused.greeting()
        _ = refused.receive([0x05, 0xFF])
        #expect(refused.state == .failed("proxy refused method 'no authentication' (reply 5 255)"))
    }
}
