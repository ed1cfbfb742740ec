import Foundation
import Testing
import TestSupport

/// `--html FILE` rendered in a real headless Chromium: the page holds every finding and every
/// requirement of the same run's NDJSON (by kind or id, status and frames), on every sample and on
/// a lab recording of every scenario; the timed-out-session pages mark the timeout line and the
/// dropped push; a screenshot is not blank; the page is the same for the same input.
@Suite(.enabled(if: HeadlessChromium.shouldRun, "chromium is not installed (scripts/ensure-deps.sh chromium)"))
struct HTMLReportCommandTests {
    static let samples = RequirementCardCommandTests.samples
    static let labScenarios = RequirementCardCommandTests.labScenarios

    /// The lab recording's scaled thresholds (`scenario.env`).
    static func labThresholds(_ scenario: String) throws -> [String] {
        let env = try String(contentsOf: RequirementCardCommandTests.labFolder.appendingPathComponent("\(scenario)/scenario.env"), encoding: .utf8)
        let line = env.split(separator: "\n").first { $0.hasPrefix("ICQSCOPE_THRESHOLDS=") } ?? ""
        return line.dropFirst("ICQSCOPE_THRESHOLDS=".count).split(separator: " ").map(String.init)
    }

    /// Runs `read --format ndjson --html PAGE` and returns the NDJSON records and the page's DOM.
    static func render(_ arguments: [String], name: String) throws -> (records: [[String: Any]], dom: String, page: URL) {
        let page = TestPaths.temporaryFile("\(name).html")
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--html", page.path] + arguments)
        #expect(r.status == 0, "\(r.stderr)")
        return (r.records, try HeadlessChromium.dumpDOM(page), page)
    }

    /// Every finding and requirement of the NDJSON is an element of the page, and nothing else is.
    static func expectSameFindingsAndRequirements(_ records: [[String: Any]], _ dom: String) {
        func frames(_ value: Any?) -> String { ((value as? [Int]) ?? []).map(String.init).joined(separator: " ") }
        let findings = records.filter { $0["type"] as? String == "finding" }
            .map { "\($0["kind"] as? String ?? "") [\(frames($0["frames"]))]" }.sorted()
        let shownFindings = DOMAttributes.elements(with: "data-finding", in: dom)
            .map { "\($0["data-finding"] ?? "") [\($0["data-frames"] ?? "")]" }.sorted()
        #expect(shownFindings == findings)
        let requirements = records.filter { $0["type"] as? String == "requirement" }
            .map { "\($0["id"] as? String ?? "") \($0["status"] as? String ?? "") [\(frames($0["frames"]))]" }
        let shownRequirements = DOMAttributes.elements(with: "data-requirement", in: dom)
            .map { "\($0["data-requirement"] ?? "") \($0["data-status"] ?? "") [\($0["data-frames"] ?? "")]" }
        #expect(requirements.count == 7)
        #expect(shownRequirements == requirements)
    }

    @Test(arguments: Self.samples)
    func samplePageHasEveryFindingAndRequirement(_ sample: String) throws {
        let (records, dom, page) = try Self.render(["samples/\(sample).pcapng"], name: sample)
        defer { try? FileManager.default.removeItem(at: page) }
        // The script ran (the tables became sortable) and the page is whole.
        #expect(dom.contains("</footer>"))
        Self.expectSameFindingsAndRequirements(records, dom)
    }

    @Test(arguments: Self.labScenarios)
    func labRecordingPageHasEveryFindingAndRequirement(_ scenario: String) throws {
        let (records, dom, page) = try Self.render(
            Self.labThresholds(scenario) + ["samples/lab/\(scenario)/gateway.pcapng"], name: "lab-\(scenario)")
        defer { try? FileManager.default.removeItem(at: page) }
        Self.expectSameFindingsAndRequirements(records, dom)
    }

    /// The firewall forgot the session: the page draws the timeout line each idle gap crosses or
    /// not, and marks the server's push that arrived outside and never left inside.
    @Test(arguments: [("samples/firewall-timeout.pcapng", [String]()),
                      ("samples/lab/timed-out-session/gateway.pcapng", try! Self.labThresholds("timed-out-session"))])
    func timedOutSessionPageMarksTheTimeoutAndTheDroppedPush(_ capture: String, _ thresholds: [String]) throws {
        let (records, dom, page) = try Self.render(thresholds + [capture], name: "timeout-\(capture.count)")
        defer { try? FileManager.default.removeItem(at: page) }
        let timeout = try #require(records.first { $0["kind"] as? String == "firewall_session_timeout" })
        let push = try #require((timeout["frames"] as? [Int])?.first)
        let lines = DOMAttributes.elements(with: "data-timeout", in: dom)
        #expect(!lines.isEmpty)
        let expected = thresholds.firstIndex(of: "--firewall-timeout").map { thresholds[$0 + 1] } ?? "120"
        #expect(lines.allSatisfy { $0["data-timeout"] == expected })
        let dropped = Set(DOMAttributes.elements(with: "data-dropped", in: dom).compactMap { $0["data-dropped"] })
        #expect(dropped.contains(String(push)))
        // Some idle gap crosses the line (the one before the push), and the capture's own bracket
        // of the real timeout is drawn.
        #expect(DOMAttributes.elements(with: "data-gap", in: dom).contains { $0["data-crosses-timeout"] == "true" })
        #expect(!DOMAttributes.elements(with: "data-timeout-bracket", in: dom).isEmpty)
    }

