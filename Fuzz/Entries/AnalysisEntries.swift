#if canImport(Glibc)
import Glibc
#endif
import Capture
import Engine

/// The whole analysis, as `icqscope read --packets --flows` runs it, on bytes read as a capture
/// file: every stage, every record written (to /dev/null), the summary at the end.
public enum AnalysisEntries {
    nonisolated(unsafe) static let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)

    /// The first byte picks NDJSON or text, the ports option and whether the HTML page is drawn
    /// too (to /dev/null: every finding, session and flow the input makes goes through the
    /// page's arithmetic); the rest is the file.
    /// `quiet` sends the analysis's remarks and error lines to /dev/null (the fuzzer's output, and
    /// the runtime's report of a trap, stay on stderr); the tests keep them.
    public static func analysis(_ bytes: UnsafeRawBufferPointer, quiet: Bool = false) -> FuzzTally {
        var input = FuzzInput(bytes)
        let selector = input.byte()
        let file = input.rest()
        var configuration = AnalysisConfiguration()
        configuration.format = selector & 1 == 0 ? .ndjson : .text
        configuration.packets = true
        configuration.flows = true
        if selector & 2 != 0 { configuration.icqServerPorts = [4000, 5190, 1080] }
        if selector & 4 != 0 { configuration.htmlPath = "/dev/null" }
        // The smallest budget: tables fill and evict after a few flows, as under a flood.
        configuration.memoryBudget = MemoryBudget(bytes: MemoryBudget.minimumBytes)
        configuration.outputDescriptor = devNull
        if quiet { configuration.diagnosticsDescriptor = devNull }
        let analyzer = Analyzer(configuration: configuration)
        var tally = FuzzTally()
        do {
            var source = try CaptureFileReader(input: MemoryFile.shared.input(file), name: "fuzz")
            analyzer.run(&source, format: source.formatName)
        } catch {
            analyzer.report(error)
            analyzer.noteUnreadable("fuzz")
            tally.malformed += 1
        }
        let status = analyzer.finish()
        precondition([0, 1, 2].contains(status), "the analysis ended with an exit status the contract does not have")
        tally.decoded = Int(analyzer.packetsAnalysed)
        tally.saw(kind: Int(status))
        return tally
    }
}
