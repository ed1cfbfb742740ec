import Bytes
import Capture
import Diagnosis
import Report
import Tracking

/// Where one thread would have written a result, so that the results of every shard can be put
/// back in that order: the frame being analysed, the step of its analysis, and for what comes due
/// at one instant (deadlines of several shards at one frame) the order one thread gives it.
struct RecordKey: Comparable {
    enum Step: UInt8 {
        /// A reader error, before the frame with this number.
        case beforeFrame = 0
        /// What the frame's own packet established (only its shard analyses it).
        case transport = 1
        /// ICQ exchanges and sessions that came due at this frame's time, in every shard: one
        /// thread resolves them when the first analysis of the frame moves the ICQ clock (before
        /// an ICQ packet, else after the frame's transport).
        case icqDeadlines = 2
        /// Connection attempts that came due (before a TCP segment, else after the ICQ ones).
        case attemptDeadlines = 3
        // The end of the run (frame = .max), in the order `finish()` runs its parts.
        case streamsFinished = 10
        case sessionsFinished = 12
        case pendingFinished = 13
    }

    var frame: UInt64
    var step: Step
    /// What orders what came due at one instant: 0 exchanges or attempts, 1 sessions.
    var group: UInt8 = 0
    var a: Int64 = 0
    var b: UInt64 = 0
    var c: UInt64 = 0

    static func < (x: RecordKey, y: RecordKey) -> Bool {
        (x.frame, x.step.rawValue, x.group, x.a, x.b, x.c) < (y.frame, y.step.rawValue, y.group, y.a, y.b, y.c)
    }

    /// The order among things due at one instant, of an ICQ tracker event (as the session table
    /// orders them: exchanges by first copy, then sessions by UIN and session id).
    mutating func order(_ event: ICQSessionTracker.Event) {
        switch event {
        case .request(_, let exchange, _), .push(_, let exchange, _):
            (group, a, b, c) = (0, exchange.firstTime, UInt64(exchange.seq1), exchange.firstFrame)
        case .unresolved(let facts, _, _, _, _):
            (group, a, b, c) = (1, Int64(facts.key.uin), UInt64(facts.key.sessionID), 0)
        case .sessionEnded(let session):
            (group, a, b, c) = (1, Int64(session.key.uin), UInt64(session.key.sessionID), 0)
        case .rebinding, .serverSequenceGap:
            (group, a, b, c) = (2, 0, 0, 0)
        }
    }

    /// The same for a connection attempt's event (due attempts oldest first, by SYN time and frame).
    mutating func order(_ event: ConnectionAttemptEvent) {
        switch event {
        case .unanswered(let attempt, _, _), .answered(let attempt, _), .reset(let attempt, _, _),
             .icmpUnreachable(let attempt, _, _, _, _), .droppedAtGateway(let attempt, _):
            (group, a, b, c) = (0, attempt.firstTime, attempt.frames.first ?? 0, 0)
        }
    }
}

/// A result a shard established, kept until the merge writes it through the main analyzer.
/// The large payloads are boxed (`indirect`), so that the list of a million results is a list
/// of small entries.
enum ShardResult {
    indirect case finding(Finding)
    /// An ended session's NDJSON record, as `ShardRecords.rendered(_:)` gives it, or its text line.
    case renderedSession(Int)
    indirect case sessionLine(String)
    indirect case error(CaptureError)
    /// Calls into run-wide state, replayed into the main analyzer in order. The ledger's, one
    /// for most answered connections, by index in `ShardRecords.ledgerCalls` (unboxed).
    case ledger(Int)
    indirect case bound(UDPTimeoutBrackets.Call)
    indirect case keepalive(ICQDiagnosis.KeepaliveClaimSeen)
    indirect case openDeadline(ICQDiagnosis.OpenDeadline)
    /// An endpoint advertised to the connection attempts (`ShardRecords.advertisements`, by
    /// index: the most frequent result, kept unboxed): the merge hands it to the ledger.
    case advertised(Int)
    /// A connection attempt's event, for the peer-port rule, which judges them all in the merge;
    /// and a login, which the rule reads (who is inside, and their UIN).
    indirect case attemptEvent(ConnectionAttemptEvent)
    indirect case login(uin: UInt32, address: IPAddress)
    /// The shard's frame moved the ICQ clock here, inside its transport step, and more of the
    /// frame's own results follow: every shard's ICQ deadlines at this frame go here.
    case icqClockMoved

    var isICQClockMarker: Bool {
        if case .icqClockMoved = self { return true }
        return false
    }
}

