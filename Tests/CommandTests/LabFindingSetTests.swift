import Foundation
import Testing
import TestSupport

/// Every lab recording re-checked against what the scenario made the real gateway do
/// (scripts/lab.sh says it per scenario): the exact set of findings (kind, level, detail) that
/// `icqscope read`, with the scenario's thresholds, gives for each vantage point recorded, both
/// gateway sides (`gateway.pcapng`) and, where split, each side alone. Each entry says why that
/// set, and nothing else, is what really happened.
struct LabFindingSetTests {
    static let folder = TestPaths.root.appendingPathComponent("samples/lab")

    /// scenario → file → findings, each "kind|level|detail" ("-" for none), sorted.
    static let expected: [String: [String: [String]]] = [
        // nft drops B's SYN to A's port 5001 on the outside interface: B retransmits it (Linux:
        // 1, 2, 3, 4 s) and gives up. Provisional at 1.5 s, final at 5 s (the scenario's
        // --syn-final); A announced direct mode (4), so its blocked port is warned about. Inside,
        // the SYN never arrives: nothing to judge.
        "blocked-peer-port-drop": [
            "gateway.pcapng": ["blocked_peer_port|final|no_answer", "blocked_peer_port|provisional|no_answer", "direct_mode_port_blocked|-|-"],
            "outside.pcapng": ["blocked_peer_port|final|no_answer", "blocked_peer_port|provisional|no_answer", "direct_mode_port_blocked|-|-"],
            "inside.pcapng": [],
        ],
        // `reject with icmpx type admin-prohibited`: the gateway's ICMP (from its own address) ends the attempt.
        "blocked-peer-port-icmp": [
            "gateway.pcapng": ["blocked_peer_port|final|icmp_admin_prohibited", "direct_mode_port_blocked|-|-"],
        ],
        // `reject with tcp reset`: the gateway's reset in A's name, on one side only (both sides)
        // or with the gateway's TTL 64 against A's 63 (outside alone). Its IP id is 0 with DF,
        // as a Linux peer's own reset to a closed port is too: the id proves nothing here.
        "blocked-peer-port-reset": [
            "gateway.pcapng": ["blocked_peer_port|final|rst_from_middlebox", "direct_mode_port_blocked|-|-"],
            "outside.pcapng": ["blocked_peer_port|final|rst_from_middlebox", "direct_mode_port_blocked|-|-"],
            "inside.pcapng": [],
        ],
        // 8 logins and a logout, none past the gateway: the unanswered login is judged although
        // the session ended. The outside saw none of it.
        "client-gives-up": [
            "gateway.pcapng": ["server_path_blocked|-|no_answer"],
            "inside.pcapng": ["server_path_blocked|-|no_answer"],
            "outside.pcapng": [],
        ],
        // The server's acks of A's keep-alives are dropped for a while; the third copy is acked.
        // From outside alone the server acked every copy and A still resent: the acks were lost
        // after the capture point, the same dropped reply.
        "dropped-replies": [
            "gateway.pcapng": ["dropped_reply|-|recovered"],
            "inside.pcapng": ["dropped_reply|-|recovered"],
            "outside.pcapng": ["dropped_reply|-|recovered"],
        ],
        // Real bitlbee (3.5.1, built with OSCAR) signs on twice through the gateway to the lab's
        // OSCAR server: login, BOS redirect, buddies, a message and its ack. Nothing blocked.
        "oscar-bitlbee": ["gateway.pcapng": []],
        // The gateway lets TCP out to the login server (5190) but drops it to the BOS server
        // (5191): the redirect leads nowhere. The SYNs bitlbee's kernel resends are one
        // connection (same ISN): one provisional, then one final finding.
        "oscar-bos-blocked": ["gateway.pcapng": ["outgoing_tcp_blocked|final|no_answer", "outgoing_tcp_blocked|provisional|no_answer"]],
        // B calls A's direct port (let in) and proposes an External plugin application; A's ack
        // names port 5021, whose SYNs the gateway drops: provisional, then final at 5 s. The port
        // A announced for direct connections (5001) was reached: no direct_mode_port_blocked.
        "external-application-blocked": ["gateway.pcapng": ["blocked_peer_port|final|no_answer", "blocked_peer_port|provisional|no_answer"]],
        // The gateway maps its own inside port 4000 to the server (DNAT): A logs in through it,
        // B's message is pushed back through it; nothing is blocked.
        "udp-mapping": ["gateway.pcapng": [], "inside.pcapng": [], "outside.pcapng": []],
        // Login, messages, keep-alives (2 s, within the 30 s timeout), a direct connection out, log-off.
        "healthy": ["gateway.pcapng": []],
        // The login reply dictates 7 s, A keeps its own 2 s timer: within the 30 s timeout.
        "keepalive-own-timer": ["gateway.pcapng": [], "inside.pcapng": [], "outside.pcapng": []],
        // The NAT forgets A's mapping after 2 s (the scenario's --firewall-timeout; A's
        // keep-alives come every 10 s): the push dies at the gateway (both sides); from outside
        // alone A's return from a new public port with the same session proves it, and the push
        // to the old port really went unacknowledged; inside, the push never appears.
        "nat-rebinding": [
            "gateway.pcapng": ["firewall_session_timeout|confirmed|dropped_at_gateway", "keepalive_exceeds_firewall_timeout|-|-"],
            "outside.pcapng": ["firewall_session_timeout|confirmed|nat_rebinding", "keepalive_exceeds_firewall_timeout|-|-",
                               "push_unacknowledged|-|undelivered"],
            "inside.pcapng": ["keepalive_exceeds_firewall_timeout|-|-"],
        ],
        // A (inside) calls B out; no TCP leaves: provisional, then final by --syn-final.
        "outgoing-tcp-blocked": [
            "gateway.pcapng": ["outgoing_tcp_blocked|final|no_answer", "outgoing_tcp_blocked|provisional|no_answer"],
        ],
        // `ct state new accept` for A's port: the connection is answered.
        "peer-port-allowed": ["gateway.pcapng": []],
        // Outbound UDP 4000 dropped: the login goes out 6 times unanswered.
        "server-path-blocked": ["gateway.pcapng": ["server_path_blocked|-|no_answer"]],
        // The SOCKS control connection closes; the relay's host answers A's keep-alives with port
        // unreachables (quoting the SOCKS UDP header and the keep-alive): the association is
        // lost, and with it the session (A gives up).
        "socks-association-lost": [
            "gateway.pcapng": ["dropped_reply|-|session_lost", "socks_association_lost|-|-"],
        ],
        // TCP through SOCKS4, the login straight to the server, and UDP 4000 dropped: the server
        // path is blocked, and because the client uses SOCKS4, the proxy requirement fails too.
        "socks4-udp-blocked": [
            "gateway.pcapng": ["server_path_blocked|-|no_answer", "socks4_udp_blocked|-|no_answer"],
        ],
        // Three listening ports, the third dropped by the forward policy: one blocked attempt.
        "three-ports-two-open": [
            "gateway.pcapng": ["blocked_peer_port|final|no_answer", "blocked_peer_port|provisional|no_answer", "direct_mode_port_blocked|-|-"],
        ],
        // The gateway rejects the push to A's forgotten flow with a port unreachable: the drop on
        // both sides; from outside alone, the unreachable from A's side quoting the push; inside,
        // only A's keep-alive interval against the 2 s timeout.
        "timed-out-session-reject": [
            "gateway.pcapng": ["firewall_session_timeout|confirmed|dropped_at_gateway", "keepalive_exceeds_firewall_timeout|-|-"],
            "outside.pcapng": ["firewall_session_timeout|confirmed|icmp_from_client_side", "keepalive_exceeds_firewall_timeout|-|-"],
            "inside.pcapng": ["keepalive_exceeds_firewall_timeout|-|-"],
        ],
        "timed-out-session": [
            "gateway.pcapng": ["firewall_session_timeout|confirmed|dropped_at_gateway", "keepalive_exceeds_firewall_timeout|-|-"],
        ],
        // B's second push after 1.4 T idle dies at the gateway.
        "timeout-sweep": [
            "gateway.pcapng": ["firewall_session_timeout|confirmed|dropped_at_gateway", "keepalive_exceeds_firewall_timeout|-|-"],
        ],
        // Only A's own messages, after idle gaps: the NAT gives the second a new port, but
        // nothing was lost (A's traffic is outgoing); its 60 s keep-alive exceeds T, which is real.
        "timeout-sweep-nat": ["gateway.pcapng": ["keepalive_exceeds_firewall_timeout|-|-"]],
    ]

