import Bytes
import Wire

/// Puts fragmented IPv4 and IPv6 datagrams back together, as the receiving host would, so the
/// transport and application decoders see whole datagrams (tshark does the same and reports the
/// result at the last fragment).
///
/// Bounded: at most `maximumPending` datagrams in progress and `maximumBytes` held in total;
/// a datagram older than `timeout` (capture time) is abandoned. Every abandonment is counted.
/// Fragments are rare, so copying them is acceptable; whole datagrams are never copied. The
/// datagrams in progress are also kept in order of their first fragment (`DeadlineHeap`), so
/// that finding the ones timed out, or the oldest to evict, never walks them all.
public final class IPDefragmenter {
    public struct Counters: Sendable, Equatable {
        public var fragments: UInt64 = 0
        public var reassembled: UInt64 = 0
        public var timedOut: UInt64 = 0
        public var evictedForCap: UInt64 = 0
        public var invalid: UInt64 = 0
    }

    struct Key: Hashable {
        var source: IPAddress
        var destination: IPAddress
        var protocolNumber: UInt8
        var identification: UInt32
    }

    struct Pending {
        /// Its id in `oldest` (and `keys`).
        var id: Int32
        var header: [UInt8] = []  // the first fragment's fixed IP header (without options for IPv6)
        var payload: [UInt8] = []
        /// What the fragments so far cover: sorted, disjoint ranges (ranges that overlap or
        /// touch are merged; a zero-length fragment stays a range of its own until data reaches it).
        var covered: [(start: Int, end: Int)] = []
        var totalLength: Int? = nil
        var firstSeen: Int64
        var isIPv6: Bool
        var upperProtocol: UInt8
    }

    public let maximumPending: Int
    public let maximumBytes: Int
    public let timeoutNanos: Int64
    public private(set) var counters = Counters()
    private var pending: [Key: Pending] = [:]
    /// The datagrams in progress by the time of their first fragment, then arrival order.
    private var oldest = DeadlineHeap()
    /// By id: the datagram's key, while it is in progress.
    private var keys: [Key?] = []
    private var freeIDs: [Int32] = []
    private var arrivals: UInt64 = 0
    private var bytesHeld = 0
    /// The last reassembled datagram; lent out until the next call.
    private var output: [UInt8] = []

    public init(maximumPending: Int = 1024, maximumBytes: Int = 8 << 20, timeoutSeconds: Int64 = 30) {
        self.maximumPending = maximumPending
        self.maximumBytes = maximumBytes
        timeoutNanos = timeoutSeconds * 1_000_000_000
    }

    /// Adds one fragment. When it completes its datagram, calls `body` with the whole datagram as
    /// raw IP bytes (decodable with link type RAW) and returns what `body` returns.
    public func add<T>(_ decoded: DecodedPacket, frame: UnsafeRawBufferPointer, time: Int64,
                       _ body: (UnsafeRawBufferPointer) -> T) -> T? {
        expire(before: time)
        counters.fragments += 1
        let key: Key
        let offset: Int
        let more: Bool
        let isIPv6: Bool
        let upper: UInt8
        switch decoded.network {
        case .ipv4(let h):
            key = Key(source: h.source, destination: h.destination, protocolNumber: h.protocolNumber,
                      identification: UInt32(h.identification))
            offset = h.fragmentOffset
            more = h.moreFragments
            isIPv6 = false
            upper = h.protocolNumber
        case .ipv6(let h):
            key = Key(source: h.source, destination: h.destination, protocolNumber: h.upperProtocol,
                      identification: h.fragmentIdentification)
            offset = h.fragmentOffset
            more = h.moreFragments
            isIPv6 = true
            upper = h.upperProtocol
        case nil:
            return nil
        }
        let start = decoded.ipPayloadOffset
        let end = decoded.ipEnd
        guard start <= end, end <= frame.count, offset + (end - start) <= 65535 else {
            counters.invalid += 1
            return nil
        }
        let data = UnsafeRawBufferPointer(rebasing: frame[start..<end])
        if pending[key] == nil {
            if pending.count >= maximumPending { evictOldest() }
            pending[key] = Pending(id: track(key, firstSeen: time), firstSeen: time, isIPv6: isIPv6, upperProtocol: upper)
        }
        var entry = pending.removeValue(forKey: key)!
        bytesHeld -= entry.heldBytes
        if offset == 0 {
            let headerEnd = isIPv6 ? decoded.networkOffset + 40 : decoded.ipPayloadOffset
            entry.header = Array(UnsafeRawBufferPointer(rebasing: frame[decoded.networkOffset..<headerEnd]))
        }
        if entry.payload.count < offset + data.count {
            entry.payload += [UInt8](repeating: 0, count: offset + data.count - entry.payload.count)
        }
        entry.place(data, at: offset)
        if !more { entry.totalLength = offset + data.count }
        if let total = entry.totalLength, !entry.header.isEmpty, entry.coversAll(total) {
            counters.reassembled += 1
            untrack(entry.id)
            buildDatagram(entry, payloadLength: total)
            return output.withUnsafeBytes(body)
        }
        bytesHeld += entry.heldBytes
        pending[key] = entry
        while bytesHeld > maximumBytes, !pending.isEmpty { evictOldest() }
        return nil
    }