    @Test func screenshotIsNotBlankAndThePageIsDeterministic() throws {
        let first = TestPaths.temporaryFile("shot-1.html"), second = TestPaths.temporaryFile("shot-2.html")
        let png = TestPaths.temporaryFile("shot.png")
        defer { for f in [first, second, png] { try? FileManager.default.removeItem(at: f) } }
        for page in [first, second] {
            let r = try CommandRunner.run(["read", "--html", page.path, "samples/firewall-timeout.pcapng"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let bytes = try Data(contentsOf: first)
        #expect(bytes == (try Data(contentsOf: second)))
        // Self-contained: nothing is fetched from anywhere.
        let text = String(decoding: bytes, as: UTF8.self)
        for reference in ["http://", "https://", "src=", "@import", "url(http"] {
            #expect(!text.contains(reference), "\(reference)")
        }
        try HeadlessChromium.screenshot(first, to: png, width: 1000, height: 900)
        let image = try Data(contentsOf: png)
        #expect(image.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let colours = try PNGColours.distinct(png)
        #expect(colours >= 64, "only \(colours) distinct colours: the page looks blank")
    }
}

/// `--html` and `--write-evidence` without a browser: a page that cannot be written; damaged
/// input (timestamps that would overflow, truncated records) never traps either.
struct HTMLOutputFailureCommandTests {
    @Test(arguments: TestPaths.damagedCaptures())
    func damagedCapturesGiveAPageAndEvidence(_ capture: URL) throws {
        let page = TestPaths.temporaryFile("damaged-\(capture.lastPathComponent).html")
        let evidence = TestPaths.temporaryFile("damaged-\(capture.lastPathComponent).pcapng")
        defer { for f in [page, evidence] { try? FileManager.default.removeItem(at: f) } }
        let r = try CommandRunner.run(["read", "--html", page.path, "--write-evidence", evidence.path, "--write-evidence-flows", capture.path])
        #expect([0, 2].contains(r.status), "\(r.stderr)")
        #expect(try String(contentsOf: page, encoding: .utf8).hasSuffix("</html>\n"))
    }

    /// An HTML file that cannot be written: one error naming it, the analysis and its output
    /// complete, exit status 74.
    @Test func unwritablePageIsStatus74() throws {
        let r = try CommandRunner.run(["read", "--format", "ndjson", "--html", "/nonexistent-folder/page.html",
                                       "samples/firewall-timeout.pcapng"])
        #expect(r.status == 74)
        #expect(r.stderr.contains("/nonexistent-folder/page.html"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.records(ofType: "summary").count == 1)
        #expect(r.records(ofType: "finding").count == 2)
    }
}

/// Counts a PNG's distinct colours with Python's zlib (the test has no PNG decoder of its own).
enum PNGColours {
    static let script = """
        import sys, zlib, struct
        data = open(sys.argv[1], 'rb').read()
        pos, idat = 8, b''
        while pos < len(data):
            n, = struct.unpack('>I', data[pos:pos+4]); kind = data[pos+4:pos+8]; body = data[pos+8:pos+8+n]; pos += 12 + n
            if kind == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
            elif kind == b'IDAT': idat += body
        bpp = {2: 3, 6: 4}[ctype]; raw = zlib.decompress(idat); stride = w * bpp; prev = bytearray(stride); seen = set(); i = 0
        for y in range(h):
            f = raw[i]; line = bytearray(raw[i+1:i+1+stride]); i += 1 + stride
            for x in range(stride):
                a = line[x-bpp] if x >= bpp else 0; b = prev[x]; c = prev[x-bpp] if x >= bpp else 0
                if f == 1: line[x] = (line[x] + a) & 255
                elif f == 2: line[x] = (line[x] + b) & 255
                elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 255
            if y % 4 == 0: seen.update(bytes(line[k:k+3]) for k in range(0, stride, bpp * 2))
            prev = line
        print(len(seen))
        """

    static func distinct(_ png: URL) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, png.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
}
