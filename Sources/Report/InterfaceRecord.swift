import Capture

/// `icqscope interfaces`: one interface that can be captured on, its flags and addresses.
public enum InterfaceRecord {
    static func flags(_ interface: AvailableInterface) -> [String] {
        var flags: [String] = []
        if interface.isUp { flags.append("up") }
        if interface.isRunning { flags.append("running") }
        if interface.isLoopback { flags.append("loopback") }
        if interface.isWireless { flags.append("wireless") }
        return flags
    }

    /// An `interface` record, one line.
    public static func writeNDJSON(_ json: inout JSONWriter, _ interface: AvailableInterface) {
        json.beginObject()
        json.field("type", static: "interface")
        json.field("name", interface.name)
        if let d = interface.description { json.field("description", d) }
        json.beginArray("flags")
        for flag in flags(interface) { json.string(flag) }
        json.endArray()
        json.beginArray("addresses")
        for address in interface.addresses { json.string(address.description) }
        json.endArray()
        json.endObject()
        json.endLine()
    }

    /// "1. eth0 (description) [up, running] 192.0.2.1, fe80::1", numbered from 1.
    public static func text(_ interface: AvailableInterface, number: Int) -> String {
        var line = "\(number). \(interface.name)"
        if let d = interface.description { line += " (\(d))" }
        let flags = flags(interface)
        if !flags.isEmpty { line += " [\(flags.joined(separator: ", "))]" }
        if !interface.addresses.isEmpty {
            line += " " + interface.addresses.map(\.description).joined(separator: ", ")
        }
        return line + "\n"
    }
}
