import Foundation
import SampleKit

/// Writes the bundled sample captures into a folder (default: samples/). Deterministic: running it
/// again gives byte-identical files, so the committed samples can be checked against it.
///
///     icqscope-samples [FOLDER]              the bundled samples
///     icqscope-samples --scenarios FOLDER    every generated finding scenario, as <name>.pcapng
///     icqscope-samples --concurrent-tcp N FILE   N TCP connections open at once (memory per flow)
///     icqscope-samples --concurrent-icq N K FILE [--no-icq]
///                                            N classic ICQ sessions open at once, each with K
///                                            acked keep-alives (memory per session); --no-icq
///                                            writes the same UDP packets without ICQ (baseline)
///     icqscope-samples --gateway-mix USERS PACKETS FILE [--seed S]
///                                            a busy gateway's traffic for benchmarks (classic
///                                            pcap, streamed; never committed)
///     icqscope-samples --flood KIND FILE [--count N] [--seed S]
///                                            hostile traffic for the bounded-memory benchmarks
///                                            (scripts/bench-floods.sh): syn, peer-syn, icq-sessions,
///                                            fragments, tcp-out-of-order, oscar-stalled
let arguments = Array(CommandLine.arguments.dropFirst())
// An option this tool does not know (or a mistyped one) must not become the name of a folder
// the samples are written into.
if let first = arguments.first, first.hasPrefix("-"),
   !["--gateway-mix", "--flood", "--concurrent-tcp", "--concurrent-icq", "--scenarios"].contains(first) {
    let usage = """
        usage: icqscope-samples [FOLDER]
               icqscope-samples --scenarios FOLDER
               icqscope-samples --concurrent-tcp N FILE
               icqscope-samples --concurrent-icq N K FILE [--no-icq]
               icqscope-samples --gateway-mix USERS PACKETS FILE [--seed S]
               icqscope-samples --flood KIND FILE [--count N] [--seed S]

        """
    let isHelp = first == "-h" || first == "--help"
    if !isHelp { FileHandle.standardError.write(Data("icqscope-samples: unknown option \(first)\n".utf8)) }
    FileHandle.standardError.write(Data(usage.utf8))
    exit(isHelp ? 0 : 2)
}
if arguments.first == "--gateway-mix" {
    writeGatewayMix(Array(arguments.dropFirst()))
}
if arguments.first == "--flood" {
    writeFlood(Array(arguments.dropFirst()))
}
let samples: [(String, [UInt8])]
let folder: String
if arguments.first == "--concurrent-tcp", arguments.count == 3, let flows = Int(arguments[1]) {
    let path = arguments[2]
    folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
    samples = [((path as NSString).lastPathComponent, ConcurrentFlowsCapture.pcap(flows: flows))]
} else if arguments.first == "--concurrent-icq", arguments.count >= 4, let sessions = Int(arguments[1]),
          let keepalives = Int(arguments[2]) {
    let path = arguments[3]
    folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
    samples = [((path as NSString).lastPathComponent,
                ConcurrentICQCapture.pcap(sessions: sessions, keepalives: keepalives, icq: !arguments.contains("--no-icq")))]
} else if arguments.first == "--scenarios" {
    folder = arguments.count > 1 ? arguments[1] : "scenarios"
    samples = ICQScenarios.all.map { ($0.name + ".pcapng", $0.build().bytes) }
} else {
    folder = arguments.first ?? "samples"
    samples = [("gateway-basic.pcapng", GatewaySample.pcapng(seed: 1))]
        + ICQSamples.files.map { ($0.file, $0.build().bytes) }
        + StreamSamples.files.map { ($0.file, $0.build()) }
}
do {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for (name, bytes) in samples {
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        print("wrote \(path) (\(bytes.count) bytes)")
    }
} catch {
    FileHandle.standardError.write(Data("icqscope-samples: \(error)\n".utf8))
    exit(1)
}

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("icqscope-samples: \(message)\n".utf8))
    exit(status)
}

func writeGatewayMix(_ arguments: [String]) -> Never {
    let usage = "usage: icqscope-samples --gateway-mix USERS PACKETS FILE [--seed S]"
    var positional: [String] = []
    var seed: UInt64 = 1
    var i = 0
    while i < arguments.count {
        if arguments[i] == "--seed" {
            guard i + 1 < arguments.count, let value = UInt64(arguments[i + 1]) else { fail(usage, status: 64) }
            seed = value
            i += 2
        } else {
            positional.append(arguments[i])
            i += 1
        }
    }
    // Thousands separators are accepted: 1_000_000 or 1,000,000.
    func number(_ text: String) -> Int? {
        Int(text.replacingOccurrences(of: "_", with: "").replacingOccurrences(of: ",", with: ""))
    }
    guard positional.count == 3, let users = number(positional[0]), users > 0,
          let packets = number(positional[1]), packets >= 0 else { fail(usage, status: 64) }
    do {
        let counts = try GatewayMixFile.write(users: users, packets: packets, seed: seed, to: positional[2])
        let shares = GatewayMix.Category.allCases.map { "\($0) \(counts[$0])" }.joined(separator: ", ")
        let carried = GatewayMix.Carried.allCases.dropFirst().map { "\($0) \(counts[$0])" }.joined(separator: ", ")
        print("wrote \(positional[2]) (\(packets) packets, \(users) users, seed \(seed): \(shares); "
              + "frames carrying \(carried); \(counts.webConnections) web connections opened)")
        exit(0)
    } catch {
        fail("\(error)", status: 1)
    }
}

func writeFlood(_ arguments: [String]) -> Never {
    let kinds = Flood.allCases.map(\.rawValue).joined(separator: ", ")
    let usage = "usage: icqscope-samples --flood KIND FILE [--count N] [--seed S] (KIND: \(kinds))"
    var positional: [String] = []
    var count: Int? = nil
    var seed: UInt64 = 1
    var i = 0
    while i < arguments.count {
        switch arguments[i] {
        case "--count":
            guard i + 1 < arguments.count, let value = Int(arguments[i + 1].replacingOccurrences(of: "_", with: "")),
                  value > 0 else { fail(usage, status: 64) }
            count = value
            i += 2
        case "--seed":
            guard i + 1 < arguments.count, let value = UInt64(arguments[i + 1]) else { fail(usage, status: 64) }
            seed = value
            i += 2
        default:
            positional.append(arguments[i])
            i += 1
        }
    }
    guard positional.count == 2, let flood = Flood(rawValue: positional[0]) else { fail(usage, status: 64) }
    let n = count ?? flood.defaultCount
    do {
        let written = try FloodFile.write(flood, count: n, seed: seed, to: positional[1])
        // The last line is for scripts: the witness session's packet counts.
        print("wrote \(positional[1]) (\(flood.rawValue): \(n) \(flood.unit), \(written.packets) packets, seed \(seed))")
        print("witness uin 4242 client \(written.witnessClientPackets) server \(written.witnessServerPackets)")
        exit(0)
    } catch {
        fail("\(error)", status: 1)
    }
}
