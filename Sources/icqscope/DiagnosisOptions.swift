import ArgumentParser
import Bytes
import Diagnosis

/// A duration on the command line: `120`, `90s`, `5m`, `1h`, `3.5`, `1500ms`.
struct DurationArgument: ExpressibleByArgument {
    var nanoseconds: Int64

    init?(argument: String) {
        guard let value = DurationParser.nanoseconds(argument) else { return nil }
        nanoseconds = value
    }
}

/// An address prefix on the command line: `10.0.0.0/8`, `192.168.1.7`, `2001:db8::/32`.
struct NetworkArgument: ExpressibleByArgument {
    var network: IPNetwork

    init?(argument: String) {
        guard let network = IPNetwork(argument) else { return nil }
        self.network = network
    }
}

enum SeverityArgument: String, ExpressibleByArgument, CaseIterable {
    case warning, error

    var severity: Finding.Severity { self == .warning ? .warning : .error }
}

/// The thresholds of the diagnosis rules, with the output contract's names and defaults.
struct DiagnosisOptions: ParsableArguments {
    @Option(name: .long, help: "Firewall/NAT UDP idle timeout (default 120 s, or the --profile's).")
    var firewallTimeout: DurationArgument?

    @Option(name: .long, help: "A firewall's named timeouts; see `icqscope profiles`.")
    var profile: String?

    @Option(name: .long, help: "Idle timeout of the tracker's own ICQ UDP flows (default 600 s).")
    var udpIdleTimeout: DurationArgument?

    @Option(name: .long, help: "How long an ack may take after a request's copy (default 12 s).")
    var ackWait: DurationArgument?

    @Option(name: .long, help: "The retransmission interval of clients and server (default 10 s).")
    var retransmitInterval: DurationArgument?

    @Option(name: .long, help: "An unanswered SYN is a provisional block after this (default 3.5 s).")
    var synProvisional: DurationArgument?

    @Option(name: .long, help: "An unanswered SYN is a final block after this (default 21 s).")
    var synFinal: DurationArgument?

    @Option(name: .long, help: "The clients' keep-alive interval (learned from the capture when not given).")
    var keepalive: DurationArgument?

    @Option(name: .long, help: "Exit with status 1 when findings of this severity or worse exist.")
    var failOn: SeverityArgument?

    @Option(name: .long, help: ArgumentHelp(
        "The clients' network (repeatable): a blocked connection from it to a peer outside breaks outgoing TCP.",
        discussion: "Default: the hosts seen logging in to the ICQ server are inside.", valueName: "CIDR"))
    var inside: [NetworkArgument] = []

    func validate() throws {
        if let profile, FirewallProfile.named(profile) == nil {
            throw ValidationError("unknown profile '\(profile)'; `icqscope profiles` lists them")
        }
    }

    /// Where the firewall timeout came from, for the HTML page.
    var firewallTimeoutSource: String {
        if firewallTimeout != nil { return "--firewall-timeout" }
        if let profile { return "--profile \(profile)" }
        return "default"
    }

    var thresholds: Thresholds {
        var t = Thresholds()
        if let profile, let p = FirewallProfile.named(profile) { t.firewallTimeout = p.udpTimeoutSeconds * Thresholds.second }
        if let v = firewallTimeout { t.firewallTimeout = v.nanoseconds }
        if let v = udpIdleTimeout { t.udpIdleTimeout = v.nanoseconds }
        if let v = ackWait { t.ackWait = v.nanoseconds }
        if let v = retransmitInterval { t.retransmitInterval = v.nanoseconds }
        if let v = synProvisional { t.synProvisional = v.nanoseconds }
        if let v = synFinal { t.synFinal = v.nanoseconds }
        if let v = keepalive { t.keepalive = v.nanoseconds }
        t.inside = inside.map(\.network)
        return t
    }
}