/// A packet of an outside host (other shards may see it too), as the marks of the peer-port
/// rule take it.
struct SenderNote {
    var frame: UInt64
    /// An IPv6 source, by the shard's id of it (`ShardHosts`; -1: an IPv4 source, in `ipv4`);
    /// after the run, any source by its number among the hosts several shards see
    /// (`keepSharedNotes`).
    var host: Int32
    /// An IPv4 source's address: noted as it is, since looking up an id for every noted packet
    /// was a tenth of a shard's own overhead, and after the run only a handful are kept.
    var ipv4: UInt32
    var time: Int64
    var destination: UInt32
    var id: UInt16?
    var ttl: UInt8
}

/// What a SYN's lookup of advertised endpoints found in a shard, for `ShardConflicts.lookups`.
struct SYNLookup {
    var frame: UInt64
    var endpoint: Endpoint
    var found: AdvertisedEndpoints.Entry?
}

/// One shard's results in the order it established them, each with its key.
final class ShardRecords {
    private(set) var keys: [RecordKey] = []
    private(set) var results: [ShardResult] = []
    /// The key the next result gets; the analyzer moves it as it goes through a frame.
    var key = RecordKey(frame: 0, step: .transport)
    /// The frame whose ICQ clock moved inside its transport step, until a result of that frame
    /// follows (then the marker goes in first) or the next frame begins (then the ICQ deadlines
    /// go after the transport results, where the merge puts them anyway).
    private var icqClockMovedAt: UInt64? = nil
    /// The packets of outside hosts, which other shards may see too, noted for their marks (TTL,
    /// IP id), in frame order: apart from the results, as there is one for most packets.
    private(set) var senderNotes: [SenderNote] = []

    func noteSender(_ note: SenderNote) { senderNotes.append(note) }

    /// Once the hosts several shards see are known: keeps the notes of those the merge
    /// follows, each by the host's shared number (`numbers`: of an IPv6 source by the shard's
    /// id, -1 for a host not followed; `ipv4Numbers`: of the IPv4 sources followed).
    func keepSharedNotes(numbers: [Int32], ipv4Numbers: IPv4Numbers) {
        guard !ipv4Numbers.isEmpty || numbers.contains(where: { $0 >= 0 }) else {
            senderNotes.removeAll()
            return
        }
        var kept = 0
        for i in senderNotes.indices {
            let note = senderNotes[i]
            let number = note.host >= 0 ? numbers[Int(note.host)] : ipv4Numbers.number(note.ipv4)
            guard number >= 0 else { continue }
            senderNotes[kept] = senderNotes[i]
            senderNotes[kept].host = number
            kept += 1
        }
        senderNotes.removeLast(senderNotes.count - kept)
    }

    /// Room for the results of about `frames` frames, in address space only: the pages are
    /// touched as results come. Grown by doubling instead, each array was copied as it grew, and
    /// every page of it was touched about twice: on a virtual machine a first touch costs
    /// microseconds (docs/architecture.md, "Memory"). Each array's room stays within what the
    /// results may hold (`budget`) and 256 MiB.
    func reserve(frames: Int, budget: Int) {
        func room(perFrame: Double, stride: Int) -> Int {
            min(Int(Double(frames) * perFrame), min(budget, 256 << 20) / stride)
        }
        let results = room(perFrame: 0.5, stride: MemoryLayout<RecordKey>.stride)
        keys.reserveCapacity(results)
        self.results.reserveCapacity(results)
        senderNotes.reserveCapacity(room(perFrame: 1, stride: MemoryLayout<SenderNote>.stride))
        renderedRecords = JSONWriter(capacity: room(perFrame: 16, stride: 1))
        renderedEnds.reserveCapacity(room(perFrame: 1.0 / 16, stride: MemoryLayout<Int>.stride))
        advertisements.reserveCapacity(room(perFrame: 1.0 / 16, stride: MemoryLayout<AdvertisedEndpoints.Entry>.stride))
        ledgerCalls.reserveCapacity(room(perFrame: 1.0 / 16, stride: MemoryLayout<PeerPortLedger.Call>.stride))
    }

    /// Records written in the shard (ended sessions), one after another; `renderedEnds[i]` is
    /// where the i-th ends.
    private var renderedRecords = JSONWriter(capacity: 0)
    private var renderedEnds: [Int] = []

    func appendRendered(_ build: (inout JSONWriter) -> Void) {
        build(&renderedRecords)
        renderedEnds.append(renderedRecords.buffer.count)
        append(.renderedSession(renderedEnds.count - 1))
    }

