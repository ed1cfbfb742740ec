/// The guide's external applications (voice, video, games started with an online user): the
/// OSCAR rendezvous proposals that start them name a port, and the connection to it is judged like
/// a peer port's (a blocked one breaks the requirement through its finding).
extension RequirementCard {
    static func externalApplicationsHeld(_ ledger: PeerPortLedger) -> RequirementResult? {
        let proposed = ledger.entries.filter { $0.application != nil }
        guard !proposed.isEmpty else { return nil }
        let names = Array(Set(proposed.compactMap(\.application))).sorted().joined(separator: ", ")
        let reached = proposed.filter { $0.status == .reached }
        guard reached.isEmpty else {
            return RequirementResult(
                requirement: .externalApplications, status: .pass, findings: 0,
                frames: reached.prefix(framesShown).flatMap { $0.frames.prefix(2) },
                explanation: "External applications were proposed (\(names)) and their connections got through (\(reached.map { "\($0.endpoint)" }.joined(separator: ", "))).",
                advice: "Nothing to change for this requirement.")
        }
        return RequirementResult(
            requirement: .externalApplications, status: .notObserved, findings: 0, frames: [],
            explanation: "External applications were proposed (\(names)), but no connection to the ports they named was seen.",
            advice: "Capture while both parties start the application (the guide: both must have it installed).")
    }
}
