import Foundation
import Testing
import TestSupport

/// The captures in Tests/Fixtures/captures/damaged each once stopped `icqscope read` with a runtime
/// trap (arithmetic overflow on extreme timestamps, in the gateway matcher and the flow record).
/// Each must now end as the output contract says: status 0 or 2, a summary, no trap, and every
/// frame the reader could frame counted (the frames before the damage at least).
@Suite
struct DamagedCaptureCommandTests {
    static let traps = TestPaths.damagedCaptures().map(\.path)

    @Test(arguments: Self.traps)
    func damagedCaptureEndsWithoutATrap(_ path: String) throws {
        for format in ["ndjson", "text"] {
            let r = try CommandRunner.run(["read", "--format", format, "--packets", "--flows", path])
            #expect(r.status == 0 || r.status == 2, "\(path) (\(format)): exit \(r.status): \(r.stderr.prefix(600))")
            #expect(!r.stderr.contains("Fatal error"), "\(path): \(r.stderr.prefix(600))")
            if format == "ndjson" {
                let summary = try #require(r.records(ofType: "summary").first, "\(path): no summary")
                let packets = r.records(ofType: "packet").count
                #expect(packets > 0 && summary["packets"] as? Int == packets)
                if let duration = summary["duration"] as? Double { #expect(duration >= 0) }
            }
        }
    }

    @Test func theTrapsArePresent() {
        #expect(Self.traps.count >= 4)
    }
}
