import CPcap
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One activated libpcap handle on one interface, nonblocking, with nanosecond timestamps.
/// A class because it owns the `pcap_t` and closes it exactly once.
final class LiveHandle {
    let name: String
    let pcap: OpaquePointer
    let linkType: LinkType
    let snapLength: UInt32
    /// The descriptor to poll; libpcap on Linux always has one.
    let selectableDescriptor: Int32
    /// Timestamps' fraction unit: 1 when libpcap delivers nanoseconds, 1000 for microseconds.
    let fractionToNanos: Int64
    /// Non-fatal things libpcap said while opening (e.g. promiscuous mode not supported).
    private(set) var warnings: [String] = []
    /// Held around every libpcap call once a capture thread reads the handle (`live --threads`),
    /// so that `pcap_stats` from the analysis thread never runs beside a read; also guards the
    /// 64-bit totals below.
    let access = Mutex<Void>(())

    /// 64-bit totals of libpcap's 32-bit counters, which wrap on a long, busy capture.
    private var lastRaw = (recv: UInt32(0), drop: UInt32(0), ifdrop: UInt32(0))
    private var totals = (recv: UInt64(0), drop: UInt64(0), ifdrop: UInt64(0))

    init(interface name: String, options: LiveCaptureOptions) throws(CaptureError) {
        self.name = name
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let pcap = pcap_create(name, &errbuf) else {
            throw CaptureError(file: name, reason: .captureFailed,
                               message: "cannot capture: \(LiveHandle.text(errbuf))")
        }
        var ok = false
        defer { if !ok { pcap_close(pcap) } }

        pcap_set_snaplen(pcap, options.snapLength)
        pcap_set_promisc(pcap, options.promiscuous ? 1 : 0)
        pcap_set_immediate_mode(pcap, options.immediate ? 1 : 0)
        pcap_set_timeout(pcap, options.batchTimeoutMillis)
        if let size = options.effectiveBufferSize { pcap_set_buffer_size(pcap, size) }
        let nano = pcap_set_tstamp_precision(pcap, Int32(PCAP_TSTAMP_PRECISION_NANO)) == 0

        let status = pcap_activate(pcap)
        if status < 0 {
            throw LiveHandle.activationError(status, name: name, pcap: pcap, options: options)
        }
        if status > 0 {
            let text = String(cString: pcap_geterr(pcap))
            warnings.append(status == PCAP_WARNING_PROMISC_NOTSUP
                            ? "promiscuous mode is not supported: \(text)" : text)
        }
        if name == "any" {
            // Cooked v2 keeps the interface index (and direction) of every packet.
            if pcap_set_datalink(pcap, DLT_LINUX_SLL2) != 0 {
                warnings.append("cannot use Linux cooked v2 framing, interface indexes are lost: "
                                + String(cString: pcap_geterr(pcap)))
            }
        }
        if let filter = options.filter {
            try LiveHandle.install(filter: filter, on: pcap, name: name, snapLength: options.snapLength)
        }
        guard pcap_setnonblock(pcap, 1, &errbuf) == 0 else {
            throw CaptureError(file: name, reason: .captureFailed,
                               message: "cannot make the capture nonblocking: \(LiveHandle.text(errbuf))")
        }
        let fd = pcap_get_selectable_fd(pcap)
        guard fd >= 0 else {
            throw CaptureError(file: name, reason: .captureFailed,
                               message: "libpcap offers no descriptor to wait on for this interface")
        }
        self.pcap = pcap
        self.selectableDescriptor = fd
        self.linkType = LiveHandle.linkType(ofDLT: pcap_datalink(pcap))
        self.snapLength = UInt32(clamping: pcap_snapshot(pcap))
        // The precision actually in force (the request can be refused on other systems).
        self.fractionToNanos = nano && pcap_get_tstamp_precision(pcap) == Int32(PCAP_TSTAMP_PRECISION_NANO) ? 1 : 1000
        ok = true
    }

    deinit { pcap_close(pcap) }

    /// A NUL-terminated C buffer as text.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// libpcap numbers link types as DLT_ values; files record LINKTYPE_ values. They agree except
    /// for raw IP, whose DLT differs between systems.
    static func linkType(ofDLT dlt: Int32) -> LinkType {
        switch dlt {
        case 12, 14: .raw
        default: LinkType(rawValue: UInt32(bitPattern: dlt))
        }
    }

