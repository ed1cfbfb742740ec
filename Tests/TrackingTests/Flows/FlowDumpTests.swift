import Foundation
import Testing
import Tracking

@Test(.enabled(if: SharedCaptures.available, SharedCaptures.missingMessage))
func dumpFlows() throws {
    let e = FileManager.default.enumerator(atPath: SharedCaptures.directory)!
    while let f = e.nextObject() as? String {
        guard f.hasSuffix(".pcap") || f.hasSuffix(".pcapng") else { continue }
        let (records, stats) = try flowRecords(f)
        print("== \(f) flows=\(records.count) icmpUnmatched=\(stats.icmpErrorsUnmatched) noIP=\(stats.packetsWithoutIP) trunc=\(stats.truncatedTransport)")
        for r in records where r.connState != .SF || r.protocolNumber != 6 {
            print("  ", r.label, r.connState, r.history, r.originatorCounters.packets, r.responderCounters.packets, r.firstFrame, r.lastFrame)
        }
    }
}
