import Bytes
import Capture
import Foundation
import Testing
import TestSupport

@testable import Wire

/// Paths and helpers shared by the ICQ tests.
enum ICQTestSupport {
    /// The package root, found from this file's path (Tests/WireTests/ICQTestSupport.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A capture under Tests/Fixtures/captures, by relative path.
    static func capture(_ relative: String) -> String { TestPaths.capture(relative) }

    static func fixture(_ name: String) -> String {
        packageRoot.appendingPathComponent("Tests/Fixtures/icq/\(name)").path
    }

    /// Rows of a TSV fixture, comment lines (#) skipped, split on tabs keeping empty fields.
    static func tsvRows(_ name: String) throws -> [[String]] {
        let text = try String(contentsOfFile: fixture(name), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: true)
            .filter { !$0.hasPrefix("#") }
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    static func bytes(_ hex: String) -> [UInt8] {
        guard let b = Hex.parse(hex) else { fatalError("bad hex in test: \(hex)") }
        return b
    }

    /// What the decoder said about one UDP datagram of a capture, copied out of the borrowed
    /// buffers so that tests can look at it after the loop.
    struct Observed {
        var frame: UInt64
        var sourcePort: UInt16
        var destinationPort: UInt16
        var payload: [UInt8]
        var kind: Kind
        var header: ICQHeader?
        var body: ICQBody?
        var plaintext: [UInt8]
        var checkcodeValid: Bool?
        var key: UInt32?
        var reason: String?
        var summary: String?

        enum Kind: Equatable { case icq, malformed, notICQ }
    }

    /// Walks a capture with our reader and decoders and classifies every UDP payload.
    static func classifyUDP(in path: String, decoder: ICQDecoder = ICQDecoder()) throws -> [Observed] {
        var reader = try CaptureFileReader(path: path)
        var out: [Observed] = []
        while let packet = try reader.nextPacket() {
            let decoded = PacketDecoder.decode(packet)
            guard case .udp(let udp) = decoded.transport else { continue }
            let payload = decoded.payload(of: packet.bytes)
            let result = decoder.classify(payload, sourcePort: udp.sourcePort, destinationPort: udp.destinationPort)
            var o = Observed(
                frame: packet.frameNumber, sourcePort: udp.sourcePort, destinationPort: udp.destinationPort,
                payload: Array(payload), kind: .notICQ, plaintext: [])
            switch result {
            case .icq(let p):
                o.kind = .icq
                o.header = p.header
                o.body = p.body
                o.plaintext = Array(p.bytes)
                o.checkcodeValid = p.checkcodeValid
                o.key = p.key
                o.summary = p.summary()
            case .malformed(let m, let h):
                o.kind = .malformed
                o.header = h
                o.reason = m.reason.description
            case .notICQ:
                break
            }
            out.append(o)
        }
        return out
    }

    /// Deterministic generator for the corruption tests (SplitMix64).
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}

extension ICQDecoder {
    /// Classifies a byte array (test convenience).
    func classify(_ bytes: [UInt8], sourcePort: UInt16, destinationPort: UInt16) -> ICQClassification {
        bytes.withUnsafeBytes { classify($0, sourcePort: sourcePort, destinationPort: destinationPort) }
    }
}

extension ICQClassification {
    var reasonText: String? { malformation.map { $0.reason.description } }
}
