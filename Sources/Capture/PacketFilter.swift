import CPcap

/// A BPF filter expression compiled by libpcap and run on our own buffers with
/// `pcap_offline_filter`. A program is compiled per link type, since a pcapng file may mix them.
public final class PacketFilter {
    public let expression: String
    private var programs: [LinkType: UnsafeMutablePointer<bpf_program>] = [:]

    public init(expression: String) {
        self.expression = expression
    }

    deinit {
        for program in programs.values {
            pcap_freecode(program)
            program.deallocate()
        }
    }

    /// Compiles the expression for a link type, or says why it does not compile.
    public func compile(for linkType: LinkType) throws(CaptureError) -> UnsafeMutablePointer<bpf_program> {
        if let program = programs[linkType] { return program }
        guard let dead = pcap_open_dead(Int32(linkType.rawValue), 262_144) else {
            throw CaptureError(file: "--filter", reason: .badFilter, message: "libpcap cannot open a handle for link type \(linkType.name)")
        }
        defer { pcap_close(dead) }
        let program = UnsafeMutablePointer<bpf_program>.allocate(capacity: 1)
        program.initialize(to: bpf_program())
        if pcap_compile(dead, program, expression, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            let reason = String(cString: pcap_geterr(dead))
            program.deallocate()
            throw CaptureError(file: "--filter", reason: .badFilter,
                               message: "filter '\(expression)' does not compile for link type \(linkType.name): \(reason)")
        }
        programs[linkType] = program
        return program
    }

    /// Whether the packet passes. The program for its link type is compiled on first use.
    public func accepts(_ packet: CapturedPacket) throws(CaptureError) -> Bool {
        let program = try compile(for: packet.linkType)
        var header = pcap_pkthdr()
        header.caplen = UInt32(packet.capturedLength)
        header.len = UInt32(packet.originalLength)
        guard let base = packet.bytes.baseAddress else { return pcap_offline_filter(program, &header, [0]) != 0 }
        return pcap_offline_filter(program, &header, base.assumingMemoryBound(to: UInt8.self)) != 0
    }
}
