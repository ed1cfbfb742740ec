import Capture

/// What a live capture received, analysed and lost, per interface, from `pcap_stats`.
/// `received` counts what passed the capture filter; each such packet was either analysed,
/// dropped by the kernel for lack of buffer space, or still waiting unread when the capture
/// stopped (`--count`): received = analysed + dropped + unread. Interface (driver) drops happen
/// before the filter and are reported beside, not inside, that sum.
public struct LiveAccounting: Sendable {
    public struct Interface: Sendable {
        public var name: String
        public var received: UInt64
        public var analysed: UInt64
        public var dropped: UInt64
        public var interfaceDropped: UInt64

        public init(name: String, received: UInt64, analysed: UInt64, dropped: UInt64, interfaceDropped: UInt64) {
            self.name = name
            self.received = received
            self.analysed = analysed
            self.dropped = dropped
            self.interfaceDropped = interfaceDropped
        }

        /// Packets that passed the filter but were neither analysed nor dropped: still in the
        /// kernel's buffer when the capture stopped.
        public var unread: UInt64 {
            received >= analysed &+ dropped ? received - analysed - dropped : 0
        }
    }

    public var interfaces: [Interface]
    /// Capture clock when the counters were read.
    public var timeNanos: Int64
    /// Wall-clock time since the capture started.
    public var elapsedNanos: Int64
    /// Why the capture ended (`count`, `duration`, `SIGINT`, `SIGTERM`, `interface_down`…), in the summary.
    public var stopReason: String?

    public init(interfaces: [Interface], timeNanos: Int64, elapsedNanos: Int64, stopReason: String? = nil) {
        self.interfaces = interfaces
        self.timeNanos = timeNanos
        self.elapsedNanos = elapsedNanos
        self.stopReason = stopReason
    }

    public var received: UInt64 { interfaces.reduce(0) { $0 &+ $1.received } }
    public var analysed: UInt64 { interfaces.reduce(0) { $0 &+ $1.analysed } }
    public var dropped: UInt64 { interfaces.reduce(0) { $0 &+ $1.dropped } }
    public var interfaceDropped: UInt64 { interfaces.reduce(0) { $0 &+ $1.interfaceDropped } }
    public var unread: UInt64 { interfaces.reduce(0) { $0 &+ $1.unread } }

    /// From a live capture's interfaces (after `statistics()`) and its per-interface delivery counts.
    public init(interfaces: [CaptureInterface], analysed: [UInt64], timeNanos: Int64, elapsedNanos: Int64) {
        var list: [Interface] = []
        for (i, interface) in interfaces.enumerated() {
            let stats = interface.statistics
            list.append(Interface(
                name: interface.name ?? "if\(i)", received: stats?.received ?? 0,
                analysed: i < analysed.count ? analysed[i] : 0,
                dropped: stats?.osDropped ?? 0, interfaceDropped: stats?.interfaceDropped ?? 0))
        }
        self.init(interfaces: list, timeNanos: timeNanos, elapsedNanos: elapsedNanos)
    }

    /// The periodic `{"type":"stats",...}` record.
    public func writeStatsRecord(_ json: inout JSONWriter) {
        json.beginObject()
        json.field("type", static: "stats")
        json.field("time", nanoseconds: timeNanos)
        json.key("elapsed")
        json.seconds(elapsedNanos)
        writeCounters(&json)
        json.endObject()
        json.endLine()
    }

    /// The members shared by the stats record and the summary's `live` object.
    public func writeCounters(_ json: inout JSONWriter) {
        json.field("received", received)
        json.field("analysed", analysed)
        json.field("dropped", dropped)
        json.field("unread", unread)
        json.field("interface_dropped", interfaceDropped)
        json.beginArray("interfaces")
        for interface in interfaces {
            json.beginObject()
            json.field("name", interface.name)
            json.field("received", interface.received)
            json.field("analysed", interface.analysed)
            json.field("dropped", interface.dropped)
            json.field("unread", interface.unread)
            json.field("interface_dropped", interface.interfaceDropped)
            json.endObject()
        }
        json.endArray()
    }

    /// The summary's `live` object.
    public func writeSummaryMember(_ json: inout JSONWriter) {
        json.beginObject("live")
        if let stopReason { json.field("stop_reason", stopReason) }
        json.key("elapsed")
        json.seconds(elapsedNanos)
        writeCounters(&json)
        json.endObject()
    }

    /// One line for people: `received 120 = analysed 118 + dropped 2 (gi1: …; go1: …)`.
    public var equation: String {
        func eq(_ r: UInt64, _ a: UInt64, _ d: UInt64, _ u: UInt64) -> String {
            "received \(r) = analysed \(a) + dropped \(d)" + (u > 0 ? " + unread at stop \(u)" : "")
        }
        let parts = interfaces.map { i in
            "\(i.name): " + eq(i.received, i.analysed, i.dropped, i.unread)
                + (i.interfaceDropped > 0 ? ", \(i.interfaceDropped) dropped by the interface" : "")
        }
        return eq(received, analysed, dropped, unread) + " (" + parts.joined(separator: "; ") + ")"
    }

    /// The periodic stderr line.
    public var statsLine: String {
        "icqscope: stats after \(TimeFormat.seconds(elapsedNanos)) s: \(equation)\n"
    }
}
