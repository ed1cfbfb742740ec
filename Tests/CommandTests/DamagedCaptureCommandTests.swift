import Foundation
import SampleKit
import Testing
import Wire
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

    /// Found by FuzzAnalysis (Fuzz/regressions/FuzzAnalysis/far-side-gap-across-the-whole-clock):
    /// on a capture of both sides, a session's packet on the far side stamped at the clock's upper
    /// end while its last packet was at the lower end: the idle gap between them (2^63 ns) did
    /// not fit an Int64. Gaps saturate now.
    @Test func aGapAcrossTheWholeClockSaturates() throws {
        var file = PcapngBuilder()
        file.interface(linkType: 1, name: "inside0", resolution: 9)
        file.interface(linkType: 1, name: "outside0", resolution: 9)
        let login = ICQEncoder.v5Client(uin: 1001, session: 0x2A5F_1C03, command: ICQCommand.Client.login, seq1: 1, seq2: 1,
                                        parameters: ICQParameters.login(time: 0, tcpPort: 3456, password: "pw", lanIP: 0xC0A8_0102),
                                        r1: 0x18, r2: 7)
        let frame = FrameBuilder.udpFrame(from: 0xC0A8_0102, 1100, to: 0xC633_6404, 4000, payload: login)
        // Damaged timestamps at both ends of the range the analysis keeps times in (±2^62 ns).
        file.enhancedPacket(interface: 0, units: UInt64(bitPattern: -(1 << 62)), frame: frame)
        file.enhancedPacket(interface: 1, units: UInt64(1 << 62), frame: frame)
        let url = TestPaths.temporaryFile("gap-across-the-clock.pcapng")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(file.bytes).write(to: url)
        for format in ["ndjson", "text"] {
            let r = try CommandRunner.run(["read", "--format", format, "--packets", "--flows", url.path])
            #expect(r.status == 0, "\(format): exit \(r.status): \(r.stderr.prefix(600))")
        }
    }

    /// The largest duration each threshold accepts (just under 9e18 ns) is arithmetic too: twice
    /// the retransmission interval, the ICQ give-up time, did not fit an Int64 and trapped.
    @Test func theLargestThresholdsDoNotTrap() throws {
        for option in ["--firewall-timeout", "--udp-idle-timeout", "--ack-wait", "--retransmit-interval",
                       "--syn-provisional", "--syn-final", "--keepalive"] {
            let r = try CommandRunner.run(["read", option, "8999999999", "samples/icq-v5-session.pcapng"])
            #expect(r.status == 0, "\(option): exit \(r.status): \(r.stderr.prefix(400))")
        }
    }
}
