import Bytes
import Diagnosis
import Testing
import Tracking

/// Rule R4 on its own: each kind of ending Tracking reports for an attempt, judged into its
/// finding's kind, level and detail (and the near misses that are none).
@Suite struct PeerPortJudgementTests {
    static let client = Endpoint(address: IPAddress(ipv4: 0xC633_6402), port: 40_000)  // 198.51.100.2
    static let peer = Endpoint(address: IPAddress(ipv4: 0xCB00_7105), port: 5005)       // 203.0.113.5

    final class Harness {
        let attempts = ConnectionAttempts(configuration: .init(synProvisional: 3_000_000_000, synFinal: 21_000_000_000))
        let rule: PeerPortDiagnosis
        private let sink = Sink()
        var findings: [Finding] { sink.findings }
        final class Sink { var findings: [Finding] = [] }

        init() {
            let sink = sink
            rule = PeerPortDiagnosis(thresholds: Thresholds(), attempts: attempts) { sink.findings.append($0) }
        }

        static func attempt(frames: [UInt64] = [10, 20], retransmissions: Int = 0, mode: UInt8? = nil) -> ConnectionAttempt {
            ConnectionAttempt(key: .init(client: client, peer: peer), firstTime: 1_000, frames: frames,
                              advertised: .init(endpoint: peer, uin: 1002, source: .userOnline, frame: 1, connectionMode: mode),
                              retransmissions: retransmissions)
        }
    }

    func judged(_ event: ConnectionAttemptEvent) -> [FindingSummary] {
        let h = Harness()
        h.attempts.onEvent(event)
        return h.findings.summaries
    }

    @Test func aResetsOriginDecidesWhoSentIt() {
        let a = Harness.attempt()
        #expect(judged(.reset(a, time: 2_000, origin: .crossedGateway)) == [FindingSummary(.blockedPeerPort, .warning, .final, .rstFromPeer)])
        #expect(judged(.reset(a, time: 2_000, origin: .oneSideOnly)) == [FindingSummary(.blockedPeerPort, .error, .final, .rstFromMiddlebox)])
        // One vantage point: a reset from nearer than the peer (a higher TTL than its packets
        // arrive with, even by one: the gateway's 64 against the peer's 63), or from much further.
        #expect(judged(.reset(a, time: 2_000, origin: .oneVantage(SenderFit(ttl: 64, usualTTL: 63)))) == [FindingSummary(.blockedPeerPort, .error, .final, .rstFromMiddlebox)])
        #expect(judged(.reset(a, time: 2_000, origin: .oneVantage(SenderFit(ttl: 50, usualTTL: 57)))) == [FindingSummary(.blockedPeerPort, .error, .final, .rstFromMiddlebox)])
        // Near misses: a route one hop longer, or no packet of the peer's seen.
        #expect(judged(.reset(a, time: 2_000, origin: .oneVantage(SenderFit(ttl: 56, usualTTL: 57)))) == [FindingSummary(.blockedPeerPort, .warning, .final, .rstFromPeer)])
        #expect(judged(.reset(a, time: 2_000, origin: .oneVantage(SenderFit(ttl: 64, usualTTL: nil)))) == [FindingSummary(.blockedPeerPort, .warning, .final, .rstFromPeer)])
    }

