import Bytes
import Foundation
import LiveTestSupport
import Testing
@testable import Capture

/// Live capture on a real (namespaced) gateway: real UDP and TCP between a client and a server
/// namespace, captured on the gateway's inside and outside interfaces.
@Suite(.enabled(if: NetworkLab.shouldRun, "\(NetworkLab.availability.message)"), .serialized)
struct LiveCaptureTests {
    /// What a test keeps of each captured packet (bytes copied: tests may, the pipeline may not).
    struct Seen {
        var frame: UInt64
        var interfaceIndex: Int
        var interfaceName: String
        var timestampNanos: Int64
        var originalLength: Int
        var bytes: [UInt8]
        var linkType: LinkType
    }

    @Test func capturesBothGatewayInterfacesDecodesAndRecordsPcapng() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        var capture = try lab.openCapture(immediate: true, boundedTo: 20)
        #expect(capture.interfaces.map(\.name) == [lab.insideInterface, lab.outsideInterface])
        #expect(capture.interfaces.allSatisfy { $0.linkType == .ethernet && $0.timestampResolution == .nanoseconds })

        let path = temporaryPath("both.pcapng")
        defer { unlink(path) }
        let writer = try PcapngWriter(path: path)
        for interface in capture.interfaces { writer.addInterface(interface) }

        let udpServer = try lab.spawn(in: lab.serverNamespace, Traffic.udpEchoServer(port: 4000, count: 5))
        let tcpServer = try lab.spawn(in: lab.serverNamespace, Traffic.tcpServer(port: 5190))
        #expect(udpServer.waitForLine("ready") && tcpServer.waitForLine("ready"))
        let udpClient = try lab.spawn(in: lab.clientNamespace, Traffic.udpClient(port: 4000, count: 5))
        let tcpClient = try lab.spawn(in: lab.clientNamespace, Traffic.tcpClient(port: 5190, bytes: 3000))
        let clients = [udpClient, tcpClient, udpServer, tcpServer]

        var seen: [Seen] = []
        var ticks: [(now: Int64, lastPacket: Int64)] = []
        let end = try runUntilQuiet(&capture, after: clients) { packet, capture in
            seen.append(Seen(frame: packet.frameNumber, interfaceIndex: packet.interfaceIndex,
                             interfaceName: capture.interfaces[packet.interfaceIndex].name ?? "?",
                             timestampNanos: packet.timestampNanos, originalLength: packet.originalLength,
                             bytes: Array(packet.bytes), linkType: packet.linkType))
            try writer.write(packet)
        } onTick: { now in
            ticks.append((now, seen.last?.timestampNanos ?? 0))
        }
        #expect(end == .requested)
        #expect(udpClient.finish().status == 0)
        #expect(tcpClient.finish().stdout.hasPrefix("ok 3000"))
        _ = udpServer.finish(); _ = tcpServer.finish()
        let stats = capture.statistics()
        try writer.finish(statistics: stats, timestampNanos: capture.nowNanos)

        // UDP: 5 requests and 5 replies, each seen entering and leaving the gateway.
        let udp = seen.filter { decodeUDP($0.bytes)?.port == 4000 }
        #expect(udp.count == 20)
        #expect(udp.filter { $0.interfaceName == lab.insideInterface }.count == 10)
        #expect(udp.filter { $0.interfaceName == lab.outsideInterface }.count == 10)
        for i in 0..<5 {
            let payload = Array("packet \(i)".utf8)
            let copies = udp.filter { decodeUDP($0.bytes)?.payload == payload }
            #expect(Set(copies.map(\.interfaceName)) == [lab.insideInterface, lab.outsideInterface])
            // Forwarding: the copy leaving the gateway has one hop less to live.
            let inside = copies.first { $0.interfaceName == lab.insideInterface }
            let outside = copies.first { $0.interfaceName == lab.outsideInterface }
            if let inside, let outside {
                #expect(Int(inside.bytes[22]) == Int(outside.bytes[22]) + 1)
                // Merged in time order: the request enters the gateway before it leaves it.
                #expect(inside.frame < outside.frame && inside.timestampNanos <= outside.timestampNanos)
            }
        }
        // TCP: the whole conversation on both sides (SYN and all 3000 bytes).
        for name in [lab.insideInterface, lab.outsideInterface] {
            let tcp = seen.filter { $0.interfaceName == name && decodeTCP($0.bytes) != nil }
            #expect(tcp.contains { decodeTCP($0.bytes)!.flags & 0x02 != 0 })
            let sent = tcp.filter { decodeTCP($0.bytes)!.dstPort == 5190 }.map { decodeTCP($0.bytes)!.payloadLength }.reduce(0, +)
            #expect(sent == 3000)
        }
        // Frames are numbered 1...n in delivery order; timestamps are real nanoseconds.
        #expect(seen.map(\.frame) == Array(1...UInt64(seen.count)))
        let wallNow = Int64(Date().timeIntervalSince1970 * 1e9)
        #expect(seen.allSatisfy { abs($0.timestampNanos - wallNow) < 60_000_000_000 })
        #expect(seen.contains { $0.timestampNanos % 1000 != 0 }, "nanosecond digits present")
        // The live clock ticked while the line was quiet, never behind the last packet.
        #expect(!ticks.isEmpty)
        #expect(ticks.allSatisfy { $0.now >= $0.lastPacket })
        // Drop counters were read for both interfaces; nothing was dropped at this rate.
        #expect(stats.count == 2 && stats.allSatisfy { $0?.received != nil && $0?.osDropped == 0 })

