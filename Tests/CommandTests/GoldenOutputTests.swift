import Foundation
import SampleKit
import Testing
import TestSupport

/// icqscope's whole stdout (`read --packets --flows`, NDJSON and text) on every bundled sample,
/// lab recording, generated scenario and capture of other software equals the committed golden output
/// (`Tests/Fixtures/golden/`, written by `scripts/golden.sh`). A change of speed or structure must
/// not change a byte; a change of output on purpose regenerates the goldens in the same commit.
@Suite
struct GoldenOutputTests {
    struct Input: CustomTestStringConvertible, Sendable {
        var group: String
        var name: String
        /// The working directory and the path given to `read` from it (as scripts/golden.sh does).
        var directory: URL
        var path: String
        var testDescription: String { "\(group)/\(name)" }
    }

    static let golden = TestPaths.fixtures.appendingPathComponent("golden")

    /// The goldens of the captures of other software were recorded when those lived in
    /// `../shared/captures` beside the project, and the summary names its input by the path it was
    /// given. To read them by that same path, the runs read from `work/` in a folder whose
    /// `shared/captures` is a link to Tests/Fixtures/captures (as scripts/golden.sh does). The folder
    /// is under `.build` (ignored by git) and made once: test processes running at once share it.
    static let sharedStage: URL = {
        let stage = TestPaths.root.appendingPathComponent(".build/golden-stage")
        let work = stage.appendingPathComponent("work"), shared = stage.appendingPathComponent("shared")
        let link = shared.appendingPathComponent("captures")
        let fm = FileManager.default
        try! fm.createDirectory(at: work, withIntermediateDirectories: true)
        try! fm.createDirectory(at: shared, withIntermediateDirectories: true)
        if (try? fm.destinationOfSymbolicLink(atPath: link.path)) != TestPaths.captures.path {
            try? fm.removeItem(at: link)
            // Another process may make the same link at the same moment: then it is there.
            try? fm.createSymbolicLink(at: link, withDestinationURL: TestPaths.captures)
        }
        return work
    }()

    static var fileInputs: [Input] {
        let root = TestPaths.root
        var inputs: [Input] = []
        let fm = FileManager.default
        let samples = (try? fm.contentsOfDirectory(atPath: root.appendingPathComponent("samples").path)) ?? []
        for file in samples.sorted() where file.hasSuffix(".pcapng") {
            inputs.append(Input(group: "samples", name: String(file.dropLast(7)), directory: root, path: "samples/\(file)"))
        }
        let lab = (try? fm.contentsOfDirectory(atPath: root.appendingPathComponent("samples/lab").path)) ?? []
        for scenario in lab.sorted() {
            inputs.append(Input(group: "lab", name: scenario, directory: root, path: "samples/lab/\(scenario)/gateway.pcapng"))
        }
        for capture in TestPaths.allCaptures() {
            let relative = String(capture.path.dropFirst(TestPaths.captures.path.count + 1))
            let name = (relative as NSString).deletingPathExtension.replacingOccurrences(of: "/", with: "__")
            inputs.append(Input(group: "shared", name: name, directory: sharedStage, path: "../shared/captures/\(relative)"))
        }
        return inputs
    }

    static func compare(_ input: Input) throws {
        for (format, ext) in [("ndjson", "ndjson"), ("text", "txt")] {
            let expectedURL = golden.appendingPathComponent("\(input.group)/\(input.name).\(ext)")
            let expected = try String(contentsOf: expectedURL, encoding: .utf8)
            let r = try CommandRunner.run(["read", "--format", format, "--packets", "--flows", input.path],
                                          directory: input.directory)
            if r.stdout != expected {
                let got = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
                let common = min(got.count, want.count)
                let line = (0..<common).first { got[$0] != want[$0] } ?? common
                Issue.record("""
                    \(input.group)/\(input.name) (\(format)): stdout differs from the golden output at line \(line + 1) \
                    (\(got.count) lines, golden \(want.count))
                    got:    \(line < got.count ? String(got[line].prefix(400)) : "<end>")
                    golden: \(line < want.count ? String(want[line].prefix(400)) : "<end>")
                    """)
            }
        }
    }

    @Test(arguments: Self.fileInputs)
    func fileOutputEqualsGolden(_ input: Input) throws {
        try Self.compare(input)
    }

    @Test func everySharedCaptureHasAGolden() throws {
        let names = Set(Self.fileInputs.filter { $0.group == "shared" }.map(\.name))
        let goldens = Set(try FileManager.default.contentsOfDirectory(atPath: Self.golden.appendingPathComponent("shared").path)
            .filter { $0.hasSuffix(".ndjson") }.map { String($0.dropLast(7)) })
        #expect(names == goldens, "captures without a golden: \(names.subtracting(goldens).sorted()); goldens without a capture: \(goldens.subtracting(names).sorted())")
    }

    @Test(arguments: ICQScenarios.all.map(\.name))
    func scenarioOutputEqualsGolden(_ name: String) throws {
        let scenario = ICQScenarios.all.first { $0.name == name }!.build()
        let directory = TestPaths.temporaryFile("golden-\(name)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(scenario.bytes).write(to: directory.appendingPathComponent("\(name).pcapng"))
        try Self.compare(Input(group: "scenarios", name: name, directory: directory, path: "\(name).pcapng"))
    }
}
