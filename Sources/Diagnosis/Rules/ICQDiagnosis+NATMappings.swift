/// Bounds of the firewall's UDP timeout from NAT mappings (`NATMappingEvidence`), and the
/// gateways the capture shows.
extension ICQDiagnosis {
    /// A session was seen crossing this gateway.
    public func noteGateway(_ sides: GatewaySides) {
        udpTimeouts.noteGateway(sides)
    }

    public func mapping(_ bound: NATMappingEvidence.Bound) {
        switch bound {
        case .survived(let gateway, let gap, let frames):
            udpTimeouts.delivered(at: gateway, afterIdle: gap, frames: frames)
        case .forgotten(let gateway, let gap, let frames):
            udpTimeouts.lost(at: gateway, afterIdle: gap, frames: frames)
        }
    }
}
