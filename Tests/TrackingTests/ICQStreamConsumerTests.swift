import Bytes
import Capture
import Testing
import Tracking
import Wire

/// The combined decoder on real captures, without the CLI: what it finds per connection.
@Suite
struct ICQStreamConsumerTests {
    func decode(_ capture: String) throws -> CountingProtocolSink {
        let frames = try loadFrames(FixtureCaptures.path(capture))
        let table = StreamTable<ICQStreamConsumer<CountingProtocolSink>>(limits: StreamLimits()) {
            ICQStreamConsumer(originator: $0, responder: $1)
        }
        var sink = CountingProtocolSink()
        for frame in frames {
            frame.bytes.withUnsafeBytes { bytes in
                table.ingest(PacketDecoder.decode(bytes, linkType: frame.linkType), frame: frame.number,
                             bytes: bytes, sink: &sink)
            }
        }
        table.finishAll(frame: UInt64(frames.count), sink: &sink)
        return sink
    }

    @Test func socksTunnelsAndPeerConnectionsInOneCapture() throws {
        let sink = try decode("real-software/oscar-peer-v8-filexfer-socks5__iserverd-micq.pcap")
        // tshark: 16 frames carry a SOCKS handshake message here, each one message.
        #expect(sink.socks == 16)
        #expect(sink.peer > 0)
        #expect(sink.oscar.pdus > 0)
    }

    @Test func socksOnlyCaptureHasNoPeer() throws {
        let sink = try decode("real-software/socks-dante-microsocks.pcap")
        #expect(sink.socks > 0)
        #expect(sink.peer == 0)
    }
}

/// Bytes that wait for the other direction are offered again when it progresses.
@Suite
struct ICQStreamConsumerReofferTests {
    /// The SOCKS5 CONNECT on 42702 of socks-dante-microsocks (frames 1...18), with the client's
    /// first tunnelled FLAP (frame 13) sent together with its request (frame 8), before the
    /// server's reply (frame 12): the FLAP can be decoded only once the reply grants the tunnel.
    @Test func clientBytesPipelinedBeforeTheReplyAreDecodedWhenItArrives() throws {
        let frames = try loadFrames(FixtureCaptures.path("real-software/socks-dante-microsocks.pcap"))
        func decoded(_ n: Int) -> (DecodedPacket, [UInt8]) {
            let f = frames[n - 1]
            let d = f.bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: f.linkType) }
            return (d, f.bytes)
        }
        let table = StreamTable<ICQStreamConsumer<CountingProtocolSink>>(limits: StreamLimits()) {
            ICQStreamConsumer(originator: $0, responder: $1)
        }
        var sink = CountingProtocolSink()
        let (request, requestBytes) = decoded(8)
        let (flap, flapBytes) = decoded(13)
        let pipelined = Array(requestBytes[request.payloadOffset..<(request.payloadOffset + request.payloadLength)])
            + Array(flapBytes[flap.payloadOffset..<(flap.payloadOffset + flap.payloadLength)])
        guard case .tcp(let tcp)? = request.transport, let src = request.sourceAddress, let dst = request.destinationAddress
        else { Issue.record("frame 8 is not TCP"); return }
        #expect(tcp.sourcePort == 42702 && pipelined.count == 10 + 10)
        var oscarBeforeReply = -1
        for n in 1...12 {
            let (d, bytes) = decoded(n)
            guard case .tcp(let t)? = d.transport, t.sourcePort == 42702 || t.destinationPort == 42702 else { continue }
            if n == 8 {
                let key = StreamKey(Endpoint(address: src, port: 42702), Endpoint(address: dst, port: 1080))
                let fed: Void? = table.withStream(key) { stream in
                    pipelined.withUnsafeBytes { stream.ingest(source: Endpoint(address: src, port: 42702), tcp: tcp, payload: $0, frame: 8, sink: &sink) }
                }
                try #require(fed != nil)
                continue
            }
            if n == 12 { oscarBeforeReply = sink.oscar.pdus }
            bytes.withUnsafeBytes { table.ingest(d, frame: UInt64(n), bytes: $0, sink: &sink) }
        }
        #expect(sink.socks == 4)
        #expect(oscarBeforeReply == 0)
        // The reply (frame 12) granted the tunnel; the waiting FLAP was offered again at once.
        #expect(sink.oscar.pdus == 1)
    }
}
