import Capture
import Report

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

/// The capture sides that held packets: the first two by index, and whether more came.
struct SidesSeen {
    var first: Int? = nil
    var second: Int? = nil
    var count = 0

    @inline(__always)
    mutating func note(_ side: Int) {
        guard side != first, side != second, count < 3 else { return }
        if first == nil { first = side } else if second == nil { second = side }
        count += 1
    }
}

extension Analyzer {
    /// The vantage point the analysis assumed, for the summary.
    func vantage() -> Vantage? {
        guard let first = sidesSeen.first else { return nil }
        let networks = options.thresholds.inside.map(\.description)
        guard let second = sidesSeen.second else {
            return Vantage(sides: 1, interface: sideName(first), insideNetworks: networks)
        }
        var vantage = Vantage(sides: sidesSeen.count, insideNetworks: networks)
        if networks.isEmpty, let inside = firstClientSide {
            vantage.inside = sideName(inside)
            if sidesSeen.count == 2 { vantage.outside = sideName(inside == first ? second : first) }
        }
        return vantage
    }
}
