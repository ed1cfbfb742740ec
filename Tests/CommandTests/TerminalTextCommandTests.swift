import Foundation
import Testing
import TestSupport

/// Text for terminals: colours only when stdout is a terminal and `NO_COLOR` is unset, never in
/// files or pipes; `--help` paragraphs wrapped by the parser alone; the description the manual
/// page is generated from (`swift package generate-manual` reads `--experimental-dump-help`).
struct TerminalTextCommandTests {
    static let escape = "\u{1B}["

    @Test func coloursOnATerminalOnly() throws {
        let icqscope = ProgressCommandTests.quoted(CommandRunner.executable.path)
        // The environment of a colour terminal, whatever the test runner's is.
        let terminal = try ProgressCommandTests.onTerminal("env -u NO_COLOR TERM=xterm \(icqscope) read samples/firewall-timeout.pcapng")
        #expect(terminal.status == 0)
        // The broken requirement's mark in red, the error's tag in red, the headings in bold.
        #expect(terminal.shown.contains("\(Self.escape)1;31m✘\(Self.escape)0m"))
        #expect(terminal.shown.contains("\(Self.escape)1;31m[ERROR]\(Self.escape)0m"))
        #expect(terminal.shown.contains("\(Self.escape)1mREQUIREMENTS OF THE FIREWALL GUIDE\(Self.escape)0m"))
        let noColour = try ProgressCommandTests.onTerminal("env NO_COLOR=1 TERM=xterm \(icqscope) read samples/firewall-timeout.pcapng")
        #expect(noColour.status == 0)
        #expect(!noColour.shown.contains(Self.escape))
        #expect(noColour.shown.contains("✘ session-timeout"))
        let piped = try CommandRunner.run(["read", "samples/firewall-timeout.pcapng"])
        #expect(!piped.stdout.contains(Self.escape))
        // Through a pipe on a terminal: still plain.
        let throughPipe = try ProgressCommandTests.onTerminal("env -u NO_COLOR TERM=xterm \(icqscope) read samples/firewall-timeout.pcapng | cat")
        #expect(!throughPipe.shown.contains(Self.escape))
    }

    /// Each paragraph of the overview fills its lines: no line breaks early because the source
    /// text had a line break of its own.
    @Test(arguments: [[String](), ["live"]])
    func helpParagraphsWrapCleanly(_ subcommand: [String]) throws {
        let r = try CommandRunner.run(subcommand + ["--help"])
        #expect(r.status == 0)
        let overview = r.stdout.components(separatedBy: "USAGE:")[0].split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in overview.enumerated() where i + 1 < overview.count && !overview[i + 1].isEmpty && !line.isEmpty {
            #expect(line.count >= 60, "a line broken early: \(line.debugDescription)")
        }
    }

    @Test func manualIsGeneratedFromTheFullDescription() throws {
        let r = try CommandRunner.run(["--experimental-dump-help"])
        #expect(r.status == 0)
        let dump = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let command = try #require(dump["command"] as? [String: Any])
        #expect(command["commandName"] as? String == "icqscope")
        let subcommands = (command["subcommands"] as? [[String: Any]]) ?? []
        let read = try #require(subcommands.first { $0["commandName"] as? String == "read" })
        let options = ((read["arguments"] as? [[String: Any]]) ?? []).compactMap { ($0["names"] as? [[String: Any]])?.first?["name"] as? String }
        for option in ["html", "write-evidence", "write-evidence-flows", "quiet"] {
            #expect(options.contains(option), "\(option)")
        }
    }
}
