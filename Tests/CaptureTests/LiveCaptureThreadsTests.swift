import Foundation
import LiveTestSupport
import Testing
@testable import Capture

/// Live capture with a capture thread per interface (`threads` 2 or more) on the namespaced
/// gateway: the merge of the rings in capture-time order, and a full ring that makes the thread
/// stop reading so that the kernel counts the drops.
@Suite(.enabled(if: NetworkLab.shouldRun, "\(NetworkLab.availability.message)"), .serialized)
struct LiveCaptureThreadsTests {
    @Test func ringsOfBothInterfacesMergeInTimeOrder() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        var capture = try lab.openCapture(immediate: true, filter: "udp port 4000", boundedTo: 20) {
            $0.threads = 2
            // Wide, so that a capture thread kept off the CPU by a busy machine still makes it.
            $0.reorderWindowNanos = 300_000_000
            // Room in the kernel for every packet until the first read starts the threads, also
            // when a sanitizer slows this process down.
            $0.snapLength = 2048
            $0.bufferSize = 4 << 20
        }
        let server = try lab.spawn(in: lab.serverNamespace, Traffic.udpEchoServer(port: 4000, count: 40))
        #expect(server.waitForLine("ready"))
        let client = try lab.spawn(in: lab.clientNamespace, Traffic.udpClient(port: 4000, count: 40))

        var seen: [(frame: UInt64, interface: Int, time: Int64, payload: [UInt8])] = []
        var quietSince: Int64? = nil
        var ticks: [(now: Int64, lastPacket: Int64)] = []
        loop: while true {
            switch try capture.nextEvent() {
            case .packet(let packet):
                // The bytes are lent from the ring until the next call: copied here.
                seen.append((packet.frameNumber, packet.interfaceIndex, packet.timestampNanos, Array(packet.bytes.dropFirst(42))))
            case .tick(let now):
                ticks.append((now, seen.last?.time ?? 0))
                if !client.process.isRunning && !server.process.isRunning {
                    if let since = quietSince {
                        if capture.elapsedNanos - since > 1_000_000_000 { capture.requestStop() }
                    } else {
                        quietSince = capture.elapsedNanos
                    }
                }
            case .end(let reason):
                #expect(reason == .requested)
                break loop
            }
        }
        #expect(client.finish().status == 0)
        _ = server.finish()
        // 40 requests and 40 replies, each entering and leaving the gateway.
        #expect(seen.count == 160)
        #expect(seen.map(\.frame) == Array(1...UInt64(seen.count)))
        #expect(capture.deliveredPerInterfaceIndex == [80, 80])
        // One stream in capture-time order, each datagram inside before outside.
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.time <= $1.time })
        for i in 0..<40 {
            let copies = seen.filter { $0.payload == Array("packet \(i)".utf8) }
            #expect(copies.map(\.interface) == [0, 1], "request \(i)")
        }
        #expect(ticks.allSatisfy { $0.now >= $0.lastPacket })
        let stats = capture.statistics()
        #expect(stats.allSatisfy { $0?.received == 80 && $0?.osDropped == 0 })
    }

    @Test func aFullRingStopsReadingAndTheKernelCountsTheDrops() throws {
        try NetworkLab.requireAvailable()
        let lab = try NetworkLab()
        defer { lab.remove() }
        var capture = try lab.openCapture(on: [lab.insideInterface], filter: "udp") {
            $0.threads = 2
            $0.ringBytes = 64 * 1024  // rounded up to hold two whole frames of the snap length
            $0.snapLength = 2048
            $0.bufferSize = 64 * 1024
        }
        // Nobody takes packets while 20000 datagrams go by: the capture thread fills its ring and
        // stops reading, the kernel's buffer overflows and the kernel counts the drops.
        let sender = try lab.spawn(in: lab.clientNamespace, Traffic.udpBurst(port: 9, count: 20000))
        #expect(sender.finish().status == 0)
        usleep(300_000)
        let before = try #require(capture.statistics()[0])
        #expect((before.osDropped ?? 0) > 0, "the kernel counted drops")
        capture.requestStop()
        var delivered: UInt64 = 0
        var payloadSizes = Set<Int>()
        while let packet = try capture.nextPacket() {
            delivered += 1
            payloadSizes.insert(packet.bytes.count)
        }
        let after = try #require(capture.statistics()[0])
        let received = try #require(after.received)
        let dropped = try #require(after.osDropped)
        // Every datagram that passed the filter was either delivered (from the ring or read while
        // draining) or dropped by the kernel: none lost between the thread and the analysis.
        #expect(delivered == capture.delivered && after.delivered == delivered)
        #expect(received == delivered + dropped, "received \(received), delivered \(delivered), dropped \(dropped)")
        #expect(received == 20000)
        #expect(delivered > 100, "the ring's packets and what the kernel kept")
        #expect(payloadSizes == [14 + 20 + 8 + 64], "every copy whole")
    }
}
