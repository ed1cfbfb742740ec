import ArgumentParser
import Capture
import Engine
import Report
import Sensor

/// What `live` feeds a monitoring system: metrics for Prometheus, events for a log pipeline.
struct SensorOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Serve the metrics at http://ADDRESS/metrics for Prometheus, e.g. 127.0.0.1:9464.", valueName: "address:port"))
    var metricsListen: String?

    @Option(name: .long, help: ArgumentHelp("Keep the metrics in this file for node_exporter's textfile collector (replaced whole, atomically).", valueName: "path"))
    var metricsFile: String?

    @Option(name: .long, help: ArgumentHelp("Append the NDJSON records (findings, sessions, requirements, stats, errors, summary) to this file, one write per record; reopened on SIGHUP (logrotate).", valueName: "file"))
    var events: String?

    @Flag(name: .long, help: "Send each finding to the local syslog as an RFC 5424 message with structured data.")
    var syslog = false

    @Option(name: .long, help: ArgumentHelp("The syslog socket (default /dev/log).", valueName: "path"))
    var syslogSocket: String?

    @Option(name: .long, help: ArgumentHelp("The syslog facility: daemon, user, local0 … local7 ….", valueName: "name"))
    var syslogFacility: String = "daemon"

    func validate() throws {
        if let metricsListen, MetricsListener.parse(metricsListen) == nil {
            throw ValidationError("--metrics-listen '\(metricsListen)' is not an address and port (e.g. 127.0.0.1:9464, [::1]:9464)")
        }
        if SyslogMessage.facilities[syslogFacility] == nil {
            throw ValidationError("--syslog-facility '\(syslogFacility)': not a facility (\(SyslogMessage.facilities.keys.sorted().joined(separator: ", ")))")
        }
        if syslogSocket != nil && !syslog { throw ValidationError("--syslog-socket needs --syslog") }
    }

    var wantsMetrics: Bool { metricsListen != nil || metricsFile != nil }

    /// The outputs opened before privileges are given up. An output that cannot be opened is
    /// reported (exit status 74) and nil is returned.
    func open(_ analyzer: Analyzer) -> OpenedSensorOutputs? {
        var opened = OpenedSensorOutputs()
        do {
            if let events { analyzer.events = try EventLog(path: events) }
            if syslog {
                analyzer.syslog = try SyslogSender(socketPath: syslogSocket ?? SyslogSender.defaultSocket,
                                                   facility: SyslogMessage.facilities[syslogFacility] ?? 3)
            }
        } catch {
            analyzer.reportOutputFailure(error)
            return nil
        }
        if let metricsListen {
            do {
                opened.listener = try MetricsListener(metricsListen)
            } catch {
                analyzer.reportOutputFailure(CaptureError(file: metricsListen, reason: .cannotOpen, message: error.message, isFatal: false))
                return nil
            }
        }
        if wantsMetrics { analyzer.metrics = MetricsMailbox() }
        return opened
    }

    /// Once the process runs unprivileged: the checks that only its new self can make, then
    /// the metrics thread. nil (reported) when an output cannot be used.
    func start(_ analyzer: Analyzer, _ opened: OpenedSensorOutputs) -> MetricsExporter? {
        if events != nil { ReopenSignal.install() }
        guard let mailbox = analyzer.metrics else { return nil }
        let file = metricsFile.map(MetricsFile.init(path:))
        do {
            try file?.checkWritable()
        } catch {
            analyzer.reportOutputFailure(CaptureError(file: metricsFile ?? "", reason: .cannotOpen, message: error.message, isFatal: false))
            return nil
        }
        do {
            return try MetricsExporter(mailbox: mailbox, listener: opened.listener, file: file)
        } catch {
            analyzer.reportOutputFailure(CaptureError(file: metricsListen ?? "metrics", reason: .cannotOpen,
                                                      message: "cannot serve the metrics: \(error)", isFatal: false))
            return nil
        }
    }
}

struct OpenedSensorOutputs {
    var listener: MetricsListener?
}
