/// The firewall guide answered point by point: for each requirement, whether the capture shows
/// it holds (`pass`), shows it broken (`fail`: a finding breaks it) or cannot tell
/// (`not_observed`), with the frames that show it, an explanation and advice.
public struct RequirementResult: Sendable {
    public enum Status: String, Sendable {
        case pass
        case fail
        case notObserved = "not_observed"
    }

    public var requirement: Finding.Requirement
    public var status: Status
    /// Findings that break it.
    public var findings: Int
    public var frames: [UInt64]
    public var explanation: String
    public var advice: String
    /// On `session-timeout` only: the firewall's UDP idle timeout as far as the capture bounds it.
    public var udpTimeout: UDPTimeoutBracket? = nil
    /// On `session-timeout`, when the capture shows several gateways: one bracket each, named
    /// `inside/outside` by their interfaces (`udpTimeout` is then nil).
    public var udpTimeoutsByGateway: [(gateway: String, bracket: UDPTimeoutBracket)]? = nil
    /// On `peer-tcp-ports` and `external-applications`: every port advertised for them, and what
    /// became of it; and how many more were advertised than listed.
    public var ports: [PeerPortLedger.Entry]? = nil
    public var portsNotListed = 0
}

public enum RequirementCard {
    /// Frames a failed requirement shows at most.
    static let framesShown = 10

    /// One result per requirement, in the guide's order.
    public static func judge(findings: [Finding], evidence: RequirementEvidence, icq: ICQDiagnosis,
                             peerPorts: PeerPortLedger = PeerPortLedger(),
                             sideName: (Int) -> String = defaultSideName) -> [RequirementResult] {
        judge(findings: FindingTally(findings), evidence: evidence, icq: icq, peerPorts: peerPorts, sideName: sideName)
    }

    /// The same from the findings' tally, without the findings.
    /// `sideName`: an interface's name by its side number, for the gateways' names.
    public static func judge(findings tally: FindingTally, evidence: RequirementEvidence, icq: ICQDiagnosis,
                             peerPorts: PeerPortLedger = PeerPortLedger(),
                             sideName: (Int) -> String = defaultSideName) -> [RequirementResult] {
        Finding.Requirement.allCases.map { requirement in
            let broken = tally.broken[requirement]
            var result = broken.map { failed(requirement, $0) }
                ?? judgeHeld(requirement, evidence: evidence, icq: icq, peerPorts: peerPorts)
            switch requirement {
            case .sessionTimeout where icq.udpTimeouts.gateways.count >= 2:
                perGateway(&result, icq: icq, sideName: sideName)
            case .sessionTimeout:
                result.udpTimeout = icq.udpTimeout
                result.explanation += bracketSentence(icq.udpTimeout, icq: icq)
            case .peerTCPPorts:
                result.ports = peerPorts.entries.filter { $0.application == nil }
                result.portsNotListed = peerPorts.notListed
                if broken != nil { result.explanation += " " + portsSentence(shownOpen(evidence, peerPorts)) }
                result.explanation += firewallModeSentence(peerPorts)
            case .externalApplications:
                // The ports OSCAR rendezvous proposals named for voice, video and games.
                result.ports = peerPorts.entries.filter { $0.application != nil }
            default:
                break
            }
            return result
        }
    }

    /// Distinct ports above 1023 shown open: reached by a connection, or carrying peer PDUs.
    static func shownOpen(_ e: RequirementEvidence, _ ledger: PeerPortLedger) -> [UInt16] {
        Array(Set(e.peerPorts.keys).union(ledger.portsShownOpen.filter { $0 > 1023 })).sorted()
    }

    /// "2 of the 3 ports the guide asks for were shown open (3456, 5001)."
    static func portsSentence(_ ports: [UInt16]) -> String {
        guard !ports.isEmpty else { return "None of the 3 ports the guide asks for was shown open." }
        let listed = ports.prefix(10).map(String.init).joined(separator: ", ")
        return "\(min(ports.count, 3)) of the 3 ports the guide asks for were shown open (\(listed))."
    }

    static func failed(_ requirement: Finding.Requirement, _ breaking: FindingTally.Broken) -> RequirementResult {
        let kinds = breaking.kinds.sorted().joined(separator: ", ")
        let count = breaking.count == 1 ? "1 finding" : "\(breaking.count) findings"
        return RequirementResult(requirement: requirement, status: .fail, findings: breaking.count, frames: breaking.frames,
                                 explanation: "\(count) (\(kinds)) \(breaking.count == 1 ? "shows" : "show") this requirement broken.",
                                 advice: breaking.advice)
    }

