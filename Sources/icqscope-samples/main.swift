import Foundation
import SampleKit

/// Writes the bundled sample captures into a folder (default: samples/). Deterministic: running it
/// again gives byte-identical files, so the committed samples can be checked against it.
let arguments = CommandLine.arguments.dropFirst()
let folder = arguments.first ?? "samples"
let samples: [(String, [UInt8])] = [
    ("gateway-basic.pcapng", GatewaySample.pcapng(seed: 1)),
] + ICQSamples.files.map { ($0.file, $0.build().bytes) }
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
