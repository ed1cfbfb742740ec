import Prometheus
import Report

/// A `MetricsSnapshot` in the Prometheus text exposition format, through swift-prometheus's
/// registry: a new registry for each snapshot, so that every value is exactly the snapshot's
/// (counters are incremented from zero to it) and a series the snapshot no longer has (the UDP
/// timeout bracket before it is known) is absent rather than stale.
///
/// Names follow Prometheus's conventions: the `icqscope_` prefix, counters ending in `_total`,
/// units in the name (`_bytes_total`, `_seconds`), labels for what varies.
public enum PrometheusExposition {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ s: MetricsSnapshot) -> [UInt8] {
        let registry = PrometheusCollectorRegistry()
        func counter(_ name: String, _ help: String, _ labels: [(String, String)], _ value: UInt64) {
            registry.makeCounter(descriptor: descriptor(name, help), labels: labels)
                .increment(by: Int64(clamping: value))
        }
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Double) {
            registry.makeGauge(descriptor: descriptor(name, help), labels: labels).set(to: value)
        }
        for i in s.interfaces {
            let labels = [("interface", i.name)]
            counter("icqscope_packets_total", "Packets analysed, per capture interface.", labels, i.packets)
            counter("icqscope_bytes_total", "Bytes on the wire of the packets analysed (frame lengths), per capture interface.",
                    labels, i.bytes)
            if let drops = i.kernelDrops {
                counter("icqscope_kernel_drops_total",
                        "Packets the kernel dropped for lack of buffer space before icqscope read them (pcap_stats ps_drop).",
                        labels, drops)
            }
            if let drops = i.interfaceDrops {
                counter("icqscope_interface_drops_total",
                        "Packets the interface or its driver dropped (pcap_stats ps_ifdrop).", labels, drops)
            }
        }
        gauge("icqscope_flows_active", "Flows held in the flow table now.", [], Double(s.flowsActive))
        gauge("icqscope_tcp_streams_active", "TCP streams being reassembled now.", [], Double(s.tcpStreamsActive))
        gauge("icqscope_icq_sessions_active", "Classic ICQ sessions being followed now.", [], Double(s.icqSessionsActive))
        counter("icqscope_flows_total", "Flows created.", [], s.flowsCreated)
        for e in s.evictions {
            counter("icqscope_evictions_total",
                    "Entries ended early because the memory budget (--memcap) was full, by table.", [("table", e.table)], e.count)
        }
        for m in s.malformed {
            counter("icqscope_malformed_packets_total", "Malformed packets, by layer and reason.", [("reason", m.reason)], m.count)
        }
        for f in s.findings {
            counter("icqscope_findings_total", "Findings established, by kind and severity.",
                    [("kind", f.kind), ("severity", f.severity)], f.count)
        }
        for r in s.requirements {
            for status in ["pass", "fail", "not_observed"] {
                gauge("icqscope_requirement_status",
                      "The firewall guide's requirements: 1 for the status each has now (pass, fail, not_observed), 0 for the others.",
                      [("requirement", r.id), ("status", status)], r.status == status ? 1 : 0)
            }
        }
        if let v = s.udpTimeoutMoreThanSeconds {
            gauge("icqscope_udp_timeout_more_than_seconds",
                  "The firewall's UDP idle timeout is more than this: the longest idle gap a server packet got through.", [], v)
        }
        if let v = s.udpTimeoutAtMostSeconds {
            gauge("icqscope_udp_timeout_at_most_seconds",
                  "The firewall's UDP idle timeout is at most this: the shortest idle gap after which a server packet was lost to it.",
                  [], v)
        }
        if let v = s.processingLagSeconds {
            gauge("icqscope_processing_lag_seconds",
                  "How long after its capture timestamp the last packet reached the analysis.", [], v)
        }
        if let v = s.captureTimeSeconds {
            gauge("icqscope_capture_time_seconds", "The capture clock: the time of the latest packet, moved on by the wall clock while the line is quiet (Unix seconds).", [], v)
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        // The whole name is given as the metric name: the descriptor joins its parts with "_".
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
