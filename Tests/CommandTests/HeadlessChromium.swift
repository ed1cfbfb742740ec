import Foundation

/// A real browser for the HTML page's tests: Debian's `chromium`, headless. `scripts/test.sh`
/// installs it (`scripts/ensure-deps.sh chromium`); elsewhere its tests are skipped with the
/// reason, and in CI they run anyway (and fail) when it is missing.
enum HeadlessChromium {
    static var executable: String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") + ["/usr/bin"] {
            for name in ["chromium", "chromium-browser"] {
                let path = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        return nil
    }

    static var shouldRun: Bool { executable != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    /// The page's DOM after its script ran (`--dump-dom`).
    static func dumpDOM(_ page: URL) throws -> String {
        try run(["--virtual-time-budget=2000", "--dump-dom", page.absoluteString])
    }

    /// A PNG of the page at `width` × `height` CSS pixels (`--screenshot`).
    static func screenshot(_ page: URL, to png: URL, width: Int = 1280, height: Int = 2000) throws {
        _ = try run(["--hide-scrollbars", "--window-size=\(width),\(height)", "--virtual-time-budget=2000",
                     "--screenshot=\(png.path)", page.absoluteString])
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One headless run with its own profile folder (runs at once must not share one).
    private static func run(_ arguments: [String]) throws -> String {
        guard let executable else {
            throw Failure(description: "chromium is not installed (scripts/ensure-deps.sh chromium installs it)")
        }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("icqscope-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                             "--user-data-dir=\(profile.path)"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "chromium \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The elements of a dumped DOM that carry a given data attribute, each as its attributes.
enum DOMAttributes {
    static func elements(with attribute: String, in dom: String) -> [[String: String]] {
        let tag = try! NSRegularExpression(pattern: "<[a-zA-Z][a-zA-Z0-9]*\\s[^>]*\\b\(attribute)=\"[^>]*>")
        let pair = try! NSRegularExpression(pattern: "([a-zA-Z-]+)=\"([^\"]*)\"")
        let text = dom as NSString
        return tag.matches(in: dom, range: NSRange(location: 0, length: text.length)).map { match in
            let element = text.substring(with: match.range) as NSString
            var attributes: [String: String] = [:]
            for p in pair.matches(in: element as String, range: NSRange(location: 0, length: element.length)) {
                attributes[element.substring(with: p.range(at: 1))] = element.substring(with: p.range(at: 2))
            }
            return attributes
        }
    }
}
