// swift-tools-version: 6.1
// libFuzzer harnesses, one executable per decoder, each only an `LLVMFuzzerTestOneInput` that
// calls its entry point in FuzzEntries (Fuzz/Entries, a target of the main package, which the
// replay tests use too). A package of its own so that the fuzzer's `main` does not clash with
// the command's and only these builds are instrumented. Built by scripts/fuzz.sh:
//   swift build -c release --package-path Fuzz --sanitize=fuzzer --sanitize=address \
//       -Xswiftc -parse-as-library
import PackageDescription

let package = Package(
    name: "icqscope-fuzz",
    dependencies: [.package(name: "icqscope", path: "..")],
    targets: [
        .executableTarget(name: "FuzzPcap", dependencies: [.product(name: "FuzzEntries", package: "icqscope")]),
        .executableTarget(name: "FuzzPcapng", dependencies: [.product(name: "FuzzEntries", package: "icqscope")]),
        .executableTarget(name: "FuzzPacket", dependencies: [.product(name: "FuzzEntries", package: "icqscope")]),
        .executableTarget(name: "FuzzICQ", dependencies: [.product(name: "FuzzEntries", package: "icqscope")]),
        .executableTarget(name: "FuzzICQCipher", dependencies: [.product(name: "FuzzEntries", package: "icqscope")]),
        .executableTarget(name: "FuzzPeer", dependencies: [.product(name: "FuzzEntries", package: "icqscope")]),
        .executableTarget(name: "FuzzOSCARFraming", dependencies: [.product(name: "FuzzEntries", package: "icqscope")]),
        .executableTarget(name: "FuzzOSCARPDU", dependencies: [.product(name: "FuzzEntries", package: "icqscope")]),
        .executableTarget(name: "FuzzSOCKS", dependencies: [.product(name: "FuzzEntries", package: "icqscope")]),
        .executableTarget(name: "FuzzStream", dependencies: [.product(name: "FuzzEntries", package: "icqscope")]),
        .executableTarget(name: "FuzzAnalysis", dependencies: [.product(name: "FuzzEntries", package: "icqscope")]),
    ],
    swiftLanguageModes: [.v6]
)
