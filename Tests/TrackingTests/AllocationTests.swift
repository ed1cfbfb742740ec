import Bytes
import Capture
import Testing
import Tracking
import Wire
#if canImport(Glibc)
import Glibc
#endif

/// The allocation counter of `Tests/Fixtures/alloc-counter` when it is preloaded.
enum AllocationCounter {
    nonisolated(unsafe) static let counter: UnsafeMutablePointer<UInt>? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "icqscope_alloc_count") else { return nil }
        return symbol.assumingMemoryBound(to: UInt.self)
        #else
        return nil
        #endif
    }()
    static var available: Bool { counter != nil }
    static var count: UInt { counter?.pointee ?? 0 }
}

/// A sink that keeps only counts: what the lead's output would do is write into a reused buffer.
struct CountingSink: OSCARSink {
    var pdus = 0
    var gaps = 0
    var textBytes = 0
    mutating func oscarPDU(_ pdu: OSCARPDU, from: Endpoint, to: Endpoint, frame: UInt64) {
        pdus += 1
        if case .icbm(let m) = pdu.body { textBytes += m.text?.count ?? 0 }
    }
    mutating func oscarGap(_ gap: StreamGap, from: Endpoint, to: Endpoint) { gaps += 1 }
}

#if DEBUG
let isOptimizedBuild = false
#else
let isOptimizedBuild = true
#endif

/// Run with `swift test -c release` and the counter preloaded: unoptimised builds allocate in
/// unspecialised generic code (and in layer 2–4 decoding), which says nothing about the product.
@Suite(.enabled(if: AllocationCounter.available && isOptimizedBuild,
                "needs a release build and LD_PRELOAD of the allocation counter (see Tests/Fixtures/alloc-counter)"),
       .serialized)
struct AllocationTests {
    /// Runs the frames through the table twice: the first pass creates the streams and their
    /// buffers (`afterFirstPass` sees them), the second, over the same connections, must reuse
    /// them. Returns the allocations of the second pass.
    func secondPassAllocations<C: StreamConsumer>(_ frames: [StoredFrame], _ table: StreamTable<C>, _ sink: inout C.Sink,
                                                  afterFirstPass: () -> Void = {}) -> UInt {
        func run(_ sink: inout C.Sink) {
            for frame in frames {
                frame.bytes.withUnsafeBytes { bytes in
                    table.ingest(PacketDecoder.decode(bytes, linkType: frame.linkType), frame: frame.number,
                                 bytes: bytes, sink: &sink)
                }
            }
            table.finishAll(frame: UInt64(frames.count), sink: &sink)
        }
        run(&sink)
        afterFirstPass()
        let before = AllocationCounter.count
        run(&sink)
        return AllocationCounter.count - before
    }

    @Test(arguments: [
        "public/oscar/ndpi_Oscar.pcap",
        "real-software/oscar__iserverd-climm.pcap",
        "real-software/oscar__pyserver-micq-sample.pcap",
        "real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap",
    ])
    func noAllocationsPerPacketOnceStreamsExist(capture: String) throws {
        let frames = try loadFrames(FixtureCaptures.path(capture))
        let table = StreamTable<OSCARStreamConsumer<CountingSink>>(limits: StreamLimits()) {
            OSCARStreamConsumer(originator: $0, responder: $1)
        }
        var sink = CountingSink()
        var created = 0
        let allocations = secondPassAllocations(frames, table, &sink) { created = table.allocatedBufferBytes }
        #expect(table.allocatedBufferBytes == created)
        #expect(allocations == 0, "\(allocations) allocations for \(frames.count) packets")
        #expect(sink.pdus > 0)
    }
}

/// Counts what the combined decoder reports, decrypting peer messages into a scratch made once.
struct CountingProtocolSink: StreamProtocolSink {
    var oscar = CountingSink()
    let peerScratch = PeerScratch()
    var socks = 0
    var peer = 0
    mutating func oscarPDU(_ pdu: OSCARPDU, from: Endpoint, to: Endpoint, frame: UInt64) {
        oscar.oscarPDU(pdu, from: from, to: to, frame: frame)
    }
    mutating func oscarGap(_ gap: StreamGap, from: Endpoint, to: Endpoint) { oscar.oscarGap(gap, from: from, to: to) }
    mutating func socksMessage(_ message: SOCKSMessage, bytes: UnsafeRawBufferPointer, connection: SOCKSConnection,
                               from: Endpoint, to: Endpoint) { socks += 1 }
    mutating func peerPDU(_ pdu: PeerPDU, bytes: UnsafeRawBufferPointer, connection: PeerConnection,
                          from: Endpoint, to: Endpoint) { peer += 1 }
}

extension AllocationTests {
    /// The combined decoder (SOCKS, then OSCAR or peer, direct or tunnelled) on every connection.
    @Test(arguments: [
        "real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap",
        "real-software/icqv5-udp-and-peer-v6__iserverd-micq.pcap",
        "real-software/socks-dante-microsocks.pcap",
    ])
    func combinedDecoderAllocatesNothingPerPacket(capture: String) throws {
        let frames = try loadFrames(FixtureCaptures.path(capture))
        let table = StreamTable<ICQStreamConsumer<CountingProtocolSink>>(limits: StreamLimits()) {
            ICQStreamConsumer(originator: $0, responder: $1)
        }
        var sink = CountingProtocolSink()
        let allocations = secondPassAllocations(frames, table, &sink)
        #expect(allocations == 0, "\(allocations) allocations for \(frames.count) packets")
        #expect(sink.socks + sink.peer > 0)
    }
}
