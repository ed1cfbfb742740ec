import Capture
import Report

extension Analyzer {
    /// `read --merge`: what each file's clock was taken to be against the first file's, and the
    /// merged frames of the pairs that estimate rests on (the summary states it).
    public func noteClockOffsets(_ estimates: [MergeClockEstimator.Estimate], paths: [String],
                                 frames: [MergedCaptureReader.WatchedPacket: UInt64]) {
        func name(_ path: String) -> String { path.split(separator: "/").last.map(String.init) ?? path }
        for e in estimates where e.file < paths.count {
            var numbers: [UInt64] = []
            for pair in e.evidence {
                guard let r = frames[.init(file: 0, packet: pair.reference)],
                      let f = frames[.init(file: e.file, packet: pair.file)] else { continue }
                numbers += [min(r, f), max(r, f)]
            }
            summary.clockOffsets.append(Summary.ClockOffset(
                file: name(paths[e.file]), reference: name(paths[0]), offsetNanos: e.offsetNanos,
                packetsInCommon: e.packetsInCommon, frames: numbers))
        }
    }
}
