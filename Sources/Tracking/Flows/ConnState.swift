/// Zeek's `conn_state` (scripts/base/protocols/conn/main.zeek; docs/flow-semantics.md#conn-state).
public enum ConnState: String, Sendable, CaseIterable {
    /// Connection attempt seen, no reply (also UDP with no reply).
    case S0
    /// Established, not terminated.
    case S1
    /// Normal establishment and termination (also UDP with both directions).
    case SF
    /// Connection attempt rejected (RST answering a SYN).
    case REJ
    /// Established, originator tried to close, no reply from the responder.
    case S2
    /// Established, responder tried to close, no reply from the originator.
    case S3
    /// Established, originator aborted with a RST.
    case RSTO
    /// Responder sent a RST.
    case RSTR
    /// Originator sent a SYN then a RST; no SYN-ACK seen.
    case RSTOS0
    /// Responder sent a SYN-ACK then a RST; no SYN seen from the originator.
    case RSTRH
    /// Originator sent a SYN then a FIN; no SYN-ACK seen.
    case SH
    /// Responder sent a SYN-ACK then a FIN; no SYN seen.
    case SHR
    /// No SYN seen, midstream traffic; and every ICMP or other-protocol flow.
    case OTH

    /// Zeek's `conn_state()` for TCP.
    static func tcp(_ conversation: TCPConversation, history: FlowHistory) -> ConnState {
        let o = conversation.originator, r = conversation.responder
        let os = o.state, rs = r.state
        if rs == .reset {
            if os == .synSent || os == .synAckSent || (os == .reset && o.payloadBytes == 0 && r.payloadBytes == 0) {
                return .REJ
            }
            return o.isInactiveOrPartial ? .RSTRH : .RSTR
        }
        if os == .reset {
            if r.isInactiveOrPartial { return matchesRSTOS0(history.string) ? .RSTOS0 : .OTH }
            return .RSTO
        }
        if rs == .closed && os == .closed { return .SF }
        if os == .closed { return r.isInactiveOrPartial ? .SH : .S2 }
        if rs == .closed { return o.isInactiveOrPartial ? .SHR : .S3 }
        if os == .synSent && rs == .inactive { return .S0 }
        if os == .established && rs == .established { return .S1 }
        return .OTH
    }

    /// Zeek's UDP rule: both directions SF, originator only S0, responder only SHR.
    static func udp(originatorActive: Bool, responderActive: Bool) -> ConnState {
        switch (originatorActive, responderActive) {
        case (true, true): .SF
        case (true, false): .S0
        case (false, true): .SHR
        case (false, false): .OTH
        }
    }

    /// Zeek's pattern `/\^?S[^HAFGIQ]*R.*/`, matched against the whole history.
    static func matchesRSTOS0(_ history: String) -> Bool {
        var letters = Substring(history)
        if letters.first == "^" { letters = letters.dropFirst() }
        guard letters.first == "S" else { return false }
        for letter in letters.dropFirst() {
            if letter == "R" { return true }
            if "HAFGIQ".contains(letter) { return false }
        }
        return false
    }
}

/// Why a flow record was written.
public enum FlowEndReason: String, Sendable {
    case idleTimeout = "idle_timeout"
    case eviction
    case endOfCapture = "end_of_capture"
}
