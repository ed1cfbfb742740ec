import Bytes

/// The guide: "If you have a Socks4 server, you will still need to configure it via Connection,
/// but you will also need to allow packets to go out to an ICQ server" — SOCKS4 carries TCP
/// only, so a client behind one still needs direct UDP to the server. A client seen asking a
/// SOCKS4 proxy for a connection whose direct UDP to the server is blocked (`server_path_blocked`)
/// gets `socks4_udp_blocked`, breaking `proxy`; either may be seen first. Once per client address;
/// what it remembers is bounded.
public final class SOCKS4UDPRule {
    private let emit: (Finding) -> Void
    /// The first SOCKS4 request of each client address.
    private var socks4Requests: [IPAddress: UInt64] = [:]
    /// The `server_path_blocked` finding of each client address not yet matched.
    private var blockedPaths: [IPAddress: Finding] = [:]
    private var reported: Set<IPAddress> = []
    static let maximumClients = 4096

    public init(emit: @escaping (Finding) -> Void) {
        self.emit = emit
    }

    /// A SOCKS4 (or 4a) request from `client` to a proxy.
    public func socks4Request(client: IPAddress, frame: UInt64) {
        guard socks4Requests[client] == nil, !reported.contains(client),
              socks4Requests.count < Self.maximumClients else { return }
        socks4Requests[client] = frame
        if let blocked = blockedPaths.removeValue(forKey: client) { report(blocked, request: frame) }
    }

    /// Every finding: the blocked paths to the server are matched with SOCKS4 use.
    public func observe(_ finding: Finding) {
        guard finding.kind == .serverPathBlocked, let client = finding.client?.address, !reported.contains(client) else { return }
        if let request = socks4Requests[client] {
            report(finding, request: request)
        } else if blockedPaths.count < Self.maximumClients, blockedPaths[client] == nil {
            blockedPaths[client] = finding
        }
    }

    private func report(_ blocked: Finding, request: UInt64) {
        guard let client = blocked.client else { return }
        reported.insert(client.address)
        socks4Requests.removeValue(forKey: client.address)
        let server = blocked.server.map { " to \($0)" } ?? ""
        emit(Finding(kind: .socks4UDPBlocked, severity: .error, detail: blocked.detail, firstTime: blocked.firstTime,
                     lastTime: blocked.lastTime, frames: [request] + blocked.frames, client: blocked.client,
                     server: blocked.server, uin: blocked.uin, requirement: .proxy,
                     explanation: "The client at \(client.address) asks a SOCKS4 proxy for its TCP connections (frame \(request)), but SOCKS4 cannot carry UDP: ICQ's UDP\(server) goes out directly, and that is blocked (server_path_blocked).",
                     advice: "With a SOCKS4 proxy, still allow UDP to the ICQ server's port 4000 and its replies, as the guide says; or use a SOCKS5 proxy, which carries the UDP too."))
    }
}
