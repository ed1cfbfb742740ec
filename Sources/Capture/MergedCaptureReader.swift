/// `read --merge`: several capture files read as one capture, merged by timestamp (OUTPUT.md):
/// the rotated files of a capture ring, or captures of a gateway's two sides taken apart.
///
/// Each file keeps one packet waiting (lent in place from that file's own buffer, valid until
/// that file is read again) and the earliest waiting packet goes next, as live capture merges
/// its interfaces. Frames are numbered in merged order. Each file's interfaces are kept apart,
/// named `<file basename>:<if_name>` (`<file basename>:<number>` for an unnamed one), in the
/// order they first carry a packet. The files of one icqscope capture ring (`live --write-size`,
/// its interfaces described as the ring's) are one capture cut in time, not vantage points: an
/// interface of the ring is one interface across its files, named after the first file that
/// carries it. A file that is damaged ends alone: the others go on.
///
/// Clocks: `clockOffsetsNanos[i]` is added to every timestamp of file i before merging. They are
/// estimated by whoever constructs the reader (Engine's MergeClockEstimator, from the packets two
/// captures of one gateway share); `watch` asks for the merged frame numbers of the packets an
/// estimate rests on, so that the summary can name them.
public struct MergedCaptureReader: PacketSource, ~Copyable {
    /// One file of the merge: a class because the reader is noncopyable and an array holds copies.
    final class Member {
        var reader: CaptureFileReader
        let path: String
        let label: String
        let offsetNanos: Int64
        /// Global interface index of each of the file's interfaces, as far as seen.
        var interfaceMap: [Int] = []
        var waiting: CapturedPacket? = nil
        var ended = false
        var packets: UInt64 = 0
        /// Indexes (from 0, in the file's order) of packets whose merged frame numbers are
        /// wanted, ascending, and the next one to look for.
        var watched: [UInt64] = []
        var nextWatched = 0

        let index: Int

        init(reader: consuming CaptureFileReader, path: String, offsetNanos: Int64, index: Int) {
            self.reader = reader
            self.index = index
            self.path = path
            label = path.split(separator: "/").last.map(String.init) ?? path
            self.offsetNanos = offsetNanos
        }
    }

    public let sourceName: String
    public private(set) var interfaces: [CaptureInterface] = []
    /// Global index of each ring interface by its description, name and link type.
    private var ringInterfaces: [String: Int] = [:]
    private var members: [Member]
    private var frameCounter: UInt64 = 0
    /// False once a file stopped early on damage.
    public private(set) var completed = true
    /// Files to read a packet from before the next one is chosen: all at first, then the one
    /// whose packet went last.
    private var toFill: [Member]
    private var declared = false

    /// Opens every file; throws the first that cannot be opened (the caller reports it and may
    /// merge the rest).
    public init(paths: [String], clockOffsetsNanos: [Int64] = []) throws(CaptureError) {
        var members: [Member] = []
        for (i, path) in paths.enumerated() {
            let reader = try CaptureFileReader(path: path)
            members.append(Member(reader: reader, path: path,
                                  offsetNanos: i < clockOffsetsNanos.count ? clockOffsetsNanos[i] : 0, index: i))
        }
        self.members = members
        toFill = members.reversed()
        sourceName = paths.joined(separator: " + ")
    }

    /// The format names of the files, for the summary (`merged pcapng`, `merged pcap, pcapng`).
    public var formatName: String {
        "merged " + Array(Set(members.map { $0.reader.formatName })).sorted().joined(separator: ", ")
    }

