import Bytes
import SampleKit
import Testing
import Tracking
import Wire

/// A consumer that takes every byte it is offered and counts them in its sink.
struct DiscardingConsumer: StreamConsumer {
    mutating func streamData(_ bytes: UnsafeRawBufferPointer, side: StreamSide, frame: UInt64,
                             sink: inout Int) -> StreamStep {
        sink += bytes.count
        return .consumed(bytes.count)
    }

    mutating func streamGap(_ gap: StreamGap, side: StreamSide, sink: inout Int) {}
}

/// The stream table's recency order: a new connection on a full table evicts the stream that
/// was used least recently, whatever the number of connections seen.
struct StreamTableRecencyTests {
    static let server: UInt32 = 0xC000_0201  // 192.0.2.1

    static func key(_ client: Int) -> StreamKey {
        StreamKey(Endpoint(address: IPAddress(ipv4: 0x0A00_0000 | UInt32(client >> 14)), port: UInt16(1024 + client & 0x3FFF)),
                  Endpoint(address: IPAddress(ipv4: server), port: 80))
    }

    /// One packet from client number `client` to the server: a SYN, or one byte of data.
    static func feed(_ table: StreamTable<DiscardingConsumer>, client: Int, syn: Bool, frame: UInt64, sink: inout Int) {
        let bytes = FrameBuilder.tcpFrame(from: 0x0A00_0000 | UInt32(client >> 14), UInt16(1024 + client & 0x3FFF),
                                          to: server, 80, sequence: syn ? 1000 : 1001, acknowledgement: 0,
                                          flags: syn ? [.syn] : [.psh], payload: syn ? [] : [0x42])
        bytes.withUnsafeBytes { raw in
            table.ingest(PacketDecoder.decode(raw, linkType: .ethernet), frame: frame, bytes: raw, sink: &sink)
        }
    }

    @Test func aFullTableEvictsExactlyTheLeastRecentlyUsedOfAHundredThousandConnections() {
        let capacity = 64
        let table = StreamTable<DiscardingConsumer>(
            limits: StreamLimits(bytesPerDirection: 64, holesPerDirection: 1, maxStreams: capacity)
        ) { _, _ in DiscardingConsumer() }
        var random = SeededRandom(seed: 10)
        var sink = 0
        // The model: clients in the table, least recently used first.
        var model: [Int] = []
        var nextClient = 0
        var evictions = 0
        var frame: UInt64 = 0
        while nextClient < 100_000 {
            frame += 1
            if model.count == capacity && random.next() % 3 == 0 {
                // Data on a stream already in the table: it becomes the most recently used.
                let client = model.remove(at: Int(random.next() % UInt64(model.count)))
                Self.feed(table, client: client, syn: false, frame: frame, sink: &sink)
                model.append(client)
            } else {
                if model.count == capacity {
                    #expect(table.leastRecentlyUsed == Self.key(model[0]))
                    model.removeFirst()
                    evictions += 1
                }
                Self.feed(table, client: nextClient, syn: true, frame: frame, sink: &sink)
                model.append(nextClient)
                nextClient += 1
            }
            if frame % 997 == 0 || nextClient == 100_000 {
                #expect(table.keysByRecency == model.map(Self.key))
            }
        }
        #expect(table.streamCount == capacity)
        #expect(table.streamsCreated == 100_000)
        #expect(table.streamsEvicted == evictions)
        #expect(evictions == 100_000 - capacity)
    }

    /// A finished connection kept to absorb late packets is reused first when the table is full,
    /// and that is not counted as an eviction; late packets do not make it recent.
    @Test func aFinishedConnectionGoesWithoutCountingAnEviction() {
        let table = StreamTable<DiscardingConsumer>(
            limits: StreamLimits(bytesPerDirection: 64, holesPerDirection: 1, maxStreams: 2)
        ) { _, _ in DiscardingConsumer() }
        var sink = 0
        Self.feed(table, client: 1, syn: true, frame: 1, sink: &sink)
        Self.feed(table, client: 2, syn: true, frame: 2, sink: &sink)
        // The server resets client 2's connection: finished, but still listed.
        let reset = FrameBuilder.tcpFrame(from: Self.server, 80, to: 0x0A00_0000, 1026, sequence: 0, acknowledgement: 1001,
                                          flags: [.rst, .ack])
        reset.withUnsafeBytes { table.ingest(PacketDecoder.decode($0, linkType: .ethernet), frame: 3, bytes: $0, sink: &sink) }
        Self.feed(table, client: 1, syn: false, frame: 4, sink: &sink)
        #expect(table.keysByRecency == [Self.key(2), Self.key(1)])
        // A late packet of the finished connection changes nothing.
        Self.feed(table, client: 2, syn: false, frame: 5, sink: &sink)
        #expect(table.keysByRecency == [Self.key(2), Self.key(1)])
        Self.feed(table, client: 3, syn: true, frame: 6, sink: &sink)
        #expect(table.keysByRecency == [Self.key(1), Self.key(3)])
        #expect(table.streamsEvicted == 0)
        Self.feed(table, client: 4, syn: true, frame: 7, sink: &sink)
        #expect(table.keysByRecency == [Self.key(3), Self.key(4)])
        #expect(table.streamsEvicted == 1)
    }
}
