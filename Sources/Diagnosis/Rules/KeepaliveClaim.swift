extension ICQDiagnosis {
    /// The keep-alive interval a finding may claim, and its `keepalive_source`: `option` when
    /// `--keepalive` gives it, else the session's (`observed`, preferred, or `login_reply`).
    static func keepaliveClaim(_ session: (value: Int64, learnedFrom: String)?, option: Int64?)
        -> (value: Int64, source: String)? {
        if let option { return (option, "option") }
        return session.map { ($0.value, $0.learnedFrom) }
    }

    /// Where a claimed interval comes from, in the words of an explanation.
    static func keepaliveOrigin(_ source: String) -> String {
        switch source {
        case "option": "as configured with --keepalive"
        case "observed": "as observed"
        case "login_reply": "as the server's login reply dictates; no keep-alives were observed to confirm it"
        default: source
        }
    }
}
