import Synchronization

/// A bounded ring of copied packets between one capture thread (the producer) and the analysis
/// thread (the consumer), with `live --threads` of 2 or more.
///
/// One preallocated slab of bytes, written as a stream of records (a 16-byte header: capture time,
/// captured and original length, then the frame's bytes, padded to 8). Copying a packet in is one
/// `memcpy` and taking it out lends the bytes in place, so neither side allocates per packet. Where
/// a record does not fit before the end of the slab, a skip marker sends both sides back to its
/// start. Two running byte counts, each written by one side only, are the whole of the sharing:
/// `published` (the producer's, release) and `released` (the consumer's, release), each read by
/// the other side with acquire ordering. When the ring is full, `append` says so and the producer
/// stops reading: the kernel's buffer fills and libpcap counts what it drops, so no packet is
/// ever lost here without being counted.
final class LivePacketRing: @unchecked Sendable {
    static let headerSize = 16
    /// Captured length of a skip marker: the rest of the slab is unused, the next record is at its start.
    private static let skipMarker = UInt32.max

    /// Bytes in the slab, a power of two.
    let capacity: Int
    private let mask: Int
    private let storage: UnsafeMutableRawPointer
    private let published = Atomic<Int>(0)
    private let released = Atomic<Int>(0)

    // The producer's own: where it writes next, and the last `released` it read.
    private var writePosition = 0
    private var releasedSeen = 0
    // The consumer's own: the record it reads next, and the last `published` it read.
    private var readPosition = 0
    private var publishedSeen = 0

    /// A ring of at least `minimumBytes` (rounded up to a power of two), able to hold at least two
    /// records of `largestFrame` bytes.
    init(minimumBytes: Int, largestFrame: Int) {
        var size = 1 << 16
        let needed = max(minimumBytes, 2 * (LivePacketRing.headerSize + largestFrame + 8))
        while size < needed { size <<= 1 }
        capacity = size
        mask = size - 1
        storage = .allocate(byteCount: size, alignment: 16)
    }

    deinit { storage.deallocate() }

    // MARK: producer (the capture thread)

    /// Copies one packet in, unpublished until `publish()`. False when there is no room: nothing
    /// was written, and the caller waits for the consumer (`hasRoom`) before trying again.
    func append(timestampNanos: Int64, originalLength: UInt32, bytes: UnsafeRawBufferPointer) -> Bool {
        let size = LivePacketRing.recordSize(captured: bytes.count)
        let offset = writePosition & mask
        let tailRoom = capacity - offset
        let skip = tailRoom < size ? tailRoom : 0
        guard room() >= skip + size else { return false }
        if skip > 0 {
            // A marker where the slab ends too early (8 bytes of room are skipped without one).
            if skip >= LivePacketRing.headerSize {
                storage.storeBytes(of: LivePacketRing.skipMarker, toByteOffset: offset + 8, as: UInt32.self)
            }
            writePosition += skip
        }
        let at = writePosition & mask
        storage.storeBytes(of: timestampNanos, toByteOffset: at, as: Int64.self)
        storage.storeBytes(of: UInt32(bytes.count), toByteOffset: at + 8, as: UInt32.self)
        storage.storeBytes(of: originalLength, toByteOffset: at + 12, as: UInt32.self)
        if let base = bytes.baseAddress, bytes.count > 0 {
            (storage + at + LivePacketRing.headerSize).copyMemory(from: base, byteCount: bytes.count)
        }
        writePosition += size
        return true
    }

    /// Makes what was appended visible to the consumer.
    func publish() {
        published.store(writePosition, ordering: .releasing)
    }

    /// Whether a frame of `captured` bytes fits now (it may have to wrap).
    func hasRoom(captured: Int) -> Bool {
        let size = LivePacketRing.recordSize(captured: captured)
        let tailRoom = capacity - (writePosition & mask)
        return room() >= (tailRoom < size ? tailRoom : 0) + size
    }

    private func room() -> Int {
        var free = capacity - (writePosition - releasedSeen)
        if free < capacity {
            releasedSeen = released.load(ordering: .acquiring)
            free = capacity - (writePosition - releasedSeen)
        }
        return free
    }

    // MARK: consumer (the analysis thread)

    /// The oldest published record, left in the ring until `release()`. Its bytes stay valid until then.
    func peek() -> (timestampNanos: Int64, originalLength: Int, bytes: UnsafeRawBufferPointer)? {
        while true {
            if readPosition == publishedSeen {
                publishedSeen = published.load(ordering: .acquiring)
                if readPosition == publishedSeen { return nil }
            }
            let at = readPosition & mask
            let tailRoom = capacity - at
            if tailRoom < LivePacketRing.headerSize {
                readPosition += tailRoom
                continue
            }
            let captured = storage.load(fromByteOffset: at + 8, as: UInt32.self)
            if captured == LivePacketRing.skipMarker {
                readPosition += tailRoom
                continue
            }
            return (storage.load(fromByteOffset: at, as: Int64.self),
                    Int(storage.load(fromByteOffset: at + 12, as: UInt32.self)),
                    UnsafeRawBufferPointer(start: storage + at + LivePacketRing.headerSize, count: Int(captured)))
        }
    }

    /// Gives the record `peek()` returned back to the producer.
    func release() {
        let captured = Int(storage.load(fromByteOffset: (readPosition & mask) + 8, as: UInt32.self))
        readPosition += LivePacketRing.recordSize(captured: captured)
        released.store(readPosition, ordering: .releasing)
    }

    /// Bytes published and not yet released: how full the ring is, as the consumer sees it.
    var consumerFill: Int { publishedSeen - readPosition }

    private static func recordSize(captured: Int) -> Int {
        headerSize + ((captured + 7) & ~7)
    }
}
