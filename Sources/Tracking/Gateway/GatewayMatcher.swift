import Bytes
import Capture
import Wire

/// On a capture that holds both sides of a gateway (an interface per side, or `-i any` with
/// Linux cooked v2), pairs each packet with its forwarded copy on the other side and reports the
/// packets that never got one: "arrived on one side, never left on the other" is the proof of a
/// drop at the gateway (or, for a packet the gateway itself made, of its origin there).
///
/// Copies are recognised by what NAT does not change: the IP protocol, the IP identification,
/// the transport payload (its length and a hash of its bytes) and, for TCP, the flags. Addresses
/// and ports may differ (NAT), and the TTL drops by one. A copy may be recorded before or after
/// the original (two capture handles are read in turn), so matching waits `window` either way.
/// Bounded: at most `capacity` packets wait; the oldest is given up (counted) when full.
///
/// Every packet costs O(1) in the number waiting and allocates nothing once the pools have grown:
/// waiting packets sit in reused slots, chained per fingerprint (in arrival order, for the first
/// copy that fits) and listed in arrival order in a ring (for expiry).
public final class GatewayMatcher {
    public struct Fingerprint: Hashable, Sendable {
        var protocolNumber: UInt8
        var identification: UInt32
        var payloadLength: Int
        var payloadHash: UInt64
        var tcpFlags: UInt16
    }

    /// A packet seen on one side whose copy never appeared on the other.
    public struct Unforwarded: Sendable, Equatable {
        public var frame: UInt64
        public var time: Int64
        public var side: Int
        public var source: Endpoint
        public var destination: Endpoint
        public var protocolNumber: UInt8
    }

    public struct Counters: Sendable, Equatable {
        public var matched: UInt64 = 0
        public var unforwarded: UInt64 = 0
        public var givenUp: UInt64 = 0
    }

    public let window: Int64
    public let capacity: Int
    /// The arrival ring holds every packet of the last `window` (matched ones too, see
    /// `GatewayMatcherState.arrivals`); beyond this many the oldest is dropped from it (a waiting
    /// one is given up, counted).
    public let arrivalCapacity: Int
    let state: UnsafeMutablePointer<GatewayMatcherState>

