import Bytes
import Wire

/// The classic ICQ an ICMP error quotes: `icmp.quoted.icq.*` in the packet record (Wireshark's
/// `icq.*` fields, one level down), and a bracketed summary after the quoted endpoints in text.
public enum QuotedICQRecord {
    /// Written inside the open `quoted` object.
    public static func write(_ json: inout JSONWriter, _ quoted: QuotedICQ, revealSecrets: Bool) {
        switch quoted {
        case .none:
            return
        case .header(let header):
            JSONFieldVisitor.write(into: &json) { header.visitFields(&$0) }
        case .packet(let packet):
            // The packets inside a quoted multi-packet are left out: the outer header names it.
            guard case .multi = packet.body else {
                JSONFieldVisitor.write(into: &json) { packet.visitFields(&$0, revealSecrets: revealSecrets) }
                return
            }
            JSONFieldVisitor.write(into: &json) { packet.header.visitFields(&$0) }
        }
    }

    /// `[ICQ v5 S→C SRV_… uin=… seq=…]`, or nil when nothing of ICQ was quoted; after
    /// `[SOCKS5 UDP 192.0.2.7:4000]` (the real endpoint the header names) when the quoted
    /// datagram was relayed through a SOCKS5 UDP association.
    public static func text(_ quoted: QuotedICQ, socks: SOCKSUDPHeader?, revealSecrets: Bool) -> String? {
        guard let socks else { return text(quoted, revealSecrets: revealSecrets) }
        let real = socks.address.map { Endpoint(address: $0, port: socks.port).description } ?? "(name):\(socks.port)"
        return (["[SOCKS5 UDP \(real)]"] + [text(quoted, revealSecrets: revealSecrets)].compactMap { $0 }).joined(separator: " ")
    }

    /// `[ICQ v5 S→C SRV_… uin=… seq=…]`, or nil when nothing of ICQ was quoted.
    public static func text(_ quoted: QuotedICQ, revealSecrets: Bool) -> String? {
        switch quoted {
        case .none:
            return nil
        case .packet(let packet):
            return "[ICQ \(packet.summary(revealSecrets: revealSecrets))]"
        case .header(let h):
            var line = "[ICQ v\(h.version) \(h.direction.arrow) "
            line += h.commandName.map { "\($0)" } ?? "cmd=\(h.command)"
            if let uin = h.uin { line += " uin=\(uin)" }
            let hex = String(h.seq1, radix: 16)
            line += " seq=0x" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            if let seq2 = h.seq2 { line += "/\(seq2)" }
            return line + " (header only)]"
        }
    }
}
