import Capture
import Engine
import Report

/// What a live run feeds a monitoring system, opened while the process is still privileged and
/// started once it is not: the events file and syslog (opened first), the metrics listener
/// (bound first), then the metrics thread.
public struct SensorOutputs: LiveSideOutputs {
    public var metricsListen: String?
    public var metricsFile: String?
    public var eventsPath: String?
    /// The syslog socket and facility, when findings go to syslog.
    public var syslog: (socket: String, facility: Int)?
    private var listener: MetricsListener?
    private var exporter: MetricsExporter?

    public init() {}

    public var wantsMetrics: Bool { metricsListen != nil || metricsFile != nil }

    public mutating func open(_ analyzer: Analyzer) -> Bool {
        do {
            if let eventsPath { analyzer.events = try EventLog(path: eventsPath) }
            if let syslog { analyzer.syslog = try SyslogSender(socketPath: syslog.socket, facility: syslog.facility) }
        } catch {
            analyzer.reportOutputFailure(error)
            return false
        }
        if let metricsListen {
            do {
                listener = try MetricsListener(metricsListen)
            } catch {
                analyzer.reportOutputFailure(CaptureError(file: metricsListen, reason: .cannotOpen, message: error.message, isFatal: false))
                return false
            }
        }
        if wantsMetrics { analyzer.metrics = MetricsMailbox() }
        return true
    }

    /// The checks that only the unprivileged process can make, then the metrics thread.
    public mutating func start(_ analyzer: Analyzer) -> Bool {
        if eventsPath != nil { ReopenSignal.install() }
        guard let mailbox = analyzer.metrics else { return true }
        let file = metricsFile.map(MetricsFile.init(path:))
        do {
            try file?.checkWritable()
        } catch {
            analyzer.reportOutputFailure(CaptureError(file: metricsFile ?? "", reason: .cannotOpen, message: error.message, isFatal: false))
            return false
        }
        do {
            exporter = try MetricsExporter(mailbox: mailbox, listener: listener, file: file)
            return true
        } catch {
            analyzer.reportOutputFailure(CaptureError(file: metricsListen ?? "metrics", reason: .cannotOpen,
                                                      message: "cannot serve the metrics: \(error)", isFatal: false))
            return false
        }
    }

    public mutating func stop() -> String? { exporter?.stop() }
}
