/// The guide's "I am behind a firewall or proxy" setting against what the capture shows: a
/// client that announced firewall (or indirect) mode tells its peers not to connect to it
/// directly, so peers that still try its port are worth a note: where the firewall blocks the
/// port, each attempt only costs time before the peers fall back to the server; where the port
/// was reached, the client could announce direct connections.
extension RequirementCard {
    /// Notes shown at most (the rest are counted).
    static let firewallModeNotes = 3

    static func firewallModeSentence(_ ledger: PeerPortLedger) -> String {
        let tried = ledger.entries.filter {
            ($0.connectionMode == 0x01 || $0.connectionMode == 0x02) && $0.status != .untried
        }
        guard !tried.isEmpty else { return "" }
        var sentence = ""
        for e in tried.prefix(firewallModeNotes) {
            let who = e.uin.map { "UIN \($0)" } ?? "A client"
            let mode = e.connectionMode == 0x01 ? "firewall mode (1)" : "indirect mode (2)"
            let attempts = e.frames.dropFirst().map(String.init).joined(separator: ", ")
            sentence += " \(who) announced \(mode) for \(e.endpoint) at frame \(e.frames[0]), yet peers still tried that port (frames \(attempts)): "
            sentence += e.status == .blocked
                ? "the firewall blocked them, as the setting expects, and each attempt costs time before the peers fall back to the server."
                : "it was reached, so the client could announce direct connections."
        }
        if tried.count > firewallModeNotes {
            sentence += " \(tried.count - firewallModeNotes) more ports announced in firewall or indirect mode were tried."
        }
        return sentence
    }
}
