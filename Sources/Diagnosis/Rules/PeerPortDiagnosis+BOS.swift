import Bytes
import Tracking

/// The BOS server an OSCAR login redirected its client to (17,03 or the channel-4 reply, TLV 5):
/// the login itself went through (the redirect came back on that connection), so a block of
/// the next connection is a firewall that lets TCP out to the login server but not to the BOS
/// server: the guide's outgoing TCP, "for all IPs or for fixed IPs", with a list too short.
extension PeerPortDiagnosis {
    func reportBOS(_ attempt: ConnectionAttempt, detail: Finding.Detail, time: Int64, final: Bool, proof: String) {
        // A reset from the BOS host itself: the firewall let the connection through; the server
        // is down, which no firewall setting changes.
        guard detail != .rstFromPeer else { return }
        let key = attempt.key
        // (A SYN the client's stack resends after the final verdict belongs to the same attempt:
        // ConnectionAttempts knows the connection by its ISN, so it is said once.)
        let who = attempt.advertised.uin.map { "UIN \($0)" } ?? "the client"
        var explanation = "The client at \(key.client) could not reach the BOS server at \(key.peer), where the login server "
            + "redirected \(who) at frame \(attempt.advertised.frame): \(proof)."
        if attempt.notForwarded { explanation += " The SYN reached the gateway and never left it." }
        explanation += " The login itself went through (the redirect came back on it): TCP is let out to the login server but not to the BOS server."
        emit(Finding(kind: .outgoingTCPBlocked, severity: final ? .error : .warning, level: final ? .final : .provisional,
                     detail: detail, firstTime: attempt.firstTime, lastTime: time, frames: attempt.frames,
                     client: key.client, server: key.peer, uin: attempt.advertised.uin, requirement: .outgoingTCP,
                     explanation: explanation,
                     advice: "Allow outgoing TCP from the ICQ clients to the BOS servers the login server sends them to (here \(key.peer.address) port \(key.peer.port)), not only to the login server (the guide: enable outgoing TCP connections, to all addresses or to the fixed addresses ICQ needs)."))
    }
}
