import Bytes
import Diagnosis
import Testing
import Tracking

/// NAT mappings as bounds of the firewall's UDP timeout (a capture of both sides of the gateway):
/// a new public port after an idle gap bounds it from above; the same port bounds it from below
/// only where the NAT is seen translating ports and giving forgotten mappings new ones.
struct NATMappingEvidenceTests {
    static let second: Int64 = 1_000_000_000
    static let key = ICQSession.Key(uin: 1001, sessionID: 7)
    static let gateway = GatewaySides(inside: 0, outside: 1)
    static let inside = Endpoint(address: IPAddress(ipv4: 0xC0A8_0102), port: 1100)
    static func outside(_ port: UInt16) -> Endpoint { Endpoint(address: IPAddress(ipv4: 0xCB00_7105), port: port) }

    /// The client's packet on the public side at `seconds`.
    static func client(_ e: inout NATMappingEvidence, _ port: UInt16, at seconds: Int64, frame: UInt64,
                       privately: Endpoint = inside) -> [NATMappingEvidence.Bound] {
        e.publicSide(key: key, gateway: gateway, client: outside(port), privateEndpoint: privately,
                     frame: frame, time: seconds * second)
    }

    @Test func aReuseWaitsUntilTheGatewayIsSeenGivingANewPort() {
        var e = NATMappingEvidence()
        #expect(Self.client(&e, 61001, at: 0, frame: 1).isEmpty)
        // The server's answer a second later, then 20 s of quiet.
        #expect(e.publicSide(key: Self.key, gateway: Self.gateway, client: nil, privateEndpoint: Self.inside,
                             frame: 2, time: 1 * Self.second).isEmpty)
        #expect(Self.client(&e, 61001, at: 21, frame: 3).isEmpty, "no proof yet that this NAT changes ports")
        let bounds = Self.client(&e, 61777, at: 81, frame: 4)
        #expect(bounds == [.forgotten(gateway: Self.gateway, gap: 60 * Self.second, frames: [3, 4]),
                           .survived(gateway: Self.gateway, gap: 20 * Self.second, frames: [2, 3])])
        // From now on a reuse counts at once.
        #expect(Self.client(&e, 61777, at: 111, frame: 5) == [.survived(gateway: Self.gateway, gap: 30 * Self.second, frames: [4, 5])])
        #expect(e.gateway(of: Self.key) == Self.gateway)
    }

    @Test func aPreservedPortProvesNothingWhenReused() {
        var e = NATMappingEvidence()
        _ = Self.client(&e, 1100, at: 0, frame: 1)
        #expect(Self.client(&e, 1101, at: 50, frame: 2) == [.forgotten(gateway: Self.gateway, gap: 50 * Self.second, frames: [1, 2])])
        _ = Self.client(&e, 1100, at: 60, frame: 3)
        // 1100 is the client's own port: a forgotten mapping would get it again.
        #expect(Self.client(&e, 1100, at: 90, frame: 4).isEmpty)
    }

    @Test func theClientMovingItselfIsNoEvidence() {
        var e = NATMappingEvidence()
        _ = Self.client(&e, 61001, at: 0, frame: 1)
        let moved = Endpoint(address: Self.inside.address, port: 1200)
        #expect(Self.client(&e, 61002, at: 50, frame: 2, privately: moved).isEmpty)
        #expect(Self.client(&e, 61003, at: 100, frame: 3, privately: moved)
                == [.forgotten(gateway: Self.gateway, gap: 50 * Self.second, frames: [2, 3])])
    }

    @Test func gapsUnderASecondAndForgottenSessionsDoNotBound() {
        var e = NATMappingEvidence()
        _ = Self.client(&e, 61001, at: 0, frame: 1)
        #expect(e.publicSide(key: Self.key, gateway: Self.gateway, client: Self.outside(61002), privateEndpoint: Self.inside,
                             frame: 2, time: Self.second / 2).isEmpty)
        #expect(e.count == 1)
        e.forget(Self.key)
        #expect(e.count == 0)
        #expect(e.gateway(of: Self.key) == nil)
        #expect(NATMappingEvidence.rebound(gap: Self.second - 1, frame: 9) == nil)
        #expect(NATMappingEvidence.rebound(gap: 40 * Self.second, frame: 9) == .forgotten(gateway: nil, gap: 40 * Self.second, frames: [9]))
    }

    @Test func bracketsAreKeptPerGatewayAndOverAll() {
        var b = UDPTimeoutBrackets()
        let other = GatewaySides(inside: 2, outside: 3)
        b.noteGateway(Self.gateway)
        b.noteGateway(other)
        b.noteGateway(Self.gateway)
        b.delivered(at: Self.gateway, afterIdle: 20 * Self.second, frames: [1])
        b.lost(at: other, afterIdle: 10 * Self.second, frames: [2])
        b.lost(at: nil, afterIdle: 90 * Self.second, frames: [3])
        #expect(b.gateways.map(\.sides) == [Self.gateway, other])
        #expect(b.gateways[0].bracket.moreThan?.gap == 20 * Self.second && b.gateways[0].bracket.atMost == nil)
        #expect(b.gateways[1].bracket.atMost?.gap == 10 * Self.second && b.gateways[1].bracket.moreThan == nil)
        // Over all: the contradiction two firewalls make together.
        #expect(b.overall.moreThan?.gap == 20 * Self.second && b.overall.atMost?.gap == 10 * Self.second)
    }
}
