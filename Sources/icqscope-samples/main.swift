import Foundation
import SampleKit

/// Writes the bundled sample captures into a folder (default: samples/). Deterministic: running it
/// again gives byte-identical files, so the committed samples can be checked against it.
///
///     icqscope-samples [FOLDER]              the bundled samples
///     icqscope-samples --scenarios FOLDER    every generated finding scenario, as <name>.pcapng
///     icqscope-samples --concurrent-tcp N FILE   N TCP connections open at once (memory per flow)
let arguments = Array(CommandLine.arguments.dropFirst())
let samples: [(String, [UInt8])]
let folder: String
if arguments.first == "--concurrent-tcp", arguments.count == 3, let flows = Int(arguments[1]) {
    let path = arguments[2]
    folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
    samples = [((path as NSString).lastPathComponent, ConcurrentFlowsCapture.pcap(flows: flows))]
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
