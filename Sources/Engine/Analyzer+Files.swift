import Capture
#if canImport(Glibc)
import Glibc
#endif

/// `icqscope read`: capture files one after another, or merged into one capture.
extension Analyzer {
    public enum FileReader: String, CaseIterable, Sendable {
        /// icqscope's own pcap/pcapng walker.
        case icqscope
        /// libpcap's reader, as a cross-check.
        case libpcap
    }

    /// Reads every file to its end; a file that does not open is reported and left out.
    public func read(_ paths: [String], with reader: FileReader) {
        for path in paths {
            switch reader {
            case .icqscope:
                do {
                    var source = try CaptureFileReader(path: path)
                    run(&source, format: source.formatName)
                } catch {
                    report(error)
                    noteUnreadable(path)
                }
            case .libpcap:
                do {
                    var source = try LibpcapFileReader(path: path)
                    run(&source, format: "libpcap")
                } catch {
                    var refusal = error
                    refusal.message += " (icqscope's own reader, the default, may still read it)"
                    report(refusal)
                    noteUnreadable(path)
                }
            }
        }
    }

    /// `--merge`: the files that open, read as one capture; each that does not is reported and
    /// left out.
    public func readMerged(_ paths: [String]) {
        var readable: [String] = []
        for path in paths {
            do {
                _ = try CaptureFileReader(path: path)
                readable.append(path)
            } catch {
                report(error)
                noteUnreadable(path)
            }
        }
        guard !readable.isEmpty else { return }
        do {
            // Captures taken apart have clocks of their own: estimated from the packets they share.
            let estimates = MergeClockEstimator.estimate(paths: readable)
            var offsets = [Int64](repeating: 0, count: readable.count)
            for e in estimates { offsets[e.file] = e.offsetNanos ?? 0 }
            var source = try MergedCaptureReader(paths: readable, clockOffsetsNanos: offsets)
            for e in estimates {
                for pair in e.evidence {
                    source.watch(.init(file: 0, packet: pair.reference))
                    source.watch(.init(file: e.file, packet: pair.file))
                }
            }
            runMerged(&source)
            noteClockOffsets(estimates, paths: readable, frames: source.watchedFrames)
        } catch {
            report(error)
        }
    }

    /// The size of every input, when each is a regular file (standard input and pipes have
    /// none): what the progress line counts towards.
    public static func totalSize(_ paths: [String]) -> Int64? {
        var total: Int64 = 0
        for path in paths {
            var info = stat()
            guard path != "-", stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            total += Int64(info.st_size)
        }
        return total
    }
}
