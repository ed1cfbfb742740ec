import Bytes

/// A finding the script's author states, with its evidence given by frame names (resolved to
/// numbers when the capture is rendered).
struct PendingFinding {
    var finding: ExpectedFinding
    var evidence: [String]
}

extension ICQSessionScript {
    /// States a finding a correct analyzer must report. `client` defaults to the client as this
    /// capture sees it (inside on a two-sided capture), `server` to the ICQ server (or relay).
    /// `evidence` names frames (`name`, `name@outside`, ...); the finding's frames are all frames of
    /// those names, in frame order.
    public mutating func expect(_ kind: String, severity: String, level: String? = nil, detail: String? = nil,
                                client: Endpoint? = nil, server: Endpoint?? = nil, peer: Endpoint? = nil,
                                evidence: [String]) {
        let finding = ExpectedFinding(kind: kind, severity: severity, level: level, detail: detail,
                                      client: client ?? clientAsSeen, server: server ?? serverEndpoint, peer: peer,
                                      uin: setup.uin, frames: [])
        expected.append(PendingFinding(finding: finding, evidence: evidence))
    }

    /// States finding kinds that must not fire (the near miss's own kind, or a rule whose
    /// premise the capture only resembles).
    public mutating func expectAbsent(_ kinds: String...) {
        absentKinds += kinds
    }

    /// Sorts, numbers and writes the frames. Evidence names must exist.
    public func capture(name: String) -> ScenarioCapture {
        let rendered = timeline.render()
        let findings = expected.map { pending -> ExpectedFinding in
            var finding = pending.finding
            var frames: [UInt64] = []
            for evidence in pending.evidence {
                guard let numbers = rendered.marks[evidence] else {
                    preconditionFailure("scenario \(name): no frame named \(evidence)")
                }
                frames += numbers
            }
            finding.frames = Array(Set(frames)).sorted()
            return finding
        }
        return ScenarioCapture(
            name: name, bytes: rendered.bytes, marks: rendered.marks, times: rendered.times,
            interfaces: rendered.interfaces, client: clientAsSeenAtStart,
            clientOutside: setup.natIP == nil ? nil : Endpoint(address: IPAddress(ipv4: setup.natIP!), port: setup.natPort),
            server: serverEndpoint, uin: setup.uin, sessionID: setup.sessionID, expected: findings,
            absent: absentKinds)
    }

    /// The client's endpoint before any NAT rebinding, as the capture names it.
    var clientAsSeenAtStart: Endpoint {
        setup.vantage == .outside
            ? Endpoint(address: IPAddress(ipv4: publicClientIP), port: setup.natIP == nil ? setup.clientPort : setup.natPort)
            : Endpoint(address: IPAddress(ipv4: setup.clientIP), port: setup.clientPort)
    }
}