    /// Drops datagrams whose first fragment is older than the timeout.
    public func expire(before time: Int64) {
        while let (id, firstSeen) = oldest.first {
            let (age, overflow) = time.subtractingReportingOverflow(firstSeen)
            guard overflow ? time > firstSeen : age > timeoutNanos else { return }
            drop(id)
            counters.timedOut += 1
        }
    }

    /// Datagrams still incomplete (at the end of a capture).
    public var incomplete: Int { pending.count }

    private func evictOldest() {
        guard let (id, _) = oldest.first else { return }
        drop(id)
        counters.evictedForCap += 1
    }

    private func drop(_ id: Int32) {
        guard let key = keys[Int(id)], let entry = pending.removeValue(forKey: key) else { return }
        bytesHeld -= entry.heldBytes
        untrack(id)
    }

    /// Gives a new datagram an id in the order of first fragments.
    private func track(_ key: Key, firstSeen: Int64) -> Int32 {
        let id = keys.store(key, reusing: &freeIDs)
        oldest.schedule(id, at: firstSeen, order: arrivals)
        arrivals += 1
        return id
    }

    private func untrack(_ id: Int32) {
        oldest.remove(id)
        keys[Int(id)] = nil
        freeIDs.append(id)
    }

    private func buildDatagram(_ entry: Pending, payloadLength: Int) {
        output.removeAll(keepingCapacity: true)
        output += entry.header
        if entry.isIPv6 {
            let length = payloadLength
            output[4] = UInt8(length >> 8)
            output[5] = UInt8(length & 0xFF)
            output[6] = entry.upperProtocol  // the fragment header and those before it are gone
        } else {
            let length = entry.header.count + payloadLength
            output[2] = UInt8(length >> 8)
            output[3] = UInt8(length & 0xFF)
            output[6] &= 0x40  // keep DF, clear MF and the offset
            output[7] = 0
        }
        output += entry.payload.prefix(payloadLength)
    }
}

extension IPDefragmenter.Pending {
    /// Writes the bytes of a fragment at `offset` that no earlier fragment covered (overlaps: the
    /// earlier copy wins, as most stacks do) and records its range. Costs the fragment's bytes
    /// and the ranges it touches, not every range.
    mutating func place(_ data: UnsafeRawBufferPointer, at offset: Int) {
        let end = offset + data.count
        // The first range that ends at or after the fragment's start (touching ones merge).
        var low = 0, high = covered.count
        while low < high {
            let mid = (low + high) / 2
            if covered[mid].end < offset { low = mid + 1 } else { high = mid }
        }
        let first = low
        var last = first
        var cursor = offset
        payload.withUnsafeMutableBytes { payload in
            func copy(_ from: Int, _ to: Int) {
                guard from < to else { return }
                payload.baseAddress!.advanced(by: from)
                    .copyMemory(from: data.baseAddress!.advanced(by: from - offset), byteCount: to - from)
            }
            while last < covered.count && covered[last].start <= end {
                copy(cursor, min(covered[last].start, end))
                cursor = max(cursor, covered[last].end)
                last += 1
            }
            copy(cursor, end)
        }
        let merged = first < last
            ? (start: min(offset, covered[first].start), end: max(end, covered[last - 1].end))
            : (start: offset, end: end)
        covered.replaceSubrange(first..<last, with: CollectionOfOne(merged))
    }

    /// What the datagram holds against `maximumBytes`: its bytes, and its ranges (zero-length
    /// fragments at distinct offsets add ranges and no bytes).
    var heldBytes: Int { payload.count + covered.count * MemoryLayout<(start: Int, end: Int)>.stride }

    func coversAll(_ total: Int) -> Bool {
        covered.count == 1 && covered[0].start == 0 && covered[0].end >= total
    }
}
