/// Named UDP idle timeouts of common firewalls and NATs (docs/flow-semantics.md#timeouts), for
/// `--profile`.
public struct FirewallProfile: Sendable, Equatable {
    public var name: String
    /// The UDP idle timeout once both directions have been seen, in seconds.
    public var udpTimeoutSeconds: Int64
    public var device: String
    public var source: String

    public static let all: [FirewallProfile] = [
        FirewallProfile(name: "linux", udpTimeoutSeconds: 120, device: "Linux netfilter conntrack since 2019 (nf_conntrack_udp_timeout_stream)",
                        source: "nf_conntrack-sysctl.rst; commit 294304e4 (Dec 2018)"),
        FirewallProfile(name: "linux-pre-2019", udpTimeoutSeconds: 180, device: "Linux conntrack up to 4.20 (stream timeout 180 s)",
                        source: "nf_conntrack_proto_udp.c in v4.19"),
        FirewallProfile(name: "linux-unreplied", udpTimeoutSeconds: 30, device: "Linux conntrack before any reply (nf_conntrack_udp_timeout)",
                        source: "nf_conntrack-sysctl.rst"),
        FirewallProfile(name: "pf", udpTimeoutSeconds: 60, device: "OpenBSD/FreeBSD pf, pfSense, OPNsense (udp.multiple)",
                        source: "sys/net/pfvar.h PFTM_UDP_MULTIPLE_VAL"),
        FirewallProfile(name: "pf-single", udpTimeoutSeconds: 30, device: "pf before the destination answers (udp.single)",
                        source: "sys/net/pfvar.h PFTM_UDP_SINGLE_VAL"),
        FirewallProfile(name: "asa", udpTimeoutSeconds: 120, device: "Cisco ASA (timeout udp 0:02:00)",
                        source: "Cisco ASA CLI Configuration Guide, Configure Global Timeouts"),
        FirewallProfile(name: "ios-nat", udpTimeoutSeconds: 300, device: "Cisco IOS NAT (ip nat translation udp-timeout)",
                        source: "Cisco IOS in a Nutshell, ip nat translation"),
        FirewallProfile(name: "checkpoint", udpTimeoutSeconds: 40, device: "Check Point (UDP virtual session timeout; commonly quoted, unverified)",
                        source: "Check Point community; value unverified"),
        FirewallProfile(name: "nsx", udpTimeoutSeconds: 60, device: "VMware NSX distributed firewall (UDP multiple)",
                        source: "VMware NSX 4.1 administration guide"),
        FirewallProfile(name: "nsx-edge", udpTimeoutSeconds: 30, device: "VMware NSX edge gateway",
                        source: "VMware NSX 4.1 administration guide"),
        FirewallProfile(name: "rfc4787", udpTimeoutSeconds: 120, device: "RFC 4787 §4.3 REQ-5 minimum for NAT UDP mappings",
                        source: "RFC 4787 §4.3"),
        FirewallProfile(name: "rfc4787-recommended", udpTimeoutSeconds: 300, device: "RFC 4787 §4.3 REQ-5c recommended default",
                        source: "RFC 4787 §4.3"),
    ]

    public static func named(_ name: String) -> FirewallProfile? {
        all.first { $0.name == name.lowercased() }
    }
}
