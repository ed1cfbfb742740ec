/// `session-timeout` on a capture of several gateways: each firewall has its own timeout, so each
/// gets its own bracket and sentence (`OUTPUT.md`: `udp_timeout` null, `udp_timeouts` listed).
extension RequirementCard {
    public static func defaultSideName(_ side: Int) -> String { "if\(side)" }

    static func perGateway(_ result: inout RequirementResult, icq: ICQDiagnosis, sideName: (Int) -> String) {
        result.udpTimeout = nil
        result.udpTimeoutsByGateway = icq.udpTimeouts.gateways.map {
            (gateway: "\(sideName($0.sides.inside))/\(sideName($0.sides.outside))", bracket: $0.bracket)
        }
        for (gateway, bracket) in result.udpTimeoutsByGateway ?? [] {
            let sentence = bracketSentence(bracket, icq: icq)
            result.explanation += sentence.isEmpty
                ? " Gateway \(gateway): the capture does not bound its UDP timeout."
                : " Gateway \(gateway):" + sentence
        }
    }
}
