import Bytes
import SampleKit
import Testing
import Tracking
import Wire

/// SOCKS5 UDP associations as Tracking learns them: granted by the proxy's reply as the stream
/// decoder reads the handshake (`StreamEvidence`), ended by the control connection's FIN or RST
/// (`SOCKSAssociations`), and bounded on a gateway.
struct SOCKSAssociationsTests {
    static let proxy = Endpoint(address: IPAddress(ipv4: 0x0AFF_FF01), port: 1080)
    static let client = Endpoint(address: IPAddress(ipv4: 0x0A00_0002), port: 40_100)

    /// A control connection fed through the stream table with the combined decoder, as the
    /// analyzer feeds it; returns the associations each frame granted.
    final class Connection {
        let table = StreamTable<ICQStreamConsumer<StreamEvidence>>(limits: StreamLimits()) {
            ICQStreamConsumer(originator: $0, responder: $1)
        }
        var evidence = StreamEvidence()
        var frame: UInt64 = 0
        var clientSequence: UInt32 = 100
        var proxySequence: UInt32 = 500

        @discardableResult
        func segment(fromClient: Bool, _ flags: FrameBuilder.TCPFlags, _ payload: [UInt8] = []) -> [SOCKSAssociation] {
            frame += 1
            let (from, to) = fromClient ? (SOCKSAssociationsTests.client, SOCKSAssociationsTests.proxy)
                                        : (SOCKSAssociationsTests.proxy, SOCKSAssociationsTests.client)
            let sequence = fromClient ? clientSequence : proxySequence
            let advance = UInt32(payload.count) + (flags.contains(.syn) || flags.contains(.fin) ? 1 : 0)
            if fromClient { clientSequence &+= advance } else { proxySequence &+= advance }
            let bytes = FrameBuilder.tcpFrame(from: from.address.ipv4Value, from.port, to: to.address.ipv4Value, to.port,
                                              sequence: sequence, acknowledgement: fromClient ? proxySequence : clientSequence,
                                              flags: flags, payload: payload)
            evidence.begin(frame: frame)
            bytes.withUnsafeBytes { raw in
                table.ingest(PacketDecoder.decode(raw, linkType: .ethernet), frame: frame, bytes: raw, sink: &evidence)
            }
            return evidence.associations
        }

        /// SYN, handshake without authentication, and `request` (a CONNECT or UDP ASSOCIATE)
        /// answered by `reply`; returns what the reply's frame granted.
        func handshake(request: [UInt8], reply: [UInt8]) -> [SOCKSAssociation] {
            segment(fromClient: true, .syn)
            segment(fromClient: false, [.syn, .ack])
            segment(fromClient: true, [.psh, .ack], [0x05, 0x01, 0x00])
            segment(fromClient: false, [.psh, .ack], [0x05, 0x00])
            segment(fromClient: true, [.psh, .ack], request)
            return segment(fromClient: false, [.psh, .ack], reply)
        }
    }

    @Test func theProxysReplyGrantsTheRelayAndAFinEndsIt() {
        let c = Connection()
        // UDP ASSOCIATE; the reply names the relay 10.255.255.1:40000.
        let granted = c.handshake(request: [5, 3, 0, 1, 0, 0, 0, 0, 0, 0], reply: [5, 0, 0, 1, 10, 255, 255, 1, 0x9C, 0x40])
        let relay = Endpoint(address: IPAddress(ipv4: 0x0AFF_FF01), port: 40_000)
        #expect(granted == [SOCKSAssociation(client: Self.client, proxy: Self.proxy, relay: relay, grantedFrame: 6)])
        let associations = SOCKSAssociations()
        for a in granted { associations.grant(a) }
        #expect(associations.association(relay: relay)?.client == Self.client)
        // Data on the control connection ends nothing; the proxy's FIN ends it, once.
        #expect(associations.controlConnectionEnded(Self.proxy, Endpoint(address: Self.client.address, port: 1), frame: 7, time: 7) == nil)
        let ended = associations.controlConnectionEnded(Self.proxy, Self.client, frame: 8, time: 8)
        #expect(ended?.relay == relay)
        #expect(ended?.closedFrame == 8)
        #expect(associations.controlConnectionEnded(Self.client, Self.proxy, frame: 9, time: 9) == nil)
    }

    /// A relay of 0.0.0.0 is the proxy's own address (RFC 1928 §6).
    @Test func anUnspecifiedRelayAddressIsTheProxys() {
        let granted = Connection().handshake(request: [5, 3, 0, 1, 0, 0, 0, 0, 0, 0], reply: [5, 0, 0, 1, 0, 0, 0, 0, 0x13, 0x88])
        #expect(granted.map(\.relay) == [Endpoint(address: Self.proxy.address, port: 5000)])
    }

    /// Near miss: a granted CONNECT is a tunnel, not an association.
    @Test func aConnectGrantsNoAssociation() {
        let granted = Connection().handshake(request: [5, 1, 0, 1, 0xC6, 0x33, 0x64, 0x01, 0x14, 0x46],
                                             reply: [5, 0, 0, 1, 0xC0, 0, 2, 5, 0x13, 0x88])
        #expect(granted.isEmpty)
    }

    /// Near miss: a refused UDP ASSOCIATE (REP 2, not allowed by the ruleset).
    @Test func aRefusedAssociateGrantsNothing() {
        let granted = Connection().handshake(request: [5, 3, 0, 1, 0, 0, 0, 0, 0, 0], reply: [5, 2, 0, 1, 0, 0, 0, 0, 0, 0])
        #expect(granted.isEmpty)
    }

    @Test func aFullRegistryForgetsTheOldestAssociationAndCountsIt() {
        let associations = SOCKSAssociations(maximum: 100)
        func client(_ i: Int) -> Endpoint { Endpoint(address: IPAddress(ipv4: 0x0A00_0000 | UInt32(i >> 15)), port: UInt16(1024 + i & 0x7FFF)) }
        func relay(_ i: Int) -> Endpoint { Endpoint(address: Self.proxy.address, port: UInt16(2000 + i % 60_000)) }
        for i in 0..<1_000 {
            associations.grant(SOCKSAssociation(client: client(i), proxy: Self.proxy, relay: relay(i), grantedFrame: UInt64(i)))
        }
        #expect(associations.forgotten == 900)
        #expect(associations.association(relay: relay(899)) == nil)
        #expect(associations.association(relay: relay(900))?.client == client(900))
        #expect(associations.controlConnectionEnded(client(899), Self.proxy, frame: 2_000, time: 0) == nil)
        #expect(associations.controlConnectionEnded(client(999), Self.proxy, frame: 2_000, time: 0)?.relay == relay(999))
    }
}