    /// Lends the i-th rendered record's bytes.
    func rendered<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let start = i == 0 ? 0 : renderedEnds[i - 1]
        return renderedRecords.buffer.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<renderedEnds[i]])) }
    }

    /// The calls into the peer-port ledger, in order (`ShardResult.ledger`).
    private(set) var ledgerCalls: [PeerPortLedger.Call] = []

    func appendLedger(_ call: PeerPortLedger.Call) {
        ledgerCalls.append(call)
        append(.ledger(ledgerCalls.count - 1))
    }

    /// The endpoints advertised here, in order (`ShardResult.advertised`).
    private(set) var advertisements: [AdvertisedEndpoints.Entry] = []

    func appendAdvertisement(_ entry: AdvertisedEndpoints.Entry) {
        advertisements.append(entry)
        append(.advertised(advertisements.count - 1))
    }

    /// Every SYN's lookup of advertised endpoints (checked after the run, in no order).
    private(set) var synLookups: [SYNLookup] = []

    func noteSYNLookup(_ endpoint: Endpoint, found: AdvertisedEndpoints.Entry?) {
        synLookups.append(SYNLookup(frame: key.frame, endpoint: endpoint, found: found))
    }

    /// Frames (one bit each, frame n at bit n - 1) whose attempts' clock moved before their TCP
    /// segment: what came due then goes before the frame's own results.
    private(set) var attemptClockMoved: [UInt64] = []

    /// What the results held so far cost, about (entries, their boxed payloads, notes): they wait
    /// for the end of the run, within the run's memory budget.
    var approximateBytes: Int {
        keys.count * (MemoryLayout<RecordKey>.stride + MemoryLayout<ShardResult>.stride + Self.boxedBytes)
            + senderNotes.count * MemoryLayout<SenderNote>.stride + synLookups.count * MemoryLayout<SYNLookup>.stride
            + renderedRecords.buffer.count + renderedEnds.count * MemoryLayout<Int>.stride
            + advertisements.count * MemoryLayout<AdvertisedEndpoints.Entry>.stride
            + ledgerCalls.count * MemoryLayout<PeerPortLedger.Call>.stride
    }

    /// A boxed payload and its heap header, about (attempt events, findings, calls), counted for
    /// every result: advertisements and sessions, kept unboxed in arrays of their own and counted
    /// there too, are overstated, which errs towards reading on one thread.
    static let boxedBytes = 128

    /// Another shard's frame being passed over: only its deadlines may establish anything here.
    var passingOver: UInt64 = 0
    /// Results established at another shard's frame outside its deadlines (none is expected:
    /// the merge could not place them).
    private(set) var strayResults = 0

    func append(_ result: ShardResult) {
        if key.frame == passingOver && key.step == .transport { strayResults += 1 }
        if let frame = icqClockMovedAt, key.step == .transport {
            icqClockMovedAt = nil
            if frame == key.frame {
                keys.append(RecordKey(frame: frame, step: .transport))
                results.append(.icqClockMoved)
            }
        }
        keys.append(key)
        results.append(result)
    }

    func icqClockMoves() {
        icqClockMovedAt = key.frame
    }

    func attemptClockMoves() {
        let bit = Int(key.frame &- 1)
        let word = bit >> 6
        if word >= attemptClockMoved.count { growAttemptClockMoved(toHold: word) }
        attemptClockMoved[word] |= 1 << UInt64(bit & 63)
    }

    /// Out of line and by doubling: extended a word at a time (a new array to append every 64
    /// frames), this was about a twentieth of a shard's own bookkeeping.
    @inline(never)
    private func growAttemptClockMoved(toHold word: Int) {
        let count = max(word + 1, attemptClockMoved.count * 2)
        attemptClockMoved.append(contentsOf: repeatElement(0, count: count - attemptClockMoved.count))
    }

    func attemptClockMoved(at frame: UInt64) -> Bool {
        let bit = Int(frame &- 1)
        return bit >> 6 < attemptClockMoved.count && attemptClockMoved[bit >> 6] & (1 << UInt64(bit & 63)) != 0
    }

    var count: Int { keys.count }

    /// Moves to a step of a frame (the order within it starts again).
    func move(frame: UInt64, step: RecordKey.Step) {
        key = RecordKey(frame: frame, step: step)
    }

    func move(step: RecordKey.Step) {
        key = RecordKey(frame: key.frame, step: step)
    }
}
