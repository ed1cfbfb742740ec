import Benchmark
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Packets per second, measured around the whole loop of one iteration. The framework's own
/// `throughput` counts iterations per second as an integer, too coarse when one iteration is a
/// whole capture file.
let packetsPerSecond = BenchmarkMetric.custom("packets_per_s", polarity: .prefersLarger, useScalingFactor: false)

/// Packets per second of this thread's CPU time (user and system, so the kernel's copying for
/// read(2) counts). Time the thread spent waiting for a core does not: on a machine shared with
/// other work this is the steadier figure, and the one to compare ours with libpcap by.
let packetsPerCPUSecond = BenchmarkMetric.custom("packets_per_cpu_s", polarity: .prefersLarger, useScalingFactor: false)

/// What every packet benchmark reports. `mallocCountTotal` is for the whole iteration (one pass
/// over the file, opening included): allocations per packet = mallocCountTotal / packets.
let packetMetrics: [BenchmarkMetric] = [
    .wallClock, .throughput, .mallocCountTotal, .cpuTotal, packetsPerSecond, packetsPerCPUSecond,
]

/// A few iterations suffice: each is a pass over the whole file, and the run must stay short in
/// CI (about 3 s per benchmark at most).
var packetConfiguration: Benchmark.Configuration {
    .init(metrics: packetMetrics, warmupIterations: 1, scalingFactor: .one,
          maxDuration: .seconds(3), maxIterations: 15)
}

/// Registers a benchmark whose iteration is one pass of `body` over the file at `path()`, which
/// returns the number of packets it saw. `path` runs in setup, outside the measurement, so the
/// fixture is made (once) before the first iteration. Adding a benchmark is one call of this.
func packetBenchmark(_ name: String, expecting packets: Int, file path: @escaping @Sendable () -> String,
                     _ body: @escaping @Sendable (String) -> Int) {
    nonisolated(unsafe) var fixture = ""
    Benchmark(name, configuration: packetConfiguration) { benchmark in
        let start = ContinuousClock.now
        let cpuStart = threadCPUNanoseconds()
        let seen = body(fixture)
        let cpu = threadCPUNanoseconds() - cpuStart
        let elapsed = start.duration(to: .now)
        benchmark.stopMeasurement()
        precondition(seen == packets, "\(name): saw \(seen) packets, expected \(packets)")
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        benchmark.measurement(packetsPerSecond, Int(Int64(packets) * 1_000_000_000 / max(nanoseconds, 1)))
        benchmark.measurement(packetsPerCPUSecond, Int(Int64(packets) * 1_000_000_000 / max(cpu, 1)))
    } setup: {
        fixture = path()
    }
}

private func threadCPUNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}
