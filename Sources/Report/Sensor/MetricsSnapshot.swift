/// What the metrics say at one moment: plain numbers copied out of the analysis's own counters by
/// the analysis thread (about once a second live, once at the end offline), handed to the
/// metrics side whole. Nothing in it refers back to the pipeline, so the metrics side (HTTP
/// server, textfile writer) reads it on its own thread while the analysis goes on.
public struct MetricsSnapshot: Sendable {
    public struct Interface: Sendable, Equatable {
        /// As the summary names it: the interface's name, `<file basename>:<if_name>` when merged.
        public var name: String
        public var packets: UInt64
        public var bytes: UInt64
        /// Dropped by the kernel for lack of buffer space (`pcap_stats` ps_drop, pcapng isb_osdrop).
        public var kernelDrops: UInt64?
        /// Dropped by the interface or its driver (ps_ifdrop, isb_ifdrop).
        public var interfaceDrops: UInt64?

        public init(name: String, packets: UInt64, bytes: UInt64, kernelDrops: UInt64? = nil, interfaceDrops: UInt64? = nil) {
            self.name = name
            self.packets = packets
            self.bytes = bytes
            self.kernelDrops = kernelDrops
            self.interfaceDrops = interfaceDrops
        }
    }

    public struct FindingCount: Sendable, Equatable {
        public var kind: String
        public var severity: String
        public var count: UInt64

        public init(kind: String, severity: String, count: UInt64) {
            self.kind = kind
            self.severity = severity
            self.count = count
        }
    }

    public struct RequirementState: Sendable, Equatable {
        public var id: String
        public var status: String

        public init(id: String, status: String) {
            self.id = id
            self.status = status
        }
    }

    public var interfaces: [Interface] = []
    public var flowsActive = 0
    public var tcpStreamsActive = 0
    public var icqSessionsActive = 0
    public var flowsCreated: UInt64 = 0
    /// Entries the memory budget ended early, by table (`flows`, `icq_sessions`, `tcp_streams`, `ip_datagrams`).
    public var evictions: [(table: String, count: UInt64)] = []
    /// Malformed packets by `layer.reason` (the summary's keys).
    public var malformed: [(reason: String, count: UInt64)] = []
    /// Every kind and severity, zero included, so that a rule over `increase()` sees the first one.
    public var findings: [FindingCount] = []
    /// The report card as it stands (live: so far; offline: at the end).
    public var requirements: [RequirementState] = []
    /// The firewall's UDP idle timeout T as the capture bounds it: more than `more` < T ≤ `atMost` (seconds).
    public var udpTimeoutMoreThanSeconds: Double?
    public var udpTimeoutAtMostSeconds: Double?
    /// Live only: how long after its capture timestamp the last packet reached the analysis.
    public var processingLagSeconds: Double?
    /// The capture clock (live) or the last packet's time (offline), seconds since the epoch.
    public var captureTimeSeconds: Double?

    public init() {}
}
