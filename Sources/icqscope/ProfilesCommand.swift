import ArgumentParser
import Diagnosis

struct ProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "List the named firewall profiles for --profile, with their UDP idle timeouts."
    )

    func run() {
        let width = FirewallProfile.all.map(\.name.count).max() ?? 0
        for p in FirewallProfile.all {
            let name = p.name + String(repeating: " ", count: width - p.name.count)
            let seconds = String(p.udpTimeoutSeconds)
            print("\(name)  \(String(repeating: " ", count: max(0, 4 - seconds.count)))\(seconds) s  \(p.device) [\(p.source)]")
        }
    }
}
