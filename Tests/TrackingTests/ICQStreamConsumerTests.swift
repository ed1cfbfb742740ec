import Bytes
import Capture
import Testing
import Tracking
import Wire

/// The combined decoder on real captures, without the CLI: what it finds per connection.
@Suite(.enabled(if: SharedCaptures.available, "needs ../shared/captures (present in CI)"))
struct ICQStreamConsumerTests {
    func decode(_ capture: String) throws -> CountingProtocolSink {
        let frames = try loadFrames(SharedCaptures.path(capture))
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
