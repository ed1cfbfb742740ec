import Foundation
import SampleKit
import Testing
import TestSupport

/// The gateway mix that the benchmarks run on (scripts/bench-compare.sh, bench-gate-callgrind.sh):
/// deterministic, a prefix of itself when shorter, every user active throughout, the mix's
/// proportions, and traffic that `icqscope read` decodes as the protocols it was made of.
@Suite(.serialized)
struct GatewayMixCommandTests {
    static let users = 20
    static let packets = 4_000

    static func write(users: Int = users, packets: Int = packets, seed: UInt64 = 1,
                      _ name: String) throws -> (url: URL, counts: GatewayMix.Counts) {
        let url = TestPaths.temporaryFile(name)
        let counts = try GatewayMixFile.write(users: users, packets: packets, seed: seed, to: url.path)
        return (url, counts)
    }

    /// The classic pcap records: capture time (µs) and frame bytes.
    static func records(_ url: URL) throws -> [(micros: Int64, frame: ArraySlice<UInt8>)] {
        let bytes = Array(try Data(contentsOf: url))
        var out: [(Int64, ArraySlice<UInt8>)] = []
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        #expect(u32(0) == 0xA1B2_C3D4 && u32(20) == 1, "classic pcap, microseconds, Ethernet")
        var offset = 24
        while offset + 16 <= bytes.count {
            let length = u32(offset + 8)
            out.append((Int64(u32(offset)) * 1_000_000 + Int64(u32(offset + 4)), bytes[offset + 16..<offset + 16 + length]))
            offset += 16 + length
        }
        #expect(offset == bytes.count)
        return out
    }

    @Test func sameSeedSameBytesAndShorterFilesArePrefixes() throws {
        let a = try Self.write("mix-a.pcap")
        let b = try Self.write("mix-b.pcap")
        let half = try Self.write(packets: Self.packets / 2, "mix-half.pcap")
        let other = try Self.write(seed: 2, "mix-seed2.pcap")
        defer { for file in [a, b, half, other] { try? FileManager.default.removeItem(at: file.url) } }
        let bytes = try Data(contentsOf: a.url)
        #expect(bytes == (try Data(contentsOf: b.url)))
        #expect(a.counts == b.counts)
        let prefix = try Data(contentsOf: half.url)
        #expect(prefix.count < bytes.count && bytes.prefix(prefix.count) == prefix)
        #expect(bytes != (try Data(contentsOf: other.url)))
    }

    @Test func proportionsRateAndEveryUserActiveThroughout() throws {
        let file = try Self.write(users: 50, packets: 20_000, "mix-shape.pcap")
        defer { try? FileManager.default.removeItem(at: file.url) }
        let counts = file.counts
        #expect(counts.packets == 20_000)
        for category in GatewayMix.Category.allCases {
            let percent = Double(counts[category]) * 100 / Double(counts.packets)
            #expect(abs(percent - Double(category.share)) < 1.0, "\(category): \(percent)% of the packets")
        }
        // Half of the ICQ packets are the clients', encrypted.
        let encrypted = Double(counts.encryptedICQ) / Double(counts[GatewayMix.Category.icq])
        #expect(encrypted > 0.45 && encrypted < 0.55, "\(encrypted) of the ICQ packets encrypted")

        let records = try Self.records(file.url)
        #expect(records.count == 20_000)
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.micros <= $1.micros }, "time order")
        // 20,000 packets per second of capture time: 1 s.
        let span = Double(records.last!.micros - records.first!.micros) / 1e6
        #expect(abs(span - 1.0) < 0.01, "\(span) s")
        #expect(Double(counts.webConnections) >= span * 1000, "at least one new web connection per millisecond")

        // Each user (10.0.0.0/8 on one side of every frame) speaks in each quarter of the file.
        func user(_ frame: ArraySlice<UInt8>) -> UInt32? {
            let ip = frame.startIndex + 14
            for at in [ip + 12, ip + 16] where frame[at] == 10 {
                return UInt32(frame[at]) << 24 | UInt32(frame[at + 1]) << 16 | UInt32(frame[at + 2]) << 8 | UInt32(frame[at + 3])
            }
            return nil
        }
        #expect(records.allSatisfy { user($0.frame) != nil }, "every packet belongs to a user")
        let quarter = records.count / 4
        for q in 0..<4 {
            let seen = Set(records[q * quarter..<(q + 1) * quarter].compactMap { user($0.frame) })
            #expect(seen.count == 50, "quarter \(q): \(seen.count) users")
        }
    }

    /// icqscope counts the protocols the mix was made of: every ICQ datagram and OSCAR segment
    /// (OSCAR is picked up mid-stream); every SOCKS and peer-to-peer PDU of the connections
    /// whose SYN is in the capture, and at most all the others' (those under way when the capture
    /// starts lack their first segments, and peer framing cannot be picked up mid-stream).
    /// Nothing is malformed, and findings are few.
    @Test func icqscopeDecodesTheMix() throws {
        let file = try Self.write("mix-decode.pcap")
        defer { try? FileManager.default.removeItem(at: file.url) }
        let r = try CommandRunner.run(["read", "--format", "ndjson", file.url.path])
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty)
        let summary = try #require(r.records(ofType: "summary").first)
        #expect(summary["packets"] as? Int == Self.packets)
        #expect((summary["malformed"] as? [String: Any])?.isEmpty ?? false, "\(summary["malformed"] ?? "")")
        let protocols = try #require(summary["protocols"] as? [String: Int])
        let counts = file.counts
        #expect(protocols["icq"] == counts[GatewayMix.Category.icq])
        #expect(protocols["oscar"] == counts[GatewayMix.Carried.oscar])
        for (name, carried) in [("socks", GatewayMix.Carried.socks), ("icq_peer", .peer)] {
            let seen = protocols[name] ?? 0
            #expect(counts.fromStart(carried) > 0)
            #expect(seen <= counts[carried] && seen >= counts.fromStart(carried),
                    "\(name): \(seen), expected \(counts.fromStart(carried))...\(counts[carried])")
        }
        // Per 100 packets: 40 ICQ; OSCAR, SOCKS and peer frames carrying their PDUs.
        #expect(abs(Double(protocols["icq"] ?? 0) * 100 / Double(Self.packets) - 40) < 1.5)
        let findings = r.records(ofType: "finding")
        #expect(findings.count < Self.packets / 100, "\(findings.count) findings")
        #expect(findings.allSatisfy { $0["kind"] as? String == "blocked_peer_port" },
                "only the refused and unanswered peer calls: \(findings.map { $0["kind"] ?? "" })")
    }
}
