import Benchmark
import BenchmarkFixtures

// Reading and decoding a capture of one million small packets (issue 2): our reader against
// libpcap's `pcap_next_ex` on the same file, in one run, so the ratio shows; in pcap and pcapng. Names carry no
// spaces or slashes (the tool uses them in file names and filters).
//
// The 100k variant is there to show that allocations do not grow with the packet count: the
// read-and-decode loop's mallocCountTotal must be the same constant for both sizes.

let benchmarks: @Sendable () -> Void = {
    let million = 1_000_000
    let hundredThousand = 100_000
    let file1M: @Sendable () -> String = { SmallPacketCapture.path(packets: million) }
    let file100k: @Sendable () -> String = { SmallPacketCapture.path(packets: hundredThousand) }

    packetBenchmark("read-1M-ours", expecting: million, file: file1M, readWithOurs)
    packetBenchmark("read-1M-libpcap", expecting: million, file: file1M, readWithLibpcap)
    packetBenchmark("read-decode-1M-ours", expecting: million, file: file1M, readAndDecodeWithOurs)
    packetBenchmark("read-decode-1M-libpcap", expecting: million, file: file1M, readAndDecodeWithLibpcap)
    packetBenchmark("read-decode-byvalue-1M-ours", expecting: million, file: file1M, readAndDecodeByValueWithOurs)
    packetBenchmark("read-decode-100k-ours", expecting: hundredThousand, file: file100k, readAndDecodeWithOurs)

    // The same packets as pcapng, what dumpcap and Wireshark write by default.
    let file1Mng: @Sendable () -> String = { SmallPacketCapture.path(packets: million, format: .pcapng) }
    packetBenchmark("read-1M-pcapng-ours", expecting: million, file: file1Mng, readWithOurs)
    packetBenchmark("read-1M-pcapng-libpcap", expecting: million, file: file1Mng, readWithLibpcap)
    packetBenchmark("read-decode-1M-pcapng-ours", expecting: million, file: file1Mng, readAndDecodeWithOurs)
    packetBenchmark("read-decode-1M-pcapng-libpcap", expecting: million, file: file1Mng, readAndDecodeWithLibpcap)

    // Later stages (issues 4 and 6): the flow table on top of reading and decoding, and classic
    // ICQ classification with v5 decryption on its own (packets = ICQ datagrams classified).
    packetBenchmark("read-decode-flows-1M-tracked", expecting: million, file: file1M, readDecodeAndTrackFlows)
    packetBenchmark("read-decode-streams-1M-tracked", expecting: million, file: file1M, readDecodeAndReassemble)
    // The whole pipeline on gateway traffic at 10 to 100,000 users (issue 10).
    registerPipelineBenchmarks()
    registerThreadBenchmarks()

    packetBenchmark("icq-classify-200k-ours", expecting: 200_000, file: { _ = ICQPayloads.healthy; return "" }) { _ in
        classifyICQ(200_000)
    }
}