        // The pcapng file reads back with the same packets, to the byte and the nanosecond.
        var reader = try CaptureFileReader(path: path)
        var readBack: [Seen] = []
        while let packet = try reader.nextPacket() {
            readBack.append(Seen(frame: packet.frameNumber, interfaceIndex: packet.interfaceIndex,
                                 interfaceName: reader.interfaces[packet.interfaceIndex].name ?? "?",
                                 timestampNanos: packet.timestampNanos, originalLength: packet.originalLength,
                                 bytes: Array(packet.bytes), linkType: packet.linkType))
        }
        #expect(readBack.count == seen.count)
        for (a, b) in zip(seen, readBack) {
            #expect(a.frame == b.frame && a.interfaceName == b.interfaceName && a.timestampNanos == b.timestampNanos
                    && a.originalLength == b.originalLength && a.bytes == b.bytes && a.linkType == b.linkType)
        }
        #expect(reader.interfaces.map(\.name) == [lab.insideInterface, lab.outsideInterface])
        #expect(reader.interfaces.map(\.timestampResolution) == [.nanoseconds, .nanoseconds])
        #expect(reader.interfaces.map(\.statistics) == stats)
    }

    /// One thread reads both interfaces: a datagram forwarded by the gateway is delivered after
    /// its copy on the way in, even while the line streams (the loop does not deliver a packet
    /// while another interface could still hold an earlier one), with and without the kernel's
    /// batching.
    @Test(arguments: [true, false])
    func forwardedCopiesFollowTheirOriginalsWhileTheLineStreams(immediate: Bool) throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        var capture = try lab.openCapture(immediate: immediate, filter: "udp and dst port 9", boundedTo: 30) {
            // Small frames, so that the kernel's ring holds the whole burst (in immediate mode
            // libpcap gives every packet a slot of the snap length).
            $0.snapLength = 256
            $0.bufferSize = 8 << 20
        }
        let sent = 3000
        let sender = try lab.spawn(in: lab.clientNamespace, Traffic.udpBurst(port: 9, count: sent, numbered: true))
        // Each copy is held against its own original, found by the datagram's number (the
        // payloads are otherwise alike, and their IP ids all 0), not against the k-th in.
        var inside: [UInt32: (frame: UInt64, time: Int64)] = [:]
        var outside: [UInt32: (frame: UInt64, time: Int64)] = [:]
        var unreadable = 0
        _ = try runUntilQuiet(&capture, after: [sender]) { packet, capture in
            // Ethernet, IPv4 without options, UDP: the payload's first 4 bytes.
            guard packet.linkType == .ethernet, packet.bytes.count >= 14 + 20 + 8 + 4 else { return unreadable += 1 }
            let id = packet.bytes.u32BE(at: 14 + 20 + 8)
            let seen = (packet.frameNumber, packet.timestampNanos)
            if capture.interfaces[packet.interfaceIndex].name == lab.insideInterface { inside[id] = seen } else { outside[id] = seen }
        }
        #expect(sender.finish().status == 0)
        let stats = capture.statistics()
        #expect(stats.allSatisfy { $0?.osDropped == 0 })
        #expect(unreadable == 0)
        #expect(inside.count == sent && outside.count == sent && Set(inside.keys) == Set(outside.keys))
        // A datagram out is one in, forwarded: it was stamped later and is delivered later.
        let misordered = inside.filter { id, original in
            guard let copy = outside[id] else { return false }
            return !(original.frame < copy.frame && original.time <= copy.time)
        }.count
        #expect(misordered == 0, "\(misordered) forwarded copies delivered before their original")
    }

    @Test func anyKeepsInterfaceIndexesInCookedV2() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        var capture = try lab.openCapture(on: ["any"], immediate: true, filter: "udp port 4000", boundedTo: 20)
        #expect(capture.interfaces.map(\.linkType) == [.linuxSLL2])

        let server = try lab.spawn(in: lab.serverNamespace, Traffic.udpEchoServer(port: 4000, count: 3))
        #expect(server.waitForLine("ready"))
        let client = try lab.spawn(in: lab.clientNamespace, Traffic.udpClient(port: 4000, count: 3))
        var names: [String] = []
        _ = try runUntilQuiet(&capture, after: [client, server]) { packet, capture in
            #expect(packet.linkType == .linuxSLL2 && packet.bytes.count >= 20)
            let index = packet.bytes.u32BE(at: 4)  // sll2_if_index
            names.append(capture.systemInterfaceName(index: index) ?? "index \(index)")
        }
        #expect(client.finish().status == 0)
        _ = server.finish()
        #expect(names.count == 12)
        #expect(names.filter { $0 == lab.insideInterface }.count == 6)
        #expect(names.filter { $0 == lab.outsideInterface }.count == 6)
    }

    /// Immediate mode's ring has slots as large as the snap length: with libpcap's own 2 MiB it
    /// held 8 packets on `any` and 32 per Ethernet interface, and `-i any` lost the end of a
    /// dozen-packet exchange while the test looked at its start. Here nothing is read until the
    /// exchange is over: the whole burst must still be in the ring.
    @Test(arguments: [["any"], nil])
    func immediateRingHoldsABurstWhileUnread(interfaces: [String]?) throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        var capture = try lab.openCapture(on: interfaces, immediate: true, filter: "udp port 4000", boundedTo: 20)
        let exchanges = 30  // 120 packets: 4 an exchange (in and out, request and reply)
        let server = try lab.spawn(in: lab.serverNamespace, Traffic.udpEchoServer(port: 4000, count: exchanges))
        #expect(server.waitForLine("ready"))
        let client = try lab.spawn(in: lab.clientNamespace, Traffic.udpClient(port: 4000, count: exchanges))
        #expect(client.finish().status == 0)
        _ = server.finish()
        var delivered = 0
        _ = try runUntilQuiet(&capture, after: []) { _, _ in delivered += 1 }
        let stats = capture.statistics()
        #expect(delivered == 4 * exchanges)
        #expect(stats.allSatisfy { $0?.osDropped == 0 })
        #expect(stats.compactMap { $0?.received }.reduce(0, +) == UInt64(4 * exchanges))
    }

    @Test func filterSelectsOnlyWhatItNames() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        var capture = try lab.openCapture(immediate: true, filter: "udp and dst port 4000", boundedTo: 20)
        let udpServer = try lab.spawn(in: lab.serverNamespace, Traffic.udpEchoServer(port: 4000, count: 4))
        let tcpServer = try lab.spawn(in: lab.serverNamespace, Traffic.tcpServer(port: 5190))
        #expect(udpServer.waitForLine("ready") && tcpServer.waitForLine("ready"))
        let udpClient = try lab.spawn(in: lab.clientNamespace, Traffic.udpClient(port: 4000, count: 4))
        let tcpClient = try lab.spawn(in: lab.clientNamespace, Traffic.tcpClient(port: 5190, bytes: 100))
        var captured: [(port: UInt16, payload: [UInt8])] = []
        var other = 0
        _ = try runUntilQuiet(&capture, after: [udpClient, tcpClient, udpServer, tcpServer]) { packet, _ in
            if let udp = decodeUDP(Array(packet.bytes)) { captured.append((udp.port, udp.payload)) } else { other += 1 }
        }
        #expect(tcpClient.finish().stdout.hasPrefix("ok 100"))
        _ = udpClient.finish(); _ = udpServer.finish(); _ = tcpServer.finish()
        // Requests only (dst port 4000), on both interfaces; no replies, no TCP, no ARP.
        #expect(other == 0)
        #expect(captured.count == 8)
        #expect(captured.allSatisfy { $0.port == 4000 && $0.payload.starts(with: Array("packet".utf8)) })
    }

    @Test func dropCountersAreReadRecordedAndAddUp() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        var capture = try lab.openCapture(on: [lab.insideInterface], filter: "udp") {
            $0.bufferSize = 64 * 1024  // a small ring, filled on purpose
        }
        // Nobody reads while 20000 datagrams go by: the ring overflows and the kernel counts drops.
        let sender = try lab.spawn(in: lab.clientNamespace, Traffic.udpBurst(port: 9, count: 20000))
        #expect(sender.finish().status == 0)
        usleep(200_000)
        let before = capture.statistics()[0]
        #expect((before?.osDropped ?? 0) > 0, "the kernel counted drops")
        capture.requestStop()
        var delivered: UInt64 = 0
        while try capture.nextPacket() != nil { delivered += 1 }
        let after = try #require(capture.statistics()[0])
        let received = try #require(after.received)
        let dropped = try #require(after.osDropped)
        // Every datagram that passed the filter was either delivered to us or dropped by the kernel.
        #expect(delivered == capture.delivered && after.delivered == delivered)
        #expect(received == delivered + dropped)
        #expect(received == 20000)

        let path = temporaryPath("drops.pcapng")
        defer { unlink(path) }
        let writer = try PcapngWriter(path: path)
        writer.addInterface(capture.interfaces[0])
        try writer.finish(statistics: [after], timestampNanos: capture.nowNanos)
        let reader = try CaptureFileReader(path: path)
        var copy = reader
        #expect(try copy.nextPacket() == nil)
        #expect(copy.interfaces[0].statistics == after)
    }

    @Test func errorsNameTheirCause() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        var options = LiveCaptureOptions(interfaces: ["nosuch\(lab.id)"])
        options.stopOnSignals = false
        let missing = try lab.inGateway { () throws -> CaptureError? in
            do { _ = try LiveCapture(options: options); return nil } catch let error as CaptureError { return error }
        }
        #expect(missing?.reason == .noSuchInterface)
        #expect(missing?.description.contains("no such interface") == true)

        options.interfaces = [lab.insideInterface]
        options.filter = "udp port banana"
        let badFilter = try lab.inGateway { () throws -> CaptureError? in
            do { _ = try LiveCapture(options: options); return nil } catch let error as CaptureError { return error }
        }
        #expect(badFilter?.reason == .badFilter)
        #expect(badFilter?.description.contains("banana") == true)

        // The interface disappears while we capture.
        options.filter = nil
        options.durationNanos = 10_000_000_000
        var capture = try lab.inGateway { try LiveCapture(options: options) }
        try Shell.run("ip", "-n", lab.gatewayNamespace, "link", "del", lab.insideInterface)
        var thrown: CaptureError? = nil
        do {
            while true { if case .end = try capture.nextEvent() { break } }
        } catch { thrown = error }
        #expect(thrown?.reason == .interfaceDown)
        #expect(capture.elapsedNanos < 5_000_000_000, "noticed without waiting for the duration")
    }

    // MARK: helpers

    /// Captures until every process in `processes` has exited and the line stayed quiet for a
    /// moment after, then stops (`.requested`). `onPacket` sees each packet in turn.
    private func runUntilQuiet(
        _ capture: inout LiveCapture, after processes: [Spawned],
        onPacket: (CapturedPacket, inout LiveCapture) throws -> Void,
        onTick: (Int64) -> Void = { _ in }
    ) throws -> LiveStopReason {
        var quietSince: Int64? = nil
        while true {
            switch try capture.nextEvent() {
            case .packet(let packet):
                try onPacket(packet, &capture)
            case .tick(let now):
                onTick(now)
                if processes.allSatisfy({ !$0.process.isRunning }) {
                    let elapsed = capture.elapsedNanos
                    if let since = quietSince {
                        // Quiet for 2 s after the traffic ended: on a loaded machine the kernel
                        // may still be handing over the last packets well after 300 ms.
                        if elapsed - since > 2_000_000_000 { capture.requestStop() }
                    } else {
                        quietSince = elapsed
                    }
                }
            case .end(let reason):
                return reason
            }
        }
    }

    private func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "icqscope-\(getpid())-\(UUID().uuidString)-\(name)"
    }

    /// Just enough Ethernet/IPv4/UDP to check the tests' own traffic (the Wire stage has its own tests).
    private func decodeUDP(_ frame: [UInt8]) -> (port: UInt16, payload: [UInt8])? {
        guard frame.count >= 42, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 17 else { return nil }
        let ihl = Int(frame[14] & 0x0F) * 4
        let udp = 14 + ihl
        let dst = UInt16(frame[udp + 2]) << 8 | UInt16(frame[udp + 3])
        let src = UInt16(frame[udp]) << 8 | UInt16(frame[udp + 1])
        return (dst == 4000 || src == 4000 ? 4000 : dst, Array(frame[(udp + 8)...]))
    }

    private func decodeTCP(_ frame: [UInt8]) -> (dstPort: UInt16, flags: UInt8, payloadLength: Int)? {
        guard frame.count >= 54, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 6 else { return nil }
        let ihl = Int(frame[14] & 0x0F) * 4
        let total = Int(frame[16]) << 8 | Int(frame[17])
        let tcp = 14 + ihl
        let dataOffset = Int(frame[tcp + 12] >> 4) * 4
        return (UInt16(frame[tcp + 2]) << 8 | UInt16(frame[tcp + 3]), frame[tcp + 13], total - ihl - dataOffset)
    }
}
