import SampleKit
import Testing
import Tracking
import Wire

/// Many small fragments that overlap, repeat and arrive out of order: each byte keeps the copy
/// that came first (what differs between copies proves it), and the datagram is complete at the
/// fragment that fills the last hole, not before.
struct IPDefragmenterOverlapTests {
    @Test(arguments: [1, 2, 3, 4, 5])
    func theFirstCopyOfEachByteWinsAndCompletionIsExact(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let length = 1_600  // the UDP payload; the datagram is 8 bytes more
        let id = UInt16(seed)
        // Fragments: offsets and lengths in 8-byte units, overlapping and repeated; each copy
        // carries bytes of its own, so that the byte a position keeps tells which copy won.
        var pieces: [(offset: Int, count: Int, fill: UInt8)] = []
        var covered = 0
        while covered < length + 8 {
            let start = max(0, covered - Int(random.next() % 4) * 8)
            let count = min((1 + Int(random.next() % 6)) * 8, length + 8 - start)
            pieces.append((start, count, UInt8(truncatingIfNeeded: pieces.count + 1)))
            covered = start + count
        }
        for _ in 0..<pieces.count / 2 {
            let p = pieces[Int(random.next() % UInt64(pieces.count))]
            pieces.append((p.offset, p.count, UInt8(truncatingIfNeeded: pieces.count + 1)))
        }
        pieces.shuffle(using: &random)

        let defragmenter = IPDefragmenter()
        var model = [UInt8?](repeating: nil, count: length + 8)
        var completedAt: Int? = nil
        var result: [UInt8] = []
        for (n, piece) in pieces.enumerated() {
            let bytes = [UInt8](repeating: piece.fill, count: piece.count)
            let frame = FrameBuilder.ipv4(source: 0x0A00_0001, destination: 0x0A00_0002, protocolNumber: 17,
                                          identification: id, dontFragment: false,
                                          moreFragments: piece.offset + piece.count < length + 8,
                                          fragmentOffset: piece.offset, payload: bytes)
            let decoded = frame.withUnsafeBytes { PacketDecoder.decode($0, linkType: .raw) }
            let whole: [UInt8]? = frame.withUnsafeBytes { raw in
                defragmenter.add(decoded, frame: raw, time: Int64(n)) { datagram in Array(datagram.dropFirst(20)) }
            }
            for i in piece.offset..<(piece.offset + piece.count) where model[i] == nil { model[i] = piece.fill }
            let nowComplete = !model.contains(nil)
            #expect((whole != nil) == nowComplete, "fragment \(n): complete \(nowComplete), reassembled \(whole != nil)")
            if nowComplete {
                completedAt = n
                result = whole ?? []
                break
            }
        }
        #expect(completedAt != nil)
        #expect(result == model.map { $0! })
        #expect(defragmenter.counters.reassembled == 1 && defragmenter.incomplete == 0)
    }
}
