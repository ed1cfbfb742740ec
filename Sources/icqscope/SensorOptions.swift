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

    /// The outputs these options ask for, to be opened by the live run.
    var outputs: SensorOutputs {
        var outputs = SensorOutputs()
        outputs.metricsListen = metricsListen
        outputs.metricsFile = metricsFile
        outputs.eventsPath = events
        if syslog { outputs.syslog = (syslogSocket ?? SyslogSender.defaultSocket, SyslogMessage.facilities[syslogFacility] ?? 3) }
        return outputs
    }
}
