import Bytes
import Capture
import Diagnosis
import Synchronization
import Tracking

/// Set by the first shard that cannot go on (its results outgrew their share of the budget):
/// the others stop at their next check instead of reading the file to its end.
final class ShardAbort: Sendable {
    private let flag = Atomic<Bool>(false)
    func raise() { flag.store(true, ordering: .relaxed) }
    var isRaised: Bool { flag.load(ordering: .relaxed) }
}

/// What an analyzer running as one shard of `read --threads` keeps besides its own analysis:
/// its results with their keys (`ShardRecords`, which also carry its calls into run-wide state
/// for the merge to replay in order), its flow counts, and what tells whether it needed another
/// shard's state (`ShardConflicts`).
final class ShardContext {
    let index: Int
    let plan: ShardPlan
    let records = ShardRecords()
    /// Frames in the file, once read to its end (the number one thread's end-of-run stream
    /// flush uses).
    var totalFrames: UInt64 = 0
    /// The frames this shard analysed.
    var framesAnalysed = 0
    /// Errors the reader reported, each with the number the next packet got: one thread writes
    /// them at that point of the run, before that packet's records. The first shard reads the
    /// file and keeps them.
    var readerErrors: [(beforeFrame: UInt64, error: CaptureError)] = []
    /// The reader stopped at a fatal error.
    var stoppedEarly = false

    /// The file's interfaces and format as the shard's reader left them, for the summary.
    var interfaces: [CaptureInterface] = []
    var formatName = ""

    /// Why this shard's analysis may differ from one thread's; nil while it cannot.
    var conflict: String? = nil
    /// The conflict is a frame joining hosts of two shards: `ShardPartition` can split the file.
    var wantsPartition = false

    /// The addresses of this shard's frames, and of the senders it notes.
    var hosts: ShardHosts
    /// The hosts whose marks this shard's attempt events are judged on (`SharedSenderMarks`).
    var judgedHosts: [IPAddress] = []

    /// The active flows after each frame that changed them, and whether that frame created one
    /// (one thread's peak is taken at creations): the merge sums the shards frame by frame.
    var flowCounts: [(frame: UInt64, active: Int32, created: Bool)] = []
    var lastActiveFlows = 0
    var lastFlowsCreated: UInt64 = 0

    /// Digests of classic ICQ logins and keep-alives (a UDP mapping repeats them elsewhere).
    var mappingDigests = DigestSet()
    /// Relay endpoints of SOCKS5 UDP associations granted here.
    var relays: Set<Endpoint> = []

    /// No clock of the shard has a deadline up to this time (`.min`: to be found again, after
    /// the shard analysed a frame or something came due).
    var quietUntil: Int64 = .min

    /// When the shard's thread finished (monotonic ns), for ICQSCOPE_SHOW_SHARDS.
    var finishedNanos: Int64 = 0

    let abort: ShardAbort
    /// The bytes this shard's results may hold until the end of the run.
    let resultBudget: Int

    init(index: Int, plan: ShardPlan, inside: [IPNetwork], abort: ShardAbort, resultBudget: Int) {
        self.index = index
        self.plan = plan
        self.abort = abort
        self.resultBudget = resultBudget
        hosts = ShardHosts(inside: inside)
    }

    /// The conflict of a shard that stopped because another did (whose conflict says why).
    static let anotherStopped = "another shard stopped"

    func noteConflict(_ reason: @autoclosure () -> String) {
        if conflict == nil { conflict = reason() }
    }

    /// A datagram's bytes and length, folded eight bytes at a time (the same bytes give the
    /// same digest; two datagrams that merely collide send the file to one thread, never a
    /// wrong result).
    static func digest(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes.count)
        var offset = 0
        while offset + 8 <= bytes.count {
            hash = (hash ^ bytes.u64LE(at: offset)) &* 0x9E37_79B9_7F4A_7C15
            hash ^= hash >> 29
            offset += 8
        }
        while offset < bytes.count {
            hash = (hash ^ UInt64(bytes[offset])) &* 0x100_0000_01B3
            offset += 1
        }
        return hash
    }
}
