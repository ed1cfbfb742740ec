import Capture
#if canImport(Glibc)
import Glibc
#endif

/// Frames the reading shard of `read --threads` hands the others (docs/architecture.md, "every
/// core"): every frame of the file with its number, time and owner, and a copy of the bytes of
/// the frames another shard analyses. Only the first shard reads the file and decides owners;
/// the others see another shard's frame as a number and a time, which is all they need of it.
/// Written by the reading shard only, then read by every other shard; reused once all are done.
final class FrameBatch: @unchecked Sendable {
    struct Entry {
        var frame: UInt64
        /// Capture time as read.
        var time: Int64
        var owner: Int32
        /// Where the copy of the frame starts in the batch's storage (-1: the reading shard's
        /// own frame, not copied).
        var start: Int32
        var length: Int32
        var originalLength: Int32
        var interfaceIndex: Int32
        var linkType: LinkType
    }

    /// Frames per batch: the handoff's locks are taken once per batch.
    static let capacity = 4096

    /// A fixed buffer, not an array: an append then checks nothing but the count.
    private let entryBuffer = UnsafeMutablePointer<Entry>.allocate(capacity: FrameBatch.capacity)
    private(set) var count = 0
    private var storage: UnsafeMutableRawPointer
    private var storageCapacity: Int
    private var used = 0
    /// The file's interfaces when the batch was handed over.
    var interfaces: [CaptureInterface] = []
    /// The reader's last batch: nothing follows, and `totalFrames` is the file's count.
    var isLast = false
    var totalFrames: UInt64 = 0
    /// Shards still reading the batch.
    fileprivate var readers = 0

    init() {
        storageCapacity = Self.capacity * 256
        storage = .allocate(byteCount: storageCapacity, alignment: 16)
    }

    deinit {
        storage.deallocate()
        entryBuffer.deallocate()
    }

    /// The frames, in file order.
    var entries: UnsafeBufferPointer<Entry> { UnsafeBufferPointer(start: entryBuffer, count: count) }

    /// A frame of the reading shard (nothing is copied) or, with its bytes, of another shard.
    @inline(__always)
    func append(_ packet: CapturedPacket, owner: Int, copied: Bool) {
        var start: Int32 = -1
        if copied {
            let length = packet.bytes.count
            if used + length > storageCapacity { grow(toHold: used + length) }
            if length > 0 { (storage + used).copyMemory(from: packet.bytes.baseAddress!, byteCount: length) }
            start = Int32(truncatingIfNeeded: used)
            used += length
        }
        precondition(count < Self.capacity, "a batch holds \(Self.capacity) frames")
        // A record's length fits 32 bits (the readers refuse more), and so does a batch's storage
        // of 4,096 of them; owners and interfaces are small numbers: no check at every frame.
        (entryBuffer + count).initialize(to: Entry(frame: packet.frameNumber, time: packet.timestampNanos,
                                                   owner: Int32(truncatingIfNeeded: owner), start: start,
                                                   length: Int32(truncatingIfNeeded: packet.bytes.count),
                                                   originalLength: Int32(truncatingIfNeeded: packet.originalLength),
                                                   interfaceIndex: Int32(truncatingIfNeeded: packet.interfaceIndex),
                                                   linkType: packet.linkType))
        count += 1
    }

    /// The packet of a copied frame, lent from the batch.
    @inline(__always)
    func packet(_ entry: Entry) -> CapturedPacket {
        CapturedPacket(frameNumber: entry.frame, timestampNanos: entry.time, interfaceIndex: Int(entry.interfaceIndex),
                       linkType: entry.linkType, originalLength: Int(entry.originalLength),
                       bytes: UnsafeRawBufferPointer(start: storage + Int(entry.start), count: Int(entry.length)))
    }

    private func grow(toHold count: Int) {
        var capacity = storageCapacity
        while capacity < count { capacity *= 2 }
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        bigger.copyMemory(from: storage, byteCount: used)
        storage.deallocate()
        storage = bigger
        storageCapacity = capacity
    }

    fileprivate func reset() {
        count = 0
        used = 0
        isLast = false
        totalFrames = 0
    }
}

/// The queues between the reading shard and each other shard, bounded so that the reader runs
/// at most `depth` batches ahead of the slowest, and the pool the batches come back to.
final class FrameHandoff: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Batches handed to each shard and not yet taken (index 0, the reader's, stays empty).
    private var queues: [[FrameBatch]]
    private var pool: [FrameBatch] = []
    private let depth = 8
    /// The interfaces the file declared when the reader opened it (each shard's `begin`):
    /// written before the first batch is handed over, read after it is taken.
    var openingInterfaces: [CaptureInterface] = []

    init(shards: Int) {
        queues = Array(repeating: [], count: shards)
        pthread_mutex_init(lock, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(lock)
        lock.deallocate()
        changed.deallocate()
    }

    /// An empty batch for the reader.
    func emptyBatch() -> FrameBatch {
        pthread_mutex_lock(lock)
        let batch = pool.popLast()
        pthread_mutex_unlock(lock)
        guard let batch else { return FrameBatch() }
        batch.reset()
        return batch
    }

    /// Hands `batch` to every other shard, waiting while one of them is `depth` batches behind.
    func hand(_ batch: FrameBatch) {
        pthread_mutex_lock(lock)
        while queues.dropFirst().contains(where: { $0.count >= depth }) { pthread_cond_wait(changed, lock) }
        batch.readers = queues.count - 1
        for i in queues.indices.dropFirst() { queues[i].append(batch) }
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(lock)
    }

    /// The next batch for shard `index`, waiting for the reader.
    func next(for index: Int) -> FrameBatch {
        pthread_mutex_lock(lock)
        while queues[index].isEmpty { pthread_cond_wait(changed, lock) }
        let batch = queues[index].removeFirst()
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(lock)
        return batch
    }

    /// A shard is done with `batch`: after the last, it goes back to the pool.
    func done(with batch: FrameBatch) {
        pthread_mutex_lock(lock)
        batch.readers -= 1
        if batch.readers == 0 { pool.append(batch) }
        pthread_mutex_unlock(lock)
    }
}