    static func judgeHeld(_ requirement: Finding.Requirement, evidence e: RequirementEvidence,
                          icq: ICQDiagnosis, peerPorts: PeerPortLedger) -> RequirementResult {
        func pass(_ frames: [UInt64?], _ explanation: String) -> RequirementResult {
            RequirementResult(requirement: requirement, status: .pass, findings: 0, frames: frames.compactMap { $0 },
                              explanation: explanation, advice: "Nothing to change for this requirement.")
        }
        func unseen(_ explanation: String, _ advice: String) -> RequirementResult {
            RequirementResult(requirement: requirement, status: .notObserved, findings: 0, frames: [],
                              explanation: explanation, advice: advice)
        }
        switch requirement {
        case .udp4000Out:
            guard let client = e.firstClientPacket else {
                return unseen("No classic ICQ client sent anything to a server in this capture.",
                              "Capture while an ICQ client logs in to test this requirement.")
            }
            guard let server = e.firstServerPacket else {
                return unseen("Clients sent to the server, but the capture shows no answer and not enough retries to call the path blocked.",
                              "Capture longer, while a client logs in.")
            }
            return pass([client, server], "The server answered the clients' packets: UDP to port 4000 gets out.")
        case .udp4000Replies:
            guard let delivered = e.firstServerPacketDelivered else {
                return unseen("No server packet was seen on the clients' side.",
                              "Capture on the clients' side (inside the firewall) while a client is logged in.")
            }
            return pass([delivered], "The server's packets reached the clients' side.")
        case .sessionTimeout:
            guard let keepalive = icq.longestKeepalive else {
                return unseen("No session showed its keep-alive interval (no login reply and no keep-alives).",
                              "Capture a whole login and a few minutes of an idle session.")
            }
            let k = seconds(keepalive.interval)
            guard let crossed = icq.udpTimeout.moreThan, crossed.gap >= keepalive.interval else {
                let longest = icq.udpTimeout.moreThan.map { "the longest idle gap a session was shown to outlive was \(seconds($0.gap)) s" }
                    ?? "no server packet got through after an idle gap"
                return unseen("The clients send keep-alives every \(k) s (\(learnedFrom(keepalive.learnedFrom))); \(longest), so the capture does not show whether the firewall keeps idle sessions that long.",
                              "Capture an idle session for longer than \(k) s.")
            }
            return pass(crossed.frames.map { Optional($0) },
                        "A session outlived an idle gap of \(seconds(crossed.gap)) s, longer than the clients' keep-alive interval of \(k) s (\(learnedFrom(keepalive.learnedFrom))): the firewall keeps idle sessions long enough.")
        case .peerTCPPorts:
            let ports = shownOpen(e, peerPorts)
            guard !ports.isEmpty else {
                return unseen("No peer-to-peer ICQ connection was seen.",
                              "Capture while two clients exchange a message or a file directly.")
            }
            let frames = ports.prefix(10).map { port in
                e.peerPorts[port] ?? peerPorts.entries.first { $0.endpoint.port == port && $0.status == .reached }?.frames.last
            }
            return pass(frames,
                        "Peers reached each other on TCP port\(ports.count == 1 ? "" : "s") \(ports.prefix(10).map(String.init).joined(separator: ", ")): \(min(ports.count, 3)) of the 3 ports the guide asks for were shown open.")
        case .outgoingTCP:
            guard let frame = e.firstICQTCP else {
                return unseen("No TCP connection of the ICQ family (OSCAR or peer-to-peer) was seen.",
                              "Capture while a client connects to a peer or to an OSCAR server.")
            }
            return pass([frame], "TCP connections of the ICQ family got through.")
        case .proxy:
            let mapping = e.firstUDPMapping.map {
                "Classic ICQ reached its server at \($0.server) through a UDP mapping at \($0.mapping) (the guide's UDP mapping proxy)."
            }
            guard let frame = e.firstProxy else {
                if let m = e.firstUDPMapping, let mapping { return pass(m.frames.map { Optional($0) }, mapping) }
                return unseen("No client used a SOCKS proxy or a UDP mapping.",
                              "Nothing to check unless clients use a proxy.")
            }
            let frames = [frame] + (e.firstUDPMapping?.frames ?? [])
            return pass(frames.map { Optional($0) }, "Clients used a SOCKS proxy and no association was lost." + (mapping.map { " " + $0 } ?? ""))
        case .externalApplications:
            if let held = externalApplicationsHeld(peerPorts) { return held }
            return unseen("No external application (voice, video, games) was started with an online user.",
                          "Capture while a client starts one to test this requirement.")
        }
    }

    static func learnedFrom(_ source: String) -> String {
        ICQDiagnosis.keepaliveOrigin(source)
    }

    /// "this firewall forgets idle UDP sessions after between 12 s and 48.5 s", and where that
    /// contradicts the timeout the findings were judged against.
    static func bracketSentence(_ b: UDPTimeoutBracket, icq: ICQDiagnosis) -> String {
        let configured = icq.thresholds.firewallTimeout
        var sentence: String
        switch (b.moreThan, b.atMost) {
        case (nil, nil): return ""
        case (let low?, nil): sentence = " This firewall keeps idle UDP sessions for more than \(seconds(low.gap)) s."
        case (nil, let high?): sentence = " This firewall forgets idle UDP sessions after at most \(seconds(high.gap)) s."
        case (let low?, let high?):
            sentence = low.gap < high.gap
                ? " This firewall forgets idle UDP sessions after between \(seconds(low.gap)) s and \(seconds(high.gap)) s."
                : " The capture contradicts itself: a server packet got through after \(seconds(low.gap)) s idle, another was lost after \(seconds(high.gap)) s."
        }
        if let high = b.atMost, high.gap < configured {
            sentence += " Findings were judged against a timeout of \(seconds(configured)) s, but this firewall forgets idle sessions after at most \(seconds(high.gap)) s (give --firewall-timeout)."
        } else if let low = b.moreThan, low.gap >= configured {
            sentence += " Findings were judged against a timeout of \(seconds(configured)) s, but sessions outlived \(seconds(low.gap)) s idle (give --firewall-timeout)."
        }
        return sentence
    }
}
