import Bytes

/// Our own reader for pcap and pcapng files: one buffer, large reads, packets lent in place.
///
/// The format is recognised by its magic number, not by the file name. The pcap and pcapng
/// walkers live in their own files as extensions of this type.
public struct CaptureFileReader: PacketSource, ~Copyable {
    /// Records larger than this are refused as damage: no link type we decode needs more, and a
    /// corrupt length must not make us allocate gigabytes.
    public static let maximumRecordLength = 256 * 1024
    /// pcapng blocks other than packets (name resolution, custom) may be larger; still bounded.
    public static let maximumBlockLength = 16 * 1024 * 1024

    enum Format {
        case pcap(bigEndian: Bool)
        case pcapng
    }

    public let sourceName: String
    var input: ChunkedInput
    var format: Format
    var frameCounter: UInt64 = 0
    public internal(set) var interfaces: [CaptureInterface] = []
    /// Set once a fatal error was reported: the file yields nothing more.
    var finished = false

    // pcapng section state
    var sectionBigEndian = false
    /// Index into `interfaces` of the current section's interface 0.
    var sectionInterfaceBase = 0

    /// The input consumed so far (the progress line's "bytes read").
    public var bytesConsumed: Int64? { input.offset }

    /// Human-readable name of the format, for the summary.
    public var formatName: String {
        switch format {
        case .pcap: "pcap"
        case .pcapng: "pcapng"
        }
    }

    public init(path: String) throws(CaptureError) {
        try self.init(input: InputOpener.open(path), name: path)
    }

    public init(input: consuming ChunkedInput, name: String) throws(CaptureError) {
        let format = try Self.detectFormat(&input, name: name)
        var interfaces: [CaptureInterface] = []
        if case .pcap(let bigEndian) = format {
            interfaces.append(try Self.readPcapFileHeader(&input, name: name, bigEndian: bigEndian))
        }
        self.input = input
        self.sourceName = name
        self.format = format
        self.interfaces = interfaces
    }

    private static func detectFormat(_ input: inout ChunkedInput, name: String) throws(CaptureError) -> Format {
        guard input.require(4) else {
            if let err = input.readError {
                throw CaptureError(file: name, offset: 0, reason: .readFailed, message: "read failed (errno \(err))")
            }
            let what = input.available == 0 ? "the file is empty" : "the file is too short to be a capture (\(input.available) bytes)"
            throw CaptureError(file: name, offset: 0, reason: .truncatedFileHeader, message: "not a capture file: \(what)")
        }
        let magic = input.window(count: 4).u32LE(at: 0)
        switch magic {
        case 0xA1B2_C3D4, 0xA1B2_3C4D: return .pcap(bigEndian: false)
        case 0xD4C3_B2A1, 0x4D3C_B2A1: return .pcap(bigEndian: true)
        case 0x0A0D_0D0A: return .pcapng
        default:
            let hex = String(magic.byteSwapped, radix: 16)
            throw CaptureError(
                file: name, offset: 0, reason: .notACapture,
                message: "not a pcap or pcapng file (first bytes 0x\(hex))")
        }
    }

    public mutating func nextPacket() throws(CaptureError) -> CapturedPacket? {
        if finished { return nil }
        do {
            switch format {
            case .pcap(let bigEndian): return try nextPcapRecord(bigEndian: bigEndian)
            case .pcapng: return try nextPcapngPacket()
            }
        } catch {
            if error.isFatal { finished = true }
            throw error
        }
    }

    func error(_ reason: CaptureError.Reason, at offset: Int64, frame: UInt64? = nil,
               _ message: String, fatal: Bool = true) -> CaptureError {
        CaptureError(file: sourceName, offset: offset, frame: frame, reason: reason, message: message, isFatal: fatal)
    }

    /// The error for input that ends inside a structure of `needed` bytes.
    func truncation(_ reason: CaptureError.Reason, what: String, needed: Int) -> CaptureError {
        if let err = input.readError {
            return error(.readFailed, at: input.offset, "read failed (errno \(err)) in \(what)")
        }
        return error(reason, at: input.offset,
                     "\(what) is cut off: \(input.available) of \(needed) bytes present")
    }
}
