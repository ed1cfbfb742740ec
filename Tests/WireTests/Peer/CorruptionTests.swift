import Bytes
import Testing
import Wire
import TestSupport

/// Truncated and corrupted real streams: every decoder step must stay within the bytes given,
/// and the decoders must end (malformed with a reason, or not-this-protocol), never trap or loop.
@Suite
struct CorruptionTests {
    /// A small deterministic generator (xorshift) so failures reproduce.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
    }

    func conversations() throws -> [TCPConversation] {
        let v8 = try CaptureStreams.load(TestPaths.capture("real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap"))
        let v6 = try CaptureStreams.load(TestPaths.capture("real-software/icqv5-udp-and-peer-v6__iserverd-micq.pcap"))
        let socks = try CaptureStreams.load(TestPaths.capture("real-software/socks-dante-microsocks.pcap"))
        return v8.conversations.filter { [40012, 40014, 1080].contains($0.responder.port) }
            + v6.conversations.filter { $0.responder.port == 40002 && !$0.fromInitiator.data.isEmpty }
            + socks.conversations.filter { [1080, 1081, 1082].contains($0.responder.port) }
    }

    /// Runs both decoders over a conversation whose bytes were altered; checks each step's bounds.
    func exercise(_ c: TCPConversation, scratch: PeerScratch) -> (peerMalformed: Int, socksMalformed: Int) {
        var peer = PeerConnection()
        var peerMalformed = 0
        StreamDriver.run(c) { bytes, fromInitiator, _ in
            switch peer.consume(bytes, fromInitiator: fromInitiator, scratch: scratch) {
            case .pdu(let pdu):
                #expect(pdu.length > 0 && pdu.length <= bytes.count)
                var v = CollectingVisitor()
                pdu.visitFields(frame: bytes, scratch: scratch, into: &v)
                return .consumed(pdu.length)
            case .needMore(let n):
                #expect(n > 0 && n <= 0x10001)
                return .wait
            case .awaitPeer: return .wait
            case .malformed(let offset, _):
                #expect(offset >= 0)
                peerMalformed += 1
                return .stop
            case .notPeer: return .stop
            }
        }
        var socks = SOCKSConnection()
        var socksMalformed = 0
        StreamDriver.run(c) { bytes, fromInitiator, _ in
            switch socks.consume(bytes, fromClient: fromInitiator) {
            case .message(let m):
                #expect(m.length > 0 && m.length <= bytes.count)
                var v = CollectingVisitor()
                m.visitFields(UnsafeRawBufferPointer(rebasing: bytes[0..<m.length]), revealSecrets: true, into: &v)
                return .consumed(m.length)
            case .preamble(let n): return .consumed(n)
            case .needMore(let n):
                #expect(n > 0 && n < 600)
                return .wait
            case .awaitPeer: return .wait
            case .tunnel: return .consumed(bytes.count)
            case .malformed:
                socksMalformed += 1
                return .stop
            case .unexpectedData, .notSOCKS: return .stop
            }
        }
        return (peerMalformed, socksMalformed)
    }

    @Test func truncatedStreams() throws {
        let scratch = PeerScratch()
        for c in try conversations() {
            for cut in stride(from: 0, through: min(c.fromInitiator.data.count, 400), by: 3) {
                var t = c
                t.fromInitiator.data = Array(c.fromInitiator.data.prefix(cut))
                t.fromInitiator.chunks = t.fromInitiator.chunks.compactMap { $0.end <= cut ? $0 : nil } + [(cut, 999_999)]
                _ = exercise(t, scratch: scratch)
            }
        }
    }

    @Test func corruptedStreams() throws {
        let scratch = PeerScratch()
        var rng = Rng(state: 0x1CE5_C0DE)
        var malformed = (0, 0)
        for c in try conversations() {
            for _ in 0..<40 {
                var t = c
                for _ in 0..<4 where !t.fromInitiator.data.isEmpty {
                    let i = Int(rng.next() % UInt64(min(t.fromInitiator.data.count, 256)))
                    t.fromInitiator.data[i] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                }
                if !t.fromResponder.data.isEmpty {
                    let i = Int(rng.next() % UInt64(min(t.fromResponder.data.count, 256)))
                    t.fromResponder.data[i] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                }
                let r = exercise(t, scratch: scratch)
                malformed.0 += r.peerMalformed
                malformed.1 += r.socksMalformed
            }
        }
        // Damage inside an established handshake is reported as malformed (not silently accepted).
        #expect(malformed.0 > 0)
        #expect(malformed.1 > 0)
    }

    /// A length field pointing far beyond the data asks for the missing bytes (bounded by 64 KiB),
    /// and a zero length is malformed.
    @Test func peerLengthEdgeCases() {
        let scratch = PeerScratch()
        var c = PeerConnection()
        let init8: [UInt8] = [0x30, 0x00, 0xFF, 0x08, 0x00, 0x2B, 0x00] + [UInt8](repeating: 0, count: 43)
        guard case .pdu = init8.withUnsafeBytes({ c.consume($0, fromInitiator: true, scratch: scratch) }) else { Issue.record(); return }
        #expect([UInt8]([0xFF, 0xFF, 0x02]).withUnsafeBytes { c.consume($0, fromInitiator: true, scratch: scratch) } == .needMore(0xFFFF + 2 - 3))
        #expect([UInt8]([0x00, 0x00]).withUnsafeBytes { c.consume($0, fromInitiator: true, scratch: scratch) }
            == .malformed(offset: 0, reason: "peer frame length 0"))
        // A v8 message too short for its check code.
        #expect([UInt8]([0x03, 0x00, 0x02, 0x01, 0x02]).withUnsafeBytes { c.consume($0, fromInitiator: true, scratch: scratch) }
            == .malformed(offset: 3, reason: "peer message too short for its check code"))
        // Not a PEER_INIT first: not the peer protocol.
        var d = PeerConnection()
        #expect(Array("8=FIX.4.2\u{1}9=65".utf8).withUnsafeBytes { d.consume($0, fromInitiator: true, scratch: scratch) } == .notPeer)
    }
}
