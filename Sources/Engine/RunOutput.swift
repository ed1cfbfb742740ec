import Capture
import Report

/// Where a run's results and remarks go: records on standard output (NDJSON as they come, or
/// text), the same records to the `--events` file, remarks and errors on stderr, and what
/// decides the exit status (damaged input, an output that failed).
public final class RunOutput {
    let format: OutputFormat
    /// The record being written; reused for every record.
    var json = JSONWriter()
    let out: OutputSink
    let diagnostics: OutputSink
    /// `--events`: every NDJSON record but packets and flows, whatever `--format` says.
    public var events: EventLog?
    /// `--syslog`: each finding as it is established.
    public var syslog: SyslogSender?
    /// The progress line on a terminal (the command decides whether there is one).
    public var progress: ProgressLine?
    private(set) var inputDamaged = false
    /// An output could not be written completely (exit status 74).
    private(set) var outputFailed = false

    init(format: OutputFormat, descriptor: Int32, diagnosticsDescriptor: Int32 = 2) {
        self.format = format
        out = OutputSink(fd: descriptor)
        diagnostics = OutputSink(fd: diagnosticsDescriptor, threshold: 0)
    }

    /// Whether records other than packets and flows are built at all (NDJSON, or an events file).
    var wantsRecords: Bool { format == .ndjson || events != nil }

    /// A result record (finding, session, error, stats, requirement, summary): built once, on
    /// standard output in NDJSON and in the events file. `flush`: at once (a finding, which a
    /// reader may be waiting for).
    func record(flush: Bool = false, _ build: (inout JSONWriter) -> Void) {
        guard wantsRecords else { return }
        build(&json)
        events?.write(json.buffer)
        if format == .ndjson {
            out.take(&json)
            if flush { out.flush() }
        } else {
            json.removeAll()
        }
    }

    /// The records that close a run (report card, summary): to the events file one a write, as
    /// during the run; then any failure of the events file or syslog is reported; then, last on
    /// standard output, the records themselves.
    func closingRecords(_ build: (inout JSONWriter) -> Void) {
        guard wantsRecords else { return }
        var records = JSONWriter()
        build(&records)
        if let events {
            var start = 0
            let bytes = records.buffer
            for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
                events.write(Array(bytes[start...i]))
                start = i + 1
            }
            reportEventFailures()
        }
        if format == .ndjson { out.take(&records) }
    }

    /// Damaged or unusable input: a line on stderr, and an `error` record.
    func inputError(_ error: CaptureError) {
        inputDamaged = true
        errorLine(error)
    }

    /// An output that could not be written (a full disk, a vanished file): one line on stderr
    /// naming the file, an `error` record, and exit status 74 at the end.
    func outputFailure(_ error: CaptureError) {
        outputFailed = true
        errorLine(error)
    }

    private func errorLine(_ error: CaptureError) {
        progress?.clear()
        out.flush()
        diagnostics.write(ErrorRecord.line(error))
        diagnostics.flush()
        record { ErrorRecord.write(&$0, error) }
    }

    /// A line for people on stderr (stdout carries only results).
    func remark(_ line: String) {
        progress?.clear()
        diagnostics.write(line)
        diagnostics.flush()
    }

    /// Failures of the events file and of syslog, each reported once as an output failure; the
    /// analysis goes on.
    func reportEventFailures() {
        if let failure = events?.takeFailure() { outputFailure(failure) }
        if let failure = syslog?.takeFailure() { outputFailure(failure) }
    }

    /// Everything written out; a standard output that failed is said on stderr and counts as an
    /// output failure.
    func close() {
        out.flush()
        if let failure = out.failureReason {
            // Nothing more can go to standard output: the reason goes to stderr only.
            diagnostics.write("icqscope: standard output: writing the results failed: \(failure)\n")
            diagnostics.flush()
            outputFailed = true
        }
    }
}