    private static func install(filter: String, on pcap: OpaquePointer, name: String, snapLength: Int32) throws(CaptureError) {
        var program = bpf_program()
        guard pcap_compile(pcap, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw CaptureError(file: name, reason: .badFilter,
                               message: "the filter \"\(filter)\" does not compile: \(String(cString: pcap_geterr(pcap)))")
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(pcap, &program) == 0 else {
            throw CaptureError(file: name, reason: .badFilter,
                               message: "the filter \"\(filter)\" cannot be installed: \(String(cString: pcap_geterr(pcap)))")
        }
    }

    private static func activationError(_ status: Int32, name: String, pcap: OpaquePointer,
                                         options: LiveCaptureOptions) -> CaptureError {
        let detail = String(cString: pcap_geterr(pcap))
        let suffix = detail.isEmpty ? "" : " (libpcap: \(detail))"
        switch status {
        case PCAP_ERROR_PERM_DENIED:
            return CaptureError(
                file: name, reason: .permissionDenied,
                message: "no permission to capture on \(name): run as root or give the program CAP_NET_RAW and CAP_NET_ADMIN (setcap cap_net_raw,cap_net_admin=eip)\(suffix)")
        case PCAP_ERROR_PROMISC_PERM_DENIED:
            return CaptureError(
                file: name, reason: .permissionDenied,
                message: "no permission to put \(name) into promiscuous mode: needs CAP_NET_ADMIN or root, or use --no-promisc\(suffix)")
        case PCAP_ERROR_NO_SUCH_DEVICE:
            return CaptureError(
                file: name, reason: .noSuchInterface,
                message: "no such interface \"\(name)\" (see `icqscope interfaces`)\(suffix)")
        case PCAP_ERROR_IFACE_NOT_UP:
            return CaptureError(
                file: name, reason: .interfaceDown,
                message: "interface \(name) is down: bring it up first (ip link set \(name) up)\(suffix)")
        default:
            return CaptureError(
                file: name, reason: .captureFailed,
                message: "cannot capture on \(name): \(detail.isEmpty ? String(cString: pcap_statustostr(status)) : detail)")
        }
    }

    /// Reads the next packet if one is waiting. Returns false when none is.
    /// The header and data pointers are libpcap's and stay valid until the next read on this handle.
    @inline(__always)
    func read(_ header: inout UnsafeMutablePointer<pcap_pkthdr>?, _ data: inout UnsafePointer<UInt8>?) throws(CaptureError) -> Bool {
        switch pcap_next_ex(pcap, &header, &data) {
        case 1: return true
        case 0: return false
        default: throw readError()
        }
    }

    private func readError() -> CaptureError {
        let detail = String(cString: pcap_geterr(pcap))
        let err = errno
        let lowered = detail.lowercased()
        if lowered.contains("went down") || lowered.contains("disappeared") || lowered.contains("hangup")
            || err == ENETDOWN || err == ENODEV || err == ENXIO {
            return CaptureError(file: name, reason: .interfaceDown,
                                message: "interface \(name) went down or disappeared while capturing (libpcap: \(detail))")
        }
        return CaptureError(file: name, reason: .captureFailed,
                            message: "capture on \(name) failed: \(detail)")
    }

    /// Cumulative counters since the handle opened (`pcap_stats`), widened to 64 bits.
    func statistics(delivered: UInt64) -> InterfaceStatistics? {
        access.withLock { _ in statisticsUnlocked(delivered: delivered) }
    }

    private func statisticsUnlocked(delivered: UInt64) -> InterfaceStatistics? {
        var raw = pcap_stat()
        guard pcap_stats(pcap, &raw) == 0 else { return nil }
        totals.recv &+= UInt64(raw.ps_recv &- lastRaw.recv)
        totals.drop &+= UInt64(raw.ps_drop &- lastRaw.drop)
        totals.ifdrop &+= UInt64(raw.ps_ifdrop &- lastRaw.ifdrop)
        lastRaw = (raw.ps_recv, raw.ps_drop, raw.ps_ifdrop)
        return InterfaceStatistics(received: totals.recv, interfaceDropped: totals.ifdrop,
                                   osDropped: totals.drop, delivered: delivered)
    }
}
