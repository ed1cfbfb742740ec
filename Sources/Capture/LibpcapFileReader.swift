import CPcap

/// Reads a capture file through libpcap's `pcap_next_ex`: the fallback reader and the
/// cross-check for our own walker. Timestamps are asked for in nanoseconds.
public struct LibpcapFileReader: PacketSource, ~Copyable {
    public let sourceName: String
    private let handle: OpaquePointer
    private var frameCounter: UInt64 = 0
    public private(set) var interfaces: [CaptureInterface]
    private var finished = false

    public init(path: String) throws(CaptureError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer) else {
            let reason = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw CaptureError(file: path, offset: 0, reason: .libpcapRefused, message: "libpcap refuses the file: \(reason)")
        }
        self.handle = handle
        sourceName = path
        // libpcap presents every file as one link type and one snap length.
        interfaces = [CaptureInterface(
            linkType: LinkType(rawValue: UInt32(pcap_datalink(handle))),
            snapLength: UInt32(pcap_snapshot(handle)), timestampResolution: .nanoseconds)]
    }

    deinit { pcap_close(handle) }

    public mutating func nextPacket() throws(CaptureError) -> CapturedPacket? {
        if finished { return nil }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap_next_ex(handle, &header, &data)
        switch status {
        case 1:
            frameCounter += 1
            let h = header!.pointee
            // With nanosecond precision libpcap puts nanoseconds in tv_usec.
            let nanos = Int64(h.ts.tv_sec) * 1_000_000_000 + Int64(h.ts.tv_usec)
            return CapturedPacket(
                frameNumber: frameCounter, timestampNanos: nanos, interfaceIndex: 0,
                linkType: interfaces[0].linkType, originalLength: Int(h.len),
                bytes: UnsafeRawBufferPointer(start: data, count: Int(h.caplen)))
        case PCAP_ERROR_BREAK:
            finished = true
            return nil
        default:
            finished = true
            let reason = String(cString: pcap_geterr(handle))
            throw CaptureError(file: sourceName, frame: frameCounter + 1, reason: .libpcapRefused,
                               message: "libpcap stopped reading: \(reason)")
        }
    }
}
