import NIOCore
import NIOPosix
import Report
import Synchronization

/// The metrics side of a live run: one event-loop thread that serves `/metrics`
/// (`--metrics-listen`) and rewrites the textfile (`--metrics-file`) when a new snapshot is
/// published. Started once the process has given up its privileges, so that its thread has
/// none either; stopped after the analysis ends, with the final snapshot written.
public final class MetricsExporter {
    private let group: MultiThreadedEventLoopGroup
    private let renderer: MetricsRenderer
    private var server: Channel?
    private var fileTask: RepeatedTask?
    private let file: MetricsFile?
    /// Failures of the textfile, reported once each by whoever stops the exporter.
    private let fileFailures = FileFailures()

    /// How often the textfile is looked at; it is rewritten only when a new snapshot came.
    public static let fileIntervalMillis: Int64 = 500

    public init(mailbox: MetricsMailbox, listener: MetricsListener?, file: MetricsFile?) throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        renderer = MetricsRenderer(mailbox: mailbox)
        self.file = file
        do {
            if let listener { server = try MetricsServer.start(on: listener, group: group, renderer: renderer) }
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        if let file {
            let renderer = self.renderer
            let failures = fileFailures
            fileTask = group.next().scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(Self.fileIntervalMillis)) { _ in
                let version = renderer.mailbox.latest().version
                guard failures.takeNewVersion(version), let body = renderer.body() else { return }
                do { try file.write(bytes: body) } catch { failures.note("\(error)") }
            }
        }
    }

    /// Stops serving and, with `--metrics-file`, writes the latest snapshot a last time. Returns
    /// the textfile's first failure, if any.
    public func stop() -> String? {
        fileTask?.cancel()
        if let server { try? server.close().wait() }
        try? group.syncShutdownGracefully()
        if let file, let body = renderer.body() {
            do { try file.write(bytes: body) } catch { fileFailures.note("\(error)") }
        }
        return fileFailures.first
    }
}

/// The textfile's state on the event loop: the snapshot version last written, and its first
/// failure, read at the end.
private final class FileFailures: Sendable {
    private let state = Mutex<(written: UInt64, message: String?)>((0, nil))

    /// Whether `version` is newer than the one last written (and from now on, it is written).
    func takeNewVersion(_ version: UInt64) -> Bool {
        state.withLock {
            guard version != $0.written else { return false }
            $0.written = version
            return true
        }
    }

    func note(_ text: String) { state.withLock { if $0.message == nil { $0.message = text } } }
    var first: String? { state.withLock { $0.message } }
}
