import Bytes

extension ICQPacket {
    /// One line for `--packets` text output, e.g.
    /// `v5 C→S CMD_LOGIN uin=1001 seq=0x29f7/1 tcp_port=40001 lan_ip=10.10.10.2 dc=6 mode=direct`.
    /// Built only at output (this allocates the string).
    public func summary(revealSecrets: Bool = false) -> String {
        let h = header
        var s = "v\(h.version) \(h.direction.arrow) "
        if let name = h.commandName { s += "\(name)" } else { s += "cmd=0x\(Self.hex(h.command, width: 4))" }
        if let uin = h.uin { s += " uin=\(uin)" }
        s += " seq=0x\(Self.hex(h.seq1, width: 4))"
        if let seq2 = h.seq2 { s += "/\(seq2)" }
        if checkcodeValid == false { s += " checkcode=invalid" }
        s += bodySummary(revealSecrets: revealSecrets)
        return s
    }

    private func bodySummary(revealSecrets: Bool) -> String {
        switch body {
        case .none, .undecoded, .random:
            return ""
        case .login(let l):
            var s = " tcp_port=\(l.tcpPort) lan_ip=\(l.lanIP.description) mode=\(Self.mode(l.connectionMode))"
            if let v = l.dcVersion { s += " dc=\(v)" }
            s += " status=\(ICQCommandNames.status(l.status))"
            s += revealSecrets ? " password=\(Self.quoted(l.password, in: bytes))" : " password=********"
            return s
        case .loginReply(let r):
            var s = " ext_ip=\(r.externalIP.description)"
            if let hint = r.keepAliveHint { s += " keepalive_hint=\(hint)" }
            return s
        case .userOnline(let u):
            var s = " peer=\(u.uin) ip=\(u.externalIP.description) tcp_port=\(u.tcpPort) lan_ip=\(u.lanIP.description)"
            s += " mode=\(Self.mode(u.connectionMode))"
            if let v = u.dcVersion { s += " dc=\(v)" }
            if let st = u.status { s += " status=\(ICQCommandNames.status(st))" }
            return s
        case .userOffline(let uin):
            return " peer=\(uin)"
        case .status(let uin, let status):
            let who = uin.map { " peer=\($0)" } ?? ""
            return "\(who) status=\(ICQCommandNames.status(status)) (0x\(Self.hex(status, width: 8)))"
        case .uinList(let list):
            var s = " count=\(list.count)"
            if list.count > 0 {
                let shown = min(list.count, 8)
                s += " uins=" + (0..<shown).map { String(list.uin(at: $0, in: bytes)) }.joined(separator: ",")
                if shown < list.count { s += ",…" }
            }
            return s
        case .message(let m):
            let dir = header.direction == .clientToServer ? "to" : "from"
            let type = ICQCommandNames.messageType(m.type).map { "\($0)" } ?? "0x\(Self.hex(m.type, width: 4))"
            return " \(dir)=\(m.uin) type=\(type) text=\(Self.quoted(m.text, in: bytes))"
        case .textCode(let t, _):
            return " text=\(Self.quoted(t, in: bytes))"
        case .meta(let meta):
            let name = header.direction == .clientToServer
                ? ICQCommandNames.clientMeta(meta.subcommand) : ICQCommandNames.serverMeta(meta.subcommand)
            var s = " sub=" + (name.map { "\($0)" } ?? "0x\(Self.hex(meta.subcommand, width: 4))")
            if let result = meta.result { s += result == 0x0A ? " result=ok" : " result=0x\(Self.hex(result, width: 2))" }
            return s
        case .userRecord(let u):
            let who = u.uin.map { " uin=\($0)" } ?? ""
            return "\(who) nick=\(Self.quoted(u.nick, in: bytes))"
        case .uin(let uin):
            return " target=\(uin)"
        case .endOfSearch(let more):
            return " more=\(more)"
        case .multi(let multi):
            return " packets=\(multi.count)"
        case .tcpRequest(let t):
            return " peer=\(t.uin) ip=\(t.ip.description) tcp_port=\(t.port)"
        }
    }

    static func mode(_ mode: UInt8) -> String {
        ICQCommandNames.connectionMode(mode).map { "\($0)" } ?? String(mode)
    }

    /// A string in quotes, shortened to 60 characters, control characters escaped.
    static func quoted(_ text: ICQText, in bytes: UnsafeRawBufferPointer) -> String {
        let full = TextDecoding.string(text.bytes(in: bytes), .localCodePage)
        var s = "\""
        for (i, scalar) in full.unicodeScalars.enumerated() {
            if i == 60 { s += "…"; break }
            switch scalar {
            case "\"": s += "\\\""
            case "\\": s += "\\\\"
            case "\u{FE}": s += "|"  // ICQ's field separator in URL, contact and auth messages
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    s += "\\x" + hex(UInt8(scalar.value), width: 2)
                } else {
                    s.unicodeScalars.append(scalar)
                }
            }
        }
        return s + "\""
    }

    static func hex<T: BinaryInteger>(_ value: T, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