    public init(windowSeconds: Double = 1.0, capacity: Int = 65_536) {
        window = Int64(windowSeconds * 1e9)
        self.capacity = capacity
        arrivalCapacity = max(4 * capacity, 1024)
        state = .allocate(capacity: 1)
        state.initialize(to: GatewayMatcherState())
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    public var counters: Counters { state.pointee.counters }
    /// Whether packets came from two different sides: only then does matching mean something.
    public var sawTwoSides: Bool { state.pointee.twoSides }
    /// Packets waiting for their copy now.
    public var waitingCount: Int { state.pointee.waitingCount }

    /// Records a packet seen on `side` (an interface index or a Linux cooked v2 ifindex).
    /// Returns the frame number of its copy on the other side when this packet completes a pair.
    @discardableResult
    public func observe(frame: UInt64, time: Int64, side: Int, decoded: DecodedPacket,
                        bytes: UnsafeRawBufferPointer) -> UInt64? {
        state.pointee.noteSide(side)
        guard let fingerprint = Self.fingerprint(decoded, bytes: bytes),
              let source = decoded.sourceAddress, let destination = decoded.destinationAddress else { return nil }
        let hash = state.pointee.hash(fingerprint)
        let oldest = state.pointee.chain(fingerprint, hash: hash)
        if let oldest, let partner = state.pointee.match(oldest, side: side, time: time, window: window) {
            return partner
        }
        let ports = Self.ports(decoded)
        let packet = Unforwarded(
            frame: frame, time: time, side: side,
            source: Endpoint(address: source, port: ports.0), destination: Endpoint(address: destination, port: ports.1),
            protocolNumber: fingerprint.protocolNumber)
        state.pointee.wait(packet, fingerprint: fingerprint, hash: hash, oldest: oldest, arrivalCapacity: arrivalCapacity)
        return nil
    }

    /// The next packet whose window has passed without a copy, oldest first; nil when no more
    /// have. Call it until nil with the current capture time (or with `Int64.max` at the end of
    /// the capture). Allocates nothing.
    public func nextUnforwarded(now: Int64) -> Unforwarded? {
        state.pointee.nextUnforwarded(now: now, window: window, capacity: capacity)
    }

    /// Every packet `nextUnforwarded` gives for `now`, as an array.
    public func expire(now: Int64) -> [Unforwarded] {
        var result: [Unforwarded] = []
        while let u = nextUnforwarded(now: now) { result.append(u) }
        return result
    }

    /// Whether `b` is more than `window` after `a` (saturating: damaged timestamps far apart).
    @inline(__always)
    static func isLater(_ b: Int64, than a: Int64, by window: Int64) -> Bool {
        CaptureTime.elapsed(from: a, to: b) > window
    }

    static func ports(_ decoded: DecodedPacket) -> (UInt16, UInt16) {
        switch decoded.transport {
        case .udp(let h): (h.sourcePort, h.destinationPort)
        case .tcp(let h): (h.sourcePort, h.destinationPort)
        default: (0, 0)
        }
    }

    /// A 64-bit hash of a payload, eight bytes at a time (each word folded in by a 128-bit
    /// multiply): a packet and its forwarded copy carry the same bytes, so they hash alike.
    @inline(__always)
    static func payloadHash(_ payload: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        @inline(__always)
        func fold(_ h: UInt64, _ word: UInt64) -> UInt64 {
            let product = (h ^ word).multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15)
            return product.high ^ product.low
        }
        var hash = seed
        var i = 0
        let count = payload.count
        while i + 8 <= count {
            hash = fold(hash, payload.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        var tail = UInt64(count - i) << 56
        while i < count {
            tail = tail << 8 | UInt64(payload[i])
            i += 1
        }
        return fold(hash, tail ^ 0xA076_1D64_78BD_642F)
    }

    public static func fingerprint(_ decoded: DecodedPacket, bytes: UnsafeRawBufferPointer) -> Fingerprint? {
        let protocolNumber: UInt8
        let identification: UInt32
        switch decoded.network {
        case .ipv4(let h):
            protocolNumber = h.protocolNumber
            identification = UInt32(h.identification)
        case .ipv6(let h):
            protocolNumber = h.upperProtocol
            identification = h.flowLabel
        case nil:
            return nil
        }
        var flags: UInt16 = 0
        var tcpSequenceHash: UInt64 = 0
        if case .tcp(let h) = decoded.transport {
            flags = h.flags
            // Segments without payload differ only by their sequence numbers; NAT keeps them.
            tcpSequenceHash = UInt64(h.sequenceNumber) << 32 | UInt64(h.acknowledgementNumber)
        }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ tcpSequenceHash
        let end = min(decoded.payloadOffset + decoded.payloadLength, bytes.count)
        if decoded.payloadOffset < end {
            hash = payloadHash(UnsafeRawBufferPointer(rebasing: bytes[decoded.payloadOffset..<end]), seed: hash)
        }
        if case .icmp = decoded.transport {
            // An ICMP error's quoted header is rewritten by NAT: hash only type and code.
            hash = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes[max(0, decoded.payloadOffset - 8)])
        }
        return Fingerprint(protocolNumber: protocolNumber, identification: identification,
                           payloadLength: decoded.payloadWireLength, payloadHash: hash, tcpFlags: flags)
    }
}

/// The matcher's pools. A waiting packet has a slot; `chains` leads from a fingerprint to the
/// oldest slot with it, and the slots of one fingerprint form a ring in arrival order (the
/// oldest's previous is the newest).
/// `arrivals` lists every packet observed, in arrival order, until its window passes: a packet
/// already matched stays listed (it is skipped when it comes out) because, as it always has,
/// expiry goes strictly in arrival order and a listed packet whose window has not passed holds
/// back the ones after it (a copy can be recorded slightly out of time order).
struct GatewayMatcherState {
    struct Slot {
        var packet: GatewayMatcher.Unforwarded
        var fingerprint: GatewayMatcher.Fingerprint
        /// Bumped when the slot is freed, so arrival entries of an earlier use are recognised.
        var generation: UInt32
        var waiting: Bool
        /// The ring of the slots with this fingerprint, in arrival order.
        var previousSame: Int32
        var nextSame: Int32
        /// The oldest of its fingerprint: the one `chains` leads to.
        var isOldest: Bool
    }

    struct Arrival {
        var time: Int64
        var slot: Int32
        var generation: UInt32
    }

    var slots: [Slot] = []
    var freeSlots: [Int32] = []
    /// The oldest waiting slot of each fingerprint.
    var chains = SlotIndex()
    let hasher = SlotHasher()
    var waitingCount = 0
    /// A ring: `arrivalCount` entries from `arrivalHead`.
    var arrivals: [Arrival] = []
    var arrivalHead = 0
    var arrivalCount = 0
    var counters = GatewayMatcher.Counters()
    var firstSide: Int? = nil
    var twoSides = false

    @inline(__always)
    mutating func noteSide(_ side: Int) {
        guard !twoSides else { return }
        if let first = firstSide { twoSides = first != side } else { firstSide = side }
    }

    /// Takes the oldest waiting packet of a fingerprint (whose oldest slot is given) from another
    /// side within the window.
    mutating func match(_ oldest: Int32, side: Int, time: Int64, window: Int64) -> UInt64? {
        var slot = oldest
        repeat {
            let packet = slots[Int(slot)].packet
            if packet.side != side && CaptureTime.distance(packet.time, time) <= window {
                release(slot)
                counters.matched += 1
                return packet.frame
            }
            slot = slots[Int(slot)].nextSame
        } while slot != oldest
        return nil
    }

