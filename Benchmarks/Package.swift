// swift-tools-version: 6.1
// The benchmarks are their own package so that `swift build` and `swift test` at the root never
// compile the benchmark tool and its dependencies. Run them with scripts/bench-check.sh, or here:
//   swift package --allow-writing-to-directory /tmp benchmark
// The plugin finds each suite's sources under Benchmarks/Benchmarks/<SuiteName>/.
import PackageDescription

let package = Package(
    name: "icqscope-benchmarks",
    dependencies: [
        .package(name: "icqscope", path: ".."),
        // The MallocInterposer trait gives the malloc counts (allocations per packet). Naming the
        // traits also leaves out the default RuntimeInterposer, which is not needed here.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Capture files made when the benchmarks run (never committed), shared by every suite.
        .target(
            name: "BenchmarkFixtures",
            dependencies: [.product(name: "IcqscopeKit", package: "icqscope")],
            path: "Fixtures"
        ),
        // Reading and decoding a large capture of small packets: our reader against libpcap.
        .executableTarget(
            name: "CaptureReading",
            dependencies: [
                "BenchmarkFixtures",
                .product(name: "IcqscopeKit", package: "icqscope"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/CaptureReading",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
