import Benchmark
import BenchmarkFixtures
import Capture
import Engine
#if canImport(Glibc)
import Glibc
#endif

// The whole pipeline (`icqscope read --format ndjson`, output to /dev/null) on gateway-shaped
// traffic at 10 to 100,000 concurrent users: the cost per packet must not grow with the users.

/// One run of the engine over `path` on one thread, as the command runs it; returns the packets analysed.
func analyseWholePipeline(_ path: String) -> Int {
    analyseOnThreads(path, threads: 1)
}

func registerPipelineBenchmarks() {
    let packets = 200_000
    for users in [10, 1_000, 10_000, 100_000] {
        let file: @Sendable () -> String = { GatewayMixCapture.path(users: users, packets: packets) }
        packetBenchmark("pipeline-gateway-\(users)-users-200k", expecting: packets, file: file, analyseWholePipeline)
    }
}