    /// One vantage point, a peer whose packets one counter numbers (latest 1004, 2 s before):
    /// a reset with the TTL of the peer's packets but an id out of that sequence was forged; one
    /// that follows it (allowing for the packets the peer sent meanwhile to others) is the peer's.
    @Test func aResetsIPIDAgainstThePeersCounter() {
        let a = Harness.attempt()
        let counter = IPIDCounter(latest: 1004, age: 2_000_000_000)
        func judgedID(_ id: UInt16, _ counter: IPIDCounter? = counter) -> [FindingSummary] {
            judged(.reset(a, time: 2_000, origin: .oneVantage(SenderFit(ttl: 57, usualTTL: 57, ipID: id, counter: counter))))
        }
        let forged = [FindingSummary(.blockedPeerPort, .error, .final, .rstFromMiddlebox)]
        let peers = [FindingSummary(.blockedPeerPort, .warning, .final, .rstFromPeer)]
        // Zero (a Linux gateway's reject), a repeat, one behind, far ahead.
        for id: UInt16 in [0, 1004, 1003, 9000] { #expect(judgedID(id) == forged, "id \(id)") }
        // The next, and a few hundred on (the peer spoke to others meanwhile).
        for id: UInt16 in [1005, 1400] { #expect(judgedID(id) == peers, "id \(id)") }
        // No counter proven (a Linux peer: ids per destination, zero with DF): the id says nothing.
        #expect(judgedID(0, nil) == peers)
        let h = Harness()
        h.attempts.onEvent(.reset(a, time: 2_000, origin: .oneVantage(SenderFit(ttl: 57, usualTTL: 57, ipID: 0, counter: counter))))
        #expect(h.findings.first?.explanation.contains("IP id 0, where one counter numbers the peer's packets here (1004, 2 s before)") == true)
    }

    @Test func icmpCodesThatAreFiltersAndThoseThatAreRouting() {
        let a = Harness.attempt()
        let reporter = IPAddress(ipv4: 0xC633_6401)
        for code: UInt8 in [9, 10, 13] {
            #expect(judged(.icmpUnreachable(a, time: 2_000, code: code, reporter: reporter, inPeersName: nil))
                    == [FindingSummary(.blockedPeerPort, .error, .final, .icmpAdminProhibited)])
        }
        #expect(judged(.icmpUnreachable(a, time: 2_000, code: 3, reporter: reporter, inPeersName: nil))
                == [FindingSummary(.blockedPeerPort, .error, .final, .icmpPortUnreachable)])
        // Network and host unreachable: routing, not a block.
        for code: UInt8 in [0, 1] { #expect(judged(.icmpUnreachable(a, time: 2_000, code: code, reporter: reporter, inPeersName: nil)).isEmpty) }
    }

    @Test func unansweredIsProvisionalThenFinalAndAnAnswerIsNothing() {
        let a = Harness.attempt(retransmissions: 1)
        #expect(judged(.unanswered(a, time: 5_000, final: false)) == [FindingSummary(.blockedPeerPort, .warning, .provisional, .noAnswer)])
        #expect(judged(.unanswered(a, time: 25_000, final: true)) == [FindingSummary(.blockedPeerPort, .error, .final, .noAnswer)])
        let h = Harness()
        h.rule.advertised(Self.peer, uin: 1002, source: .userOnline, frame: 1)
        h.attempts.onEvent(.answered(a, frame: 30))
        #expect(h.findings.isEmpty)
        #expect(h.rule.ledger.entries.map(\.status) == [.reached])
    }

    /// An attempt still open when the capture ended, whose SYN never left the gateway: final.
    @Test func droppedAtTheGatewayIsFinal() {
        let h = Harness()
        h.attempts.onEvent(.droppedAtGateway(Harness.attempt(frames: [40]), time: 30_000))
        #expect(h.findings.summaries == [FindingSummary(.blockedPeerPort, .error, .final, .noAnswer)])
        #expect(h.findings.last?.explanation.contains("the gateway's two sides prove the block") == true)
    }

    /// A client that announced direct connections (mode 4) whose port is blocked is warned about
    /// once, beside the block.
    @Test func directModeWarnedOncePerListeningEndpoint() {
        let h = Harness()
        h.attempts.onEvent(.unanswered(Harness.attempt(mode: 4), time: 25_000, final: true))
        h.attempts.onEvent(.unanswered(Harness.attempt(frames: [50], mode: 4), time: 26_000, final: true))
        #expect(h.findings.summaries.filter { $0.kind == .directModePortBlocked }.count == 1)
    }
}
