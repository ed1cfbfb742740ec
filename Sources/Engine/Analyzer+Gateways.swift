import Capture

extension Analyzer {
    /// A capture side by name, for the gateways of `udp_timeouts`: the interface's name, or for
    /// Linux cooked v2 (`-i any`, where the side is the kernel's ifindex) "ifindex N".
    func sideName(_ side: Int) -> String {
        let interfaces = summary.sources.last?.interfaces ?? []
        if interfaces.contains(where: { $0.linkType == .linuxSLL2 }) { return "ifindex \(side)" }
        if side >= 0 && side < interfaces.count, let name = interfaces[side].name, !name.isEmpty { return name }
        return "if\(side)"
    }
}
