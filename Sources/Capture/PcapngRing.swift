#if canImport(Glibc)
import Glibc
#endif

/// `live --write FILE [--write-size SIZE [--write-files N]]`: the recording, as one pcapng file or,
/// like tcpdump's `-C`/`-W`, as a ring of them. Before a packet would take the current file past
/// SIZE, the file is finished (its interface statistics blocks appended) and the next one begun,
/// each a complete pcapng of its own (section header, every interface, packets, statistics).
/// With N files the numbers wrap and the oldest file is replaced; without, they go on.
///
/// Files are named with their number before the extension: `ring.pcapng` gives `ring0.pcapng`,
/// `ring1.pcapng` … (zero-padded to the digits of N − 1, as tcpdump does), so that
/// `icqscope read --merge ring*.pcapng` reads the ring back as one capture, in time order
/// whatever order the shell lists the files in. Without SIZE the one file is FILE itself.
public final class PcapngRing {
    public let basePath: String
    public let sizeLimit: Int64?
    public let fileLimit: Int?
    private let interfaces: [CaptureInterface]
    private var writer: PcapngWriter
    /// The current file's number.
    public private(set) var index = 0
    /// Files finished so far (the current one not counted).
    public private(set) var rotations = 0
    private let startNanos: Int64?

    public var currentPath: String { writer.path }

    public init(path: String, sizeLimit: Int64? = nil, fileLimit: Int? = nil, interfaces: [CaptureInterface],
                startNanos: Int64? = nil) throws(CaptureError) {
        basePath = path
        self.sizeLimit = sizeLimit
        self.fileLimit = sizeLimit == nil ? nil : fileLimit
        // Every file of a rotating ring describes its interfaces as the ring's: `read --merge`
        // then takes a ring's files as one capture in time (one interface each), not as the
        // separate vantage points that files captured apart are.
        self.interfaces = sizeLimit == nil ? interfaces : interfaces.map {
            var marked = $0
            marked.description = Self.ringMarker + (path.split(separator: "/").last.map(String.init) ?? path)
                + " begun \(startNanos ?? 0)"
            return marked
        }
        self.startNanos = startNanos
        writer = try PcapngWriter(path: sizeLimit == nil ? path : Self.path(path, index: 0, fileLimit: fileLimit))
        for interface in self.interfaces { writer.addInterface(interface) }
    }

    /// How an interface description (pcapng if_description) says that the interface belongs to
    /// an icqscope capture ring; the ring's name and start follow.
    public static let ringMarker = "icqscope capture ring "

    /// Whether the recording rotates (and so creates files after the run started).
    public var rotates: Bool { sizeLimit != nil }

    /// `ring.pcapng`, 3 → `ring3.pcapng`; padded to the digits of `fileLimit - 1`.
    public static func path(_ base: String, index: Int, fileLimit: Int?) -> String {
        var number = String(index)
        if let fileLimit {
            let width = String(max(fileLimit - 1, 0)).count
            if number.count < width { number = String(repeating: "0", count: width - number.count) + number }
        }
        let slash = base.lastIndex(of: "/")
        if let dot = base.lastIndex(of: "."), slash.map({ dot > $0 }) ?? true, dot != base.startIndex,
           base[base.index(before: dot)] != "/" {
            return String(base[..<dot]) + number + String(base[dot...])
        }
        return base + number
    }

    /// The folder new files go into.
    public var folder: String {
        guard let slash = basePath.lastIndex(of: "/") else { return "." }
        return slash == basePath.startIndex ? "/" : String(basePath[..<slash])
    }

    /// Whether `packet` must go into a new file: the current one holds packets already and this
    /// one (with the statistics blocks that end a file) would take it past the size limit.
    @inline(__always)
    public func needsRotation(before packet: CapturedPacket) -> Bool {
        guard let sizeLimit, writer.packetsWritten > 0 else { return false }
        return writer.size + Int64(PcapngWriter.blockSize(of: packet) + interfaces.count * PcapngWriter.statisticsBlockSize)
            > sizeLimit
    }

    /// Finishes the current file with these statistics and begins the next (replacing the
    /// oldest once there are `fileLimit`).
    public func rotate(statistics: [InterfaceStatistics?], timestampNanos: Int64) throws(CaptureError) {
        try writer.finish(statistics: statistics, timestampNanos: timestampNanos, startNanos: startNanos)
        rotations += 1
        index += 1
        if let fileLimit, index >= fileLimit { index = 0 }
        writer = try PcapngWriter(path: Self.path(basePath, index: index, fileLimit: fileLimit))
        for interface in interfaces { writer.addInterface(interface) }
    }

    public func write(_ packet: CapturedPacket) throws(CaptureError) {
        try writer.write(packet)
    }

    public func flush() throws(CaptureError) {
        try writer.flush()
    }

    public func finish(statistics: [InterfaceStatistics?], timestampNanos: Int64, startNanos: Int64? = nil) throws(CaptureError) {
        try writer.finish(statistics: statistics, timestampNanos: timestampNanos, startNanos: startNanos ?? self.startNanos)
    }

    /// See `PcapngWriter.changeOwner`.
    public func changeOwner(uid: UInt32, gid: UInt32) -> Bool {
        writer.changeOwner(uid: uid, gid: gid)
    }
}