    static func findings(scenario: String, file: String) throws -> [String] {
        let dir = folder.appendingPathComponent(scenario)
        let r = try CommandRunner.run(["read", "--format", "ndjson"] + VantagePointTests.thresholds(scenario)
                                      + [dir.appendingPathComponent(file).path])
        #expect(r.status == 0, "\(scenario)/\(file): \(r.stderr)")
        return r.records(ofType: "finding").map {
            "\($0["kind"] as? String ?? "?")|\($0["level"] as? String ?? "-")|\($0["detail"] as? String ?? "-")"
        }.sorted()
    }

    /// Issue 14's bug on real packets: B's kernel sends its SYN again every second, five times
    /// (frames 33, 38, 43, 48, 57, 66, all dropped at the gateway). With a final
    /// deadline of 2 s, the SYNs after it are the same connection (endpoints and ISN): one
    /// provisional and one final finding, not one pair per later SYN (as before: three pairs).
    @Test func synsSentAgainPastTheFinalDeadlineAreOneAttempt() throws {
        let path = Self.folder.appendingPathComponent("blocked-peer-port-drop/gateway.pcapng").path
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--firewall-timeout", "30", "--syn-provisional", "1.5",
                                       "--syn-final", "2", path])
        let blocked = r.records(ofType: "finding").filter { $0["kind"] as? String == "blocked_peer_port" }
        #expect(blocked.map { "\($0["level"] as? String ?? "-")|\($0["detail"] as? String ?? "-")" } == ["provisional|no_answer", "final|no_answer"])
        #expect(blocked.last?["frames"] as? [Int] == [33, 38])
    }

    @Test func everyRecordingHasItsExpectedSet() {
        #expect(Set(Self.expected.keys) == Set(LabRecordingTests.scenarios))
    }

    @Test(arguments: Self.expected.keys.sorted())
    func findingsAreWhatTheGatewayDid(_ scenario: String) throws {
        for (file, expected) in Self.expected[scenario]!.sorted(by: { $0.key < $1.key }) {
            #expect(try Self.findings(scenario: scenario, file: file) == expected.sorted(), "\(scenario)/\(file)")
        }
    }
}
