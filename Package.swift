// swift-tools-version: 6.1
// The module layout follows the pipeline of DESIGN.md:
//   Capture -> Wire -> (Tracking -> Diagnosis) -> Report -> Engine -> icqscope
// No module imports a later stage.
import PackageDescription

/// Release builds of the pipeline's stages leave out the dynamic exclusivity checks (their
/// per-packet state lives in class properties and in tables reached through them: checking each
/// access cost about a thousand instructions a packet, callgrind on the gateway mix) and let
/// the optimizer specialize and inline across module boundaries, so that generic tables and
/// small accessors used by a later stage cost what they would inside one module. Debug builds,
/// which the tests run, keep the checks, so an overlapping access still traps there.
let pipelineStage: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization"], .when(configuration: .release)),
]

let package = Package(
    name: "icqscope",
    products: [
        .executable(name: "icqscope", targets: ["icqscope"]),
        // SampleKit is in the product for the benchmark package (Benchmarks/), which builds its
        // fixtures with it; nothing in the pipeline imports it.
        .library(name: "IcqscopeKit", targets: ["Bytes", "Capture", "Wire", "Tracking", "Diagnosis", "Report", "Engine", "SampleKit"]),
        .library(name: "FuzzEntries", targets: ["FuzzEntries"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // The sensor's metrics (module Sensor only): the HTTP server of --metrics-listen, and the
        // Prometheus registry and text format. Nothing in the pipeline imports them.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // Bounds-checked, non-copying readers over borrowed bytes and the small value types
        // (addresses) that every stage shares.
        .target(name: "Bytes", swiftSettings: pipelineStage),
        // Stage 1: packets from capture files (our own pcap/pcapng walker) and from libpcap.
        .target(name: "Capture", dependencies: ["Bytes", "CPcap"], swiftSettings: pipelineStage),
        // Stage 2: stateless decoders, link layer up to the ICQ family.
        .target(name: "Wire", dependencies: ["Bytes", "Capture"], swiftSettings: pipelineStage),
        // Stage 3: flows, TCP streams, ICQ sessions, requests and replies, advertised endpoints.
        .target(
            name: "Tracking",
            dependencies: ["Bytes", "Capture", "Wire", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: pipelineStage
        ),
        // Stage 4: rules, thresholds and firewall profiles turn observations into findings.
        .target(name: "Diagnosis", dependencies: ["Bytes", "Capture", "Wire", "Tracking"], swiftSettings: pipelineStage),
        // Last stage: NDJSON and text.
        .target(name: "Report", dependencies: ["Bytes", "Capture", "Wire", "Tracking", "Diagnosis"], swiftSettings: pipelineStage),
        // The pipeline assembled: one Analyzer takes packets from any source (file or live) through
        // every stage, so the command, the benchmarks and the tests run the same engine.
        .target(
            name: "Engine", dependencies: ["Bytes", "Capture", "Wire", "Tracking", "Diagnosis", "Report", "CPrivileges"],
            swiftSettings: pipelineStage
        ),
        // Builds real frames and capture files: the sample generator's and the tests' own traffic.
        // SampleKit encrypts its ICQ traffic with Wire's ICQEncoder, as a real client would.
        .target(name: "SampleKit", dependencies: ["Bytes", "Wire"]),
        .executableTarget(name: "icqscope-samples", dependencies: ["SampleKit"]),
        // The entry points of the fuzz harnesses (Fuzz/, a package of its own built with
        // libFuzzer), here so that FuzzReplayTests replays their seed corpora through the same code.
        .target(
            name: "FuzzEntries", dependencies: ["Bytes", "Capture", "Wire", "Tracking", "Report", "Engine", "SampleKit"],
            path: "Fuzz/Entries"
        ),
        // The gateway lab's own peers on real sockets (scripts/lab.sh): ICQ v5 server and client
        // (UDP; peer messages encoded by SampleKit's encoder), and an OSCAR server (TCP; MD5 logins
        // use swift-crypto) real OSCAR clients sign on to.
        .target(name: "LabPeers", dependencies: ["Bytes", "Wire", "SampleKit", .product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(
            name: "icqlab-server",
            dependencies: ["LabPeers", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "icqlab-oscar",
            dependencies: ["LabPeers", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "icqlab-client",
            dependencies: ["LabPeers", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The sensor's metrics side: MetricsSnapshot (made by the analysis thread) rendered in the
        // Prometheus text format, served over HTTP and written as a node_exporter textfile, on a
        // thread of its own. Only the command imports it: the pipeline never waits on it.
        .target(
            name: "Sensor",
            dependencies: [
                "Capture", "Report", "Engine",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // prctl and capset for `live -Z`, which Swift cannot call directly (variadic, undeclared).
        .target(name: "CPrivileges"),
        .executableTarget(
            name: "icqscope",
            dependencies: [
                "Capture", "Diagnosis", "Engine", "Report", "Sensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Paths to the package root and the fixtures (Tests/Fixtures), for every test target.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // The gateway of network namespaces the live-capture tests (`Live` suites) run traffic through.
        .target(name: "LiveTestSupport", path: "Tests/LiveTestSupport"),
        .testTarget(name: "CaptureTests", dependencies: ["TestSupport", "LiveTestSupport", "Capture", "Bytes", "SampleKit"]),
        .testTarget(name: "WireTests", dependencies: ["TestSupport", "Wire", "Capture", "Bytes", "SampleKit"]),
        .testTarget(name: "TrackingTests", dependencies: ["TestSupport", "Tracking", "Wire", "Capture", "Bytes", "SampleKit"]),
        .testTarget(name: "DiagnosisTests", dependencies: ["Diagnosis", "Tracking", "Wire", "Capture", "Bytes", "SampleKit"]),
        .testTarget(name: "ReportTests", dependencies: ["TestSupport", "Report", "Diagnosis", "Tracking", "Capture", "Bytes", "Wire"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Tracking"]),
        .testTarget(name: "CommandTests", dependencies: ["TestSupport", "LiveTestSupport", "Bytes", "Capture", "Engine", "SampleKit", "Wire"]),
        .testTarget(name: "FuzzReplayTests", dependencies: ["TestSupport", "FuzzEntries", "SampleKit"]),
        .testTarget(
            name: "LabTests",
            dependencies: ["TestSupport", "Capture", "Wire", "Bytes", "LabPeers", .product(name: "Crypto", package: "swift-crypto")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