    /// Adds a packet to the waiting ones; `oldest` is its fingerprint's oldest slot, if any.
    mutating func wait(_ packet: GatewayMatcher.Unforwarded, fingerprint: GatewayMatcher.Fingerprint, hash: UInt64,
                       oldest: Int32?, arrivalCapacity: Int) {
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            slots[Int(slot)].packet = packet
            slots[Int(slot)].fingerprint = fingerprint
            slots[Int(slot)].waiting = true
        } else {
            slot = Int32(slots.count)
            slots.append(Slot(packet: packet, fingerprint: fingerprint, generation: 0, waiting: true,
                              previousSame: -1, nextSame: -1, isOldest: false))
        }
        if let oldest {
            let newest = slots[Int(oldest)].previousSame
            slots[Int(slot)].previousSame = newest
            slots[Int(slot)].nextSame = oldest
            slots[Int(slot)].isOldest = false
            slots[Int(newest)].nextSame = slot
            slots[Int(oldest)].previousSame = slot
        } else {
            slots[Int(slot)].previousSame = slot
            slots[Int(slot)].nextSame = slot
            slots[Int(slot)].isOldest = true
            chains.insert(slot, hash: hash)
        }
        waitingCount += 1
        if arrivalCount == arrivalCapacity {
            // Beyond the ring's bound the oldest arrival goes, and its packet stops waiting.
            let oldest = popArrival()
            if isWaiting(oldest) {
                release(oldest.slot)
                counters.givenUp += 1
            }
        }
        pushArrival(Arrival(time: packet.time, slot: slot, generation: slots[Int(slot)].generation))
    }

    mutating func nextUnforwarded(now: Int64, window: Int64, capacity: Int) -> GatewayMatcher.Unforwarded? {
        while arrivalCount > 0 {
            let head = arrivals[arrivalHead]
            let overCapacity = waitingCount > capacity
            let expired = GatewayMatcher.isLater(now, than: head.time, by: window)
            guard expired || overCapacity else { return nil }
            _ = popArrival()
            guard isWaiting(head) else { continue }
            let packet = slots[Int(head.slot)].packet
            release(head.slot)
            if overCapacity && !expired {
                counters.givenUp += 1
            } else if twoSides {
                counters.unforwarded += 1
                return packet
            }
        }
        return nil
    }

    @inline(__always)
    func hash(_ f: GatewayMatcher.Fingerprint) -> UInt64 {
        hasher.hash(f.payloadHash, UInt64(f.identification) | UInt64(f.protocolNumber) << 32 | UInt64(f.tcpFlags) << 40,
                    UInt64(bitPattern: Int64(f.payloadLength)))
    }

    /// The oldest waiting slot with this fingerprint (filed under `hash`).
    @inline(__always)
    func chain(_ fingerprint: GatewayMatcher.Fingerprint, hash: UInt64) -> Int32? {
        guard !chains.isEmpty else { return nil }
        return chains.find(hash) { slots[Int($0)].fingerprint == fingerprint }
    }

    @inline(__always)
    func isWaiting(_ arrival: Arrival) -> Bool {
        slots[Int(arrival.slot)].waiting && slots[Int(arrival.slot)].generation == arrival.generation
    }

    /// Frees a waiting slot: out of its fingerprint's chain, onto the free list.
    mutating func release(_ slot: Int32) {
        let s = slots[Int(slot)]
        if s.nextSame == slot {
            chains.remove(slot, hash: hash(s.fingerprint))
        } else {
            slots[Int(s.previousSame)].nextSame = s.nextSame
            slots[Int(s.nextSame)].previousSame = s.previousSame
            if s.isOldest {
                // The next one is now the oldest of its fingerprint.
                chains.replace(slot, with: s.nextSame, hash: hash(s.fingerprint))
                slots[Int(s.nextSame)].isOldest = true
            }
        }
        slots[Int(slot)].isOldest = false
        slots[Int(slot)].waiting = false
        slots[Int(slot)].generation &+= 1
        freeSlots.append(slot)
        waitingCount -= 1
    }

    mutating func pushArrival(_ arrival: Arrival) {
        if arrivalCount == arrivals.count {
            // Grow the ring, unrolled so that it starts at 0 again.
            var grown: [Arrival] = []
            grown.reserveCapacity(max(16, arrivals.count * 2))
            for i in 0..<arrivalCount { grown.append(arrivals[(arrivalHead + i) % arrivals.count]) }
            grown.append(contentsOf: repeatElement(Arrival(time: 0, slot: 0, generation: 0),
                                                   count: max(16, arrivals.count * 2) - arrivalCount))
            arrivals = grown
            arrivalHead = 0
        }
        arrivals[(arrivalHead + arrivalCount) % arrivals.count] = arrival
        arrivalCount += 1
    }

    mutating func popArrival() -> Arrival {
        let arrival = arrivals[arrivalHead]
        arrivalHead += 1
        if arrivalHead == arrivals.count { arrivalHead = 0 }
        arrivalCount -= 1
        return arrival
    }
}