    public mutating func nextPacket() throws(CaptureError) -> CapturedPacket? {
        // The file whose packet went last is read again only now, its packet being done with.
        while let member = toFill.last {
            do {
                try fill(member)
            } catch {
                if member.ended { toFill.removeLast() }
                throw error
            }
            toFill.removeLast()
        }
        if !declared {
            // Every file has walked up to its first packet: its interfaces are known. All of them
            // are declared before the first packet, in the order of the files, so that the
            // analysis sees every side of the capture from its first frame on.
            declared = true
            for member in members {
                for i in 0..<member.reader.interfaces.count { _ = globalInterface(member, i) }
            }
        }
        var earliest: Member? = nil
        for member in members {
            guard let waiting = member.waiting else { continue }
            if earliest == nil || waiting.timestampNanos < earliest!.waiting!.timestampNanos { earliest = member }
        }
        guard let member = earliest, var packet = member.waiting else { return nil }
        member.waiting = nil
        toFill.append(member)
        frameCounter += 1
        packet.frameNumber = frameCounter
        packet.interfaceIndex = globalInterface(member, packet.interfaceIndex)
        if member.nextWatched < member.watched.count, member.watched[member.nextWatched] == member.packets {
            member.nextWatched += 1
            watchedFrames[WatchedPacket(file: member.index, packet: member.packets)] = frameCounter
        }
        member.packets += 1
        return packet
    }

    /// A packet of one file: the file's place among the paths, the packet's index in the file.
    public struct WatchedPacket: Hashable, Sendable {
        public var file: Int
        public var packet: UInt64
        public init(file: Int, packet: UInt64) {
            self.file = file
            self.packet = packet
        }
    }

    /// Merged frame numbers of the watched packets handed out so far.
    public private(set) var watchedFrames: [WatchedPacket: UInt64] = [:]

    /// Asks for the merged frame number of a packet (before reading).
    public mutating func watch(_ packet: WatchedPacket) {
        guard packet.file >= 0 && packet.file < members.count else { return }
        let member = members[packet.file]
        guard !member.watched.contains(packet.packet) else { return }
        member.watched.append(packet.packet)
        member.watched.sort()
    }

    /// Packets each file gave, in the order of the paths.
    public var packetsPerFile: [(path: String, packets: UInt64)] { members.map { ($0.path, $0.packets) } }

    /// Reads the file's next packet into its waiting slot (errors are rethrown non-fatal: a
    /// damaged file ends, the others go on).
    private mutating func fill(_ member: Member) throws(CaptureError) {
        guard !member.ended else { return }
        do {
            if var packet = try member.reader.nextPacket() {
                packet.timestampNanos = packet.timestampNanos &+ member.offsetNanos
                member.waiting = packet
            } else {
                member.ended = true
                refreshStatistics(member)
            }
        } catch {
            var report = error
            if error.isFatal {
                member.ended = true
                completed = false
                refreshStatistics(member)
                report.isFatal = false
            }
            throw report
        }
    }

    private mutating func globalInterface(_ member: Member, _ local: Int) -> Int {
        if local < member.interfaceMap.count { return member.interfaceMap[local] }
        let declared = member.reader.interfaces
        while member.interfaceMap.count <= local && member.interfaceMap.count < declared.count {
            let i = member.interfaceMap.count
            var interface = declared[i]
            let ringKey = interface.description.flatMap {
                $0.hasPrefix(PcapngRing.ringMarker) ? "\($0)\u{0}\(interface.name ?? "")\u{0}\(interface.linkType.rawValue)" : nil
            }
            if let ringKey, let global = ringInterfaces[ringKey] {
                member.interfaceMap.append(global)
                continue
            }
            interface.name = "\(member.label):\(interface.name ?? String(i))"
            if let ringKey { ringInterfaces[ringKey] = interfaces.count }
            member.interfaceMap.append(interfaces.count)
            interfaces.append(interface)
        }
        return local < member.interfaceMap.count ? member.interfaceMap[local] : 0
    }

    /// A file's interface statistics blocks come at its end: copied once it is read.
    private mutating func refreshStatistics(_ member: Member) {
        let declared = member.reader.interfaces
        for (local, global) in member.interfaceMap.enumerated() where local < declared.count {
            // A ring's counters are cumulative since the capture began: the latest file's are the totals.
            if let stats = declared[local].statistics,
               (interfaces[global].statistics?.received ?? 0) <= (stats.received ?? 0) {
                interfaces[global].statistics = stats
            }
        }
    }
}
