import Diagnosis
import Report
import Tracking

/// `--memcap`: one memory budget for everything the analysis holds per conversation (flows, TCP
/// streams and their buffers, ICQ sessions, open waits), like Suricata's memcaps. Each table gets
/// a share and turns it into a capacity with its own bytes per entry; when a table is full its
/// least recently active entry is evicted and counted, never silently dropped.
public struct MemoryBudget: Sendable, Equatable {
    public var bytes: Int

    /// 1 GiB: about a million flows, enough for a gateway of 10,000 users with dozens of
    /// connections each.
    public static let defaultBytes = 1 << 30
    /// Below this the tables would be too small to follow even one busy user.
    public static let minimumBytes = 1 << 20

    public init(bytes: Int = MemoryBudget.defaultBytes) {
        self.bytes = max(bytes, Self.minimumBytes)
    }

    /// "1G", "512M", "64K", "1048576" (binary multiples; a trailing "B" or "iB" is allowed).
    public init?(parsing text: String) {
        var digits = Substring(text.uppercased())
        for suffix in ["IB", "B"] where digits.hasSuffix(suffix) {
            digits = digits.dropLast(suffix.count)
            break
        }
        var multiplier = 1
        if let last = digits.last, let shift = ["K": 10, "M": 20, "G": 30, "T": 40][last] {
            multiplier = 1 << shift
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value > 0, value <= Int.max / multiplier,
              value * multiplier >= Self.minimumBytes else { return nil }
        self.init(bytes: value * multiplier)
    }

    /// Three eighths of the budget hold flows: every packet belongs to one.
    public var maximumFlows: Int {
        min(Int(Int32.max), max(1024, bytes / 8 * 3 / FlowTable.bytesPerFlow))
    }

    /// An eighth holds TCP streams: a connection gets one with its first bytes and lets it go
    /// when it ends or its bytes are not of the ICQ family, so the streams held are the
    /// conversations under way (a user's OSCAR connection, a file transfer)...
    public var maximumStreams: Int {
        max(1024, bytes / 8 / Self.bytesPerStream)
    }

    /// A stream's slot, its index entry and its places in the free and recency lists.
    static var bytesPerStream: Int {
        MemoryLayout<TCPStream<ICQStreamConsumer<StreamFrameRecord>>>.stride + 2 * MemoryLayout<UInt64>.stride + 12
    }

    /// ...and an eighth their reassembly buffers, lent only while bytes wait in them.
    public var streamBufferBytes: Int { bytes / 8 }

    /// A quarter holds classic ICQ sessions with their open exchanges.
    public var maximumICQSessions: Int {
        max(1024, bytes / 4 / ICQSessionTracker.approximateBytesPerSession)
    }

    /// A thirty-second (from the open waits' eighth) holds the text report's list of ended
    /// ICQ sessions, printed after the summary; NDJSON writes each session as it ends instead.
    public var sessionListBytes: Int { bytes / 32 }

    /// What a listed line costs besides its characters: its string's heap header and its place
    /// in the list.
    static let bytesPerListedLine = 48

    /// Another thirty-second holds the text report's findings (NDJSON writes each as it comes,
    /// and the report card and --fail-on need only their tally).
    public var findingListBytes: Int { bytes / 32 }

    /// What a listed finding costs besides its explanation, advice and frames: the value and the
    /// heap headers of its strings and frame list.
    static var bytesPerListedFinding: Int { MemoryLayout<Finding>.stride + 3 * 32 }

    // The tables of fixed size besides the shares above: facts kept per address (the TTLs and
    // users of the peer-port rule), the endpoints peers advertised, the gateway matcher's packets
    // awaiting their forwarded copy, IP reassembly. They have their usual sizes from a budget of
    // 64 MiB up and shrink below it, so that peak memory stays within the budget (and the fixed
    // baseline of the runtime) however small it is.

    /// Addresses each per-address map of the peer-port rule holds, and the ended attempts it
    /// remembers: 65,536 from 64 MiB.
    public var addressCapacity: Int { min(65_536, max(1024, bytes >> 10)) }
    /// Advertised peer endpoints remembered: 16,384 at 64 MiB, growing to 262,144 from 1 GiB
    /// (the default). A gateway of 10,000 users advertises about 100,000 (each client's own
    /// endpoints and its contacts'): a table that lets them go forgets the peers a client calls
    /// later, and a shard of `read --threads` could then remember what one thread forgot.
    public var advertisedEndpointCapacity: Int { min(262_144, max(1024, bytes >> 12)) }
    /// Packets the gateway matcher holds awaiting their copy: 65,536 from 64 MiB.
    public var gatewayCapacity: Int { min(65_536, max(1024, bytes >> 10)) }
    /// Datagrams IP reassembly holds at once: 1,024 from 64 MiB.
    public var reassemblyDatagrams: Int { min(1024, max(64, bytes >> 16)) }
    /// Bytes IP reassembly holds: 8 MiB from 64 MiB.
    public var reassemblyBytes: Int { min(8 << 20, max(256 << 10, bytes >> 3)) }

    public var streamLimits: StreamLimits {
        StreamLimits(maxStreams: maximumStreams, maxTotalBytes: streamBufferBytes)
    }

    public var flowConfiguration: FlowConfiguration {
        var c = FlowConfiguration()
        c.maximumFlows = maximumFlows
        return c
    }
}
