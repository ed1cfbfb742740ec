import Diagnosis
import Testing
import Tracking

struct ThresholdTests {
    @Test(arguments: [
        ("120", Int64(120_000_000_000)), ("90s", 90_000_000_000), ("5m", 300_000_000_000),
        ("1h", 3_600_000_000_000), ("3.5", 3_500_000_000), ("1500ms", 1_500_000_000), ("0", 0),
    ])
    func durationsAsUsersWriteThem(_ text: String, _ expected: Int64) {
        #expect(DurationParser.nanoseconds(text) == expected)
    }

    @Test(arguments: ["", "x", "5x", "-3", "1e30", "s", "nan"])
    func durationsThatAreNot(_ text: String) {
        #expect(DurationParser.nanoseconds(text) == nil)
    }

    @Test func defaultsAreTheContracts() {
        let t = Thresholds()
        #expect(t.firewallTimeout == 120 * Thresholds.second)
        #expect(t.udpIdleTimeout == 600 * Thresholds.second)
        #expect(t.ackWait == 12 * Thresholds.second)
        #expect(t.retransmitInterval == 10 * Thresholds.second)
        #expect(t.synProvisional == 3_500_000_000)
        #expect(t.synFinal == 21 * Thresholds.second)
        #expect(t.keepalive == nil)
        #expect(t.icq.maximumTransmissions == 6)
    }

    /// The options change one timing value, and the session tracker is given that same value: the
    /// tracker's defaults are the rules' defaults.
    @Test func theTrackerFollowsTheThresholdsTiming() {
        var t = Thresholds()
        t.ackWait = 5 * Thresholds.second
        t.udpIdleTimeout = 30 * Thresholds.second
        t.firewallTimeout = 60 * Thresholds.second
        t.retransmitInterval = 2 * Thresholds.second
        var c = ICQSessionTracker.Configuration()
        c.timing = t.icq
        #expect(c.ackWait == 5 * Thresholds.second)
        #expect(c.idleTimeout == 30 * Thresholds.second)
        #expect(c.firewallTimeout == 60 * Thresholds.second)
        #expect(c.retransmitInterval == 2 * Thresholds.second)
        #expect(ICQSessionTracker.Configuration().timing == Thresholds().icq)
    }

    /// The reference's key numbers (docs/flow-semantics.md#thresholds, #timeouts).
    @Test func profilesCarryTheReferencesTimeouts() {
        #expect(FirewallProfile.named("linux")?.udpTimeoutSeconds == 120)
        #expect(FirewallProfile.named("linux-pre-2019")?.udpTimeoutSeconds == 180)
        #expect(FirewallProfile.named("pf")?.udpTimeoutSeconds == 60)
        #expect(FirewallProfile.named("asa")?.udpTimeoutSeconds == 120)
        #expect(FirewallProfile.named("IOS-NAT")?.udpTimeoutSeconds == 300)
        #expect(FirewallProfile.named("rfc4787-recommended")?.udpTimeoutSeconds == 300)
        #expect(FirewallProfile.named("nope") == nil)
        #expect(Set(FirewallProfile.all.map(\.name)).count == FirewallProfile.all.count)
    }
}
