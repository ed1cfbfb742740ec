import Bytes
import Wire

/// The classic ICQ part of a `packet` record and of a `--packets` text line.
///
/// NDJSON: `"icq": {...}` with Wireshark's field names nested (`icq.login.port` is
/// `{"icq":{"login":{"port":40001}}}`). A SRV_MULTI_PACKET makes `"icq"` an array: the outer
/// packet first, then each packet inside it, in wire order (OUTPUT.md: several PDUs of one
/// protocol in a frame). A malformed ICQ datagram gets the header fields that could be read.
/// Fields go through the shared `JSONFieldVisitor`.
public enum ICQRecord {
    public static func write(_ json: inout JSONWriter, _ result: ICQClassification, revealSecrets: Bool) {
        switch result {
        case .notICQ:
            return
        case .malformed(_, let header):
            // The reason goes into the record's `malformed` object; here what could be read.
            guard let header else { return }
            JSONFieldVisitor.write(into: &json) { header.visitFields(&$0) }
        case .icq(let packet):
            guard case .multi = packet.body else {
                JSONFieldVisitor.write(into: &json) { packet.visitFields(&$0, revealSecrets: revealSecrets) }
                return
            }
            json.beginArray("icq")
            json.beginObject()
            JSONFieldVisitor.write(into: &json, skipComponents: 1) { packet.visitFields(&$0, revealSecrets: revealSecrets) }
            json.endObject()
            ICQDecoder.forEachInnerPacket(of: packet) { _, inner in
                json.beginObject()
                switch inner {
                case .icq(let p):
                    JSONFieldVisitor.write(into: &json, skipComponents: 1) { p.visitFields(&$0, revealSecrets: revealSecrets) }
                case .malformed(let m, let header):
                    if let header { JSONFieldVisitor.write(into: &json, skipComponents: 1) { header.visitFields(&$0) } }
                    json.beginObject("malformed")
                    json.field("offset", m.offset)
                    json.field("reason", m.reason.description)
                    json.endObject()
                case .notICQ:
                    break
                }
                json.endObject()
            }
            json.endArray()
        }
    }

    /// The text after the endpoints in a `--packets` line, e.g.
    /// `ICQ v5 C→S CMD_LOGIN uin=1001 seq=0x386c/1 tcp_port=40001 …`.
    public static func text(_ result: ICQClassification, revealSecrets: Bool) -> String? {
        switch result {
        case .notICQ:
            return nil
        case .icq(let packet):
            var line = "ICQ " + packet.summary(revealSecrets: revealSecrets)
            ICQDecoder.forEachInnerPacket(of: packet) { index, inner in
                switch inner {
                case .icq(let p): line += " [\(index + 1): \(p.summary(revealSecrets: revealSecrets))]"
                case .malformed(let m, _): line += " [\(index + 1): malformed \(m.reason)]"
                case .notICQ: break
                }
            }
            return line
        case .malformed(let m, let header):
            var line = "ICQ malformed (\(m.reason))"
            if let h = header {
                line += " v\(h.version) \(h.direction.arrow) "
                line += h.commandName.map { "\($0)" } ?? "cmd=\(h.command)"
                if let uin = h.uin { line += " uin=\(uin)" }
            }
            return line
        }
    }
}

/// ICQ packets counted per version and per command for the summary. Counting allocates only the
/// first time a command is seen.
public struct ICQCounts {
    public internal(set) var perVersion = [UInt64](repeating: 0, count: 6)
    /// Keyed by direction (bit 16: server) and command code.
    public internal(set) var perCommand: [UInt32: UInt64] = [:]

    public init() {}

    public var total: UInt64 { perVersion.reduce(0, +) }

    public mutating func count(_ header: ICQHeader) {
        if Int(header.version) < perVersion.count { perVersion[Int(header.version)] &+= 1 }
        let key = (header.direction == .serverToClient ? 0x1_0000 : 0) | UInt32(header.command)
        perCommand[key, default: 0] &+= 1
    }

    /// Counts a datagram and, for a multi-packet, the packets inside it.
    public mutating func count(_ packet: ICQPacket) {
        count(packet.header)
        ICQDecoder.forEachInnerPacket(of: packet) { _, inner in
            if let p = inner.packet { count(p.header) }
        }
    }

    /// (name, count) per command, client commands first, by code: `CMD_LOGIN`, or
    /// `CMD_0x1234` / `SRV_0x1234` for an unknown code.
    public var commands: [(name: String, count: UInt64)] {
        perCommand.sorted { $0.key < $1.key }.map { key, count in
            let server = key & 0x1_0000 != 0
            let code = UInt16(truncatingIfNeeded: key)
            let name = (server ? ICQCommandNames.server(code) : ICQCommandNames.client(code) ?? ICQCommandNames.groupwareClient(code))
                .map { "\($0)" } ?? (server ? "SRV_0x" : "CMD_0x") + String(code, radix: 16)
            return (name, count)
        }
    }

    public func writeNDJSON(_ json: inout JSONWriter) {
        guard total > 0 else { return }
        json.beginObject("icq")
        json.beginObject("versions")
        for (version, count) in perVersion.enumerated() where count > 0 {
            json.key("v\(version)")
            json.integer(count)
        }
        json.endObject()
        json.beginObject("commands")
        for (name, count) in commands {
            json.key(name)
            json.integer(count)
        }
        json.endObject()
        json.endObject()
    }

    /// `icq          v5 90; CMD_ACK 30, CMD_LOGIN 3, …`, or nil when there was no ICQ.
    public var textLine: String? {
        guard total > 0 else { return nil }
        let versions = perVersion.enumerated().filter { $0.element > 0 }.map { "v\($0.offset) \($0.element)" }
        let commands = commands.map { "\($0.name) \($0.count)" }
        return "icq          " + versions.joined(separator: ", ") + "; " + commands.joined(separator: ", ")
    }
}
