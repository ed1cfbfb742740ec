import Foundation

/// Paths the tests need, found from this file's location so `swift test` works from anywhere.
public enum TestPaths {
    /// The package root (two levels above Tests/TestSupport).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    public static let fixtures = root.appendingPathComponent("Tests/Fixtures")
    /// Captures written by other software (origin and licence of each in its README).
    public static let captures = fixtures.appendingPathComponent("captures")

    /// Every well-formed capture file under Tests/Fixtures/captures (pcap and pcapng, whatever the
    /// extension says): the ones tshark's view is recorded for.
    public static func wellFormedCaptures() -> [URL] {
        allCaptures().filter { !isDamaged($0) }
    }

    /// The deliberately damaged captures (Tests/Fixtures/captures/damaged): robustness, not fidelity.
    public static func damagedCaptures() -> [URL] {
        allCaptures().filter(isDamaged)
    }

    /// Both kinds together.
    public static func allCaptures() -> [URL] {
        guard let walker = FileManager.default.enumerator(at: captures, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }
            .filter { ["pcap", "pcapng"].contains($0.pathExtension) }
            .sorted { $0.path < $1.path }
    }

    static func isDamaged(_ capture: URL) -> Bool {
        capture.deletingLastPathComponent().lastPathComponent == "damaged"
    }

    /// The fixture name of a capture: its file name without extension.
    public static func fixtureName(_ capture: URL) -> String {
        capture.deletingPathExtension().lastPathComponent
    }

    /// Rows of a tab-separated fixture, each split into its columns (empty columns kept).
    public static func tsv(_ url: URL) throws -> [[String]] {
        try String(contentsOf: url, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    public static func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("icqscope-test-\(getpid())-\(name)")
    }
}
