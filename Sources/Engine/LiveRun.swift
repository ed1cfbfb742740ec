import Capture
import Report
#if canImport(Glibc)
import Glibc
#endif

/// Outputs beside the report that a live run opens while still privileged and starts once it is
/// not (the sensor's metrics, events file and syslog).
public protocol LiveSideOutputs {
    /// Opens what needs the privileges; false when something could not be opened (reported).
    mutating func open(_ analyzer: Analyzer) -> Bool
    /// Starts what runs unprivileged; false when something failed (reported).
    mutating func start(_ analyzer: Analyzer) -> Bool
    /// Stops them after the summary; the words of a failure, if any.
    mutating func stop() -> String?
}

/// `icqscope live` in order: the interfaces and the recording opened as the privileged user,
/// the side outputs opened, privileges given up, the capture analysed to its end, and the exit
/// status. Every step that fails is reported and still ends with the summary.
public struct LiveRun {
    public var capture: LiveCaptureOptions
    /// `--write`, with its ring (`--write-size`, `--write-files`).
    public var recordingPath: String?
    public var recordingSizeLimit: Int64?
    public var recordingFileLimit: Int?
    /// `-Z USER`.
    public var user: UserAccount?
    public var statsIntervalNanos: Int64?

    public enum Outcome {
        /// Finished with this exit status.
        case finished(Int32)
        /// The filter does not compile for these interfaces: a usage error.
        case badFilter(String)
    }

    public init(capture: LiveCaptureOptions) {
        self.capture = capture
    }

    public func run<Side: LiveSideOutputs>(_ analyzer: Analyzer, side: inout Side) -> Outcome {
        // Before opening anything: from here on SIGINT/SIGTERM end the run cleanly.
        StopSignals.install()
        var live: LiveCapture
        do {
            live = try LiveCapture(options: capture)
        } catch {
            if error.reason == .badFilter { return .badFilter(error.message) }
            analyzer.report(error)
            return ended(analyzer, source: capture.interfaces.joined(separator: ","))
        }
        for warning in live.warnings { analyzer.warn(warning) }
        var writer: PcapngRing? = nil
        if let path = recordingPath {
            do {
                let ring = try PcapngRing(path: path, sizeLimit: recordingSizeLimit, fileLimit: recordingFileLimit,
                                          interfaces: live.interfaces, startNanos: live.nowNanos)
                // Root giving way to -Z USER: USER creates the ring's later files and, when the ring
                // wraps, overwrites the first, which root created.
                if ring.rotates, PrivilegeDrop.isRoot, let user { _ = ring.changeOwner(uid: user.uid, gid: user.gid) }
                writer = ring
            } catch {
                analyzer.report(error)
                return ended(analyzer, source: live.sourceName)
            }
        }
        guard side.open(analyzer) else { return ended(analyzer, source: live.sourceName) }
        // Everything privileged is open: from here on the process needs no privilege at all.
        guard let runningAs = relinquishPrivileges(analyzer, source: live.sourceName) else {
            return ended(analyzer, source: live.sourceName)
        }
        if let writer, writer.rotates, access(writer.folder, W_OK | X_OK) != 0 {
            analyzer.reportOutputFailure(CaptureError(
                file: writer.folder, reason: .cannotOpen,
                message: "the capture ring's folder is not writable\(runningAs.isEmpty ? "" : " once privileges are given up"): its next files could not be created"))
            return ended(analyzer, source: live.sourceName)
        }
        // The metrics thread starts unprivileged, as the process now is.
        guard side.start(analyzer) else { return ended(analyzer, source: live.sourceName) }
        let described = live.interfaces.map { "\($0.name ?? "?") (\($0.linkType.name))" }.joined(separator: ", ")
        analyzer.note("capturing on \(described)\(recordingPath.map { ", recording to \($0)" } ?? "")\(runningAs); SIGINT or SIGTERM stops")
        analyzer.runLive(&live, recording: writer, statsIntervalNanos: statsIntervalNanos)
        // The evidence is read back from the recording, whose frames are numbered as the capture's.
        if let recordingPath { analyzer.evidenceInputs = [recordingPath] }
        var status = analyzer.finish()
        analyzer.publishFinalMetrics()
        if let failure = side.stop() {
            // The summary is out already: stderr only.
            analyzer.note(failure)
            status = ExitStatus.outputFailed
        }
        return .finished(status)
    }

    /// Gives up root (or the file capabilities); returns the words for the starting line, or nil
    /// when it failed (reported).
    private func relinquishPrivileges(_ analyzer: Analyzer, source: String) -> String? {
        do {
            switch try PrivilegeDrop.relinquish(becoming: user) {
            case .becameUser(let account):
                return ", running as \(account.name) without capabilities"
            case .droppedCapabilities(let wanted):
                if let wanted {
                    analyzer.warn("-Z \(wanted.name): only root can change user; running on as uid \(getuid()) without capabilities")
                }
                return ", without capabilities"
            case .keptRoot:
                analyzer.warn("running as root: -Z USER (e.g. -Z nobody) gives up root once the interfaces and files are open")
                return ""
            }
        } catch {
            analyzer.report(CaptureError(file: source, reason: .permissionDenied,
                                         message: "cannot give up privileges: \(error.message)"))
            return nil
        }
    }

    /// A run that could not start: the source is listed as unreadable, and the summary printed.
    private func ended(_ analyzer: Analyzer, source: String) -> Outcome {
        analyzer.noteUnreadable(source)
        return .finished(analyzer.finish())
    }
}
