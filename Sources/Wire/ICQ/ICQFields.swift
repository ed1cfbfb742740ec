import Bytes

/// One field value for output. Nothing here is a String: the output layer formats at the end.
public enum ICQFieldValue {
    case uint(UInt64)
    case bool(Bool)
    case ipv4(IPAddress)
    /// Message or string bytes in the client's character set (Windows-1252 for the classic
    /// clients); convert with `ICQTextEncoding.string(_:)`. Borrowed from the packet bytes.
    case text(UnsafeRawBufferPointer)
    /// A name from a static table (command, message type, status, connection mode).
    case name(StaticString)
    /// A list of UINs: `count` little-endian u32 values starting at the slice.
    case uins(UnsafeRawBufferPointer)
    /// SRV_RECV_MESSAGE's send time.
    case dateTime(year: UInt16, month: UInt8, day: UInt8, hour: UInt8, minute: UInt8)
    /// A secret (a password) that is not revealed; write it as "***" or leave it out.
    case masked
}

extension ICQHeader {
    /// The header's fields, as `ICQPacket.forEachField` visits them (also usable for the partial
    /// header of a malformed datagram).
    public func forEachField(_ visit: (StaticString, ICQFieldValue) -> Void) {
        visit("icq.version", .uint(UInt64(version)))
        visit("icq.client", .bool(direction == .clientToServer))
        if let uin { visit("icq.uin", .uint(UInt64(uin))) }
        if let sessionID { visit("icq.sessionid", .uint(UInt64(sessionID))) }
        switch direction {
        case .clientToServer: visit("icq.client_cmd", .uint(UInt64(command)))
        case .serverToClient: visit("icq.server_cmd", .uint(UInt64(command)))
        }
        if let name = commandName { visit("icq.cmd_name", .name(name)) }
        visit("icq.seqnum1", .uint(UInt64(seq1)))
        if let seq2 { visit("icq.seqnum2", .uint(UInt64(seq2))) }
        if let checkcode { visit("icq.checkcode", .uint(UInt64(checkcode))) }
        if let random { visit("icq.header_random", .uint(UInt64(random))) }
    }
}

extension ICQPacket {
    /// Calls `visit` with each field of the packet, in a stable order, with its dotted name
    /// (Wireshark's where Wireshark has the field, the project's own otherwise; see the README
    /// table). Names have at most three parts (`icq.group.leaf`), and the fields of one group
    /// are visited together, so a streaming JSON writer can nest them. Allocates nothing. The packets of a SRV_MULTI_PACKET are not visited here: use
    /// `ICQDecoder.forEachInnerPacket` and write them as an array.
    public func forEachField(revealSecrets: Bool, _ visit: (StaticString, ICQFieldValue) -> Void) {
        header.forEachField(visit)
        if let key { visit("icq.checkcode_key", .uint(UInt64(key))) }
        if let checkcodeValid { visit("icq.checkcode_valid", .bool(checkcodeValid)) }
        forEachBodyField(revealSecrets: revealSecrets, visit)
    }

    private func text(_ t: ICQText) -> ICQFieldValue { .text(t.bytes(in: bytes)) }

    private func forEachBodyField(revealSecrets: Bool, _ visit: (StaticString, ICQFieldValue) -> Void) {
        let command = header.command
        switch body {
        case .none, .undecoded:
            break
        case .random(let random):
            guard let random else { break }
            switch command {
            case 0x000A, 0x0442: visit("icq.ack.random", .uint(UInt64(random)))
            case 0x042E, 0x051E: visit("icq.keep_alive.random", .uint(UInt64(random)))
            default: visit("icq.random", .uint(UInt64(random)))
            }
        case .login(let l):
            if let time = l.time { visit("icq.login.time", .uint(UInt64(time))) }
            visit("icq.login.port", .uint(UInt64(l.tcpPort)))
            visit("icq.login.password", revealSecrets ? text(l.password) : .masked)
            visit("icq.login.ip", .ipv4(l.lanIP))
            visit("icq.login.dc_mode", .uint(UInt64(l.connectionMode)))
            if let name = ICQCommandNames.connectionMode(l.connectionMode) { visit("icq.login.dc_mode_name", .name(name)) }
            if let v = l.dcVersion { visit("icq.login.dc_version", .uint(UInt64(v))) }
            visit("icq.status", .uint(UInt64(l.status)))
            visit("icq.status_name", .name(ICQCommandNames.status(l.status)))
        case .loginReply(let r):
            visit("icq.login_reply.ip", .ipv4(r.externalIP))
            if let hint = r.keepAliveHint { visit("icq.login_reply.keepalive_hint", .uint(UInt64(hint))) }
        case .userOnline(let u):
            if command == 0x024E {
                visit("icq.rand_user.uin", .uint(UInt64(u.uin)))
                visit("icq.rand_user.ip", .ipv4(u.externalIP))
                visit("icq.rand_user.port", .uint(UInt64(u.tcpPort)))
                visit("icq.rand_user.realip", .ipv4(u.lanIP))
                visit("icq.rand_user.class", .uint(UInt64(u.connectionMode)))
                if let s = u.status { visit("icq.rand_user.status", .uint(UInt64(s))) }
                if let v = u.dcVersion { visit("icq.rand_user.tcpversion", .uint(UInt64(v))) }
            } else {
                visit("icq.user_online.uin", .uint(UInt64(u.uin)))
                visit("icq.user_online.ip", .ipv4(u.externalIP))
                visit("icq.user_online.port", .uint(UInt64(u.tcpPort)))
                visit("icq.user_online.realip", .ipv4(u.lanIP))
                visit("icq.user_online.dc_mode", .uint(UInt64(u.connectionMode)))
                if let name = ICQCommandNames.connectionMode(u.connectionMode) {
                    visit("icq.user_online.dc_mode_name", .name(name))
                }
                if let s = u.status { visit("icq.user_online.status", .uint(UInt64(s))) }
                if let v = u.dcVersion { visit("icq.user_online.version", .uint(UInt64(v))) }
            }
            if let s = u.status { visit("icq.status_name", .name(ICQCommandNames.status(s))) }
        case .userOffline(let uin):
            visit("icq.user_offline.uin", .uint(UInt64(uin)))
        case .status(let uin, let status):
            if let uin { visit("icq.status_update.uin", .uint(UInt64(uin))) }
            visit("icq.status", .uint(UInt64(status)))
            visit("icq.status_name", .name(ICQCommandNames.status(status)))
        case .uinList(let list):
            visit("icq.number_of_uins", .uint(UInt64(list.count)))
            let slice = UnsafeRawBufferPointer(rebasing: bytes[list.offset..<(list.offset + 4 * list.count)])
            visit("icq.uin_list", .uins(slice))
        case .message(let m):
            visit(header.direction == .clientToServer ? "icq.receiver_uin" : "icq.sender_uin", .uint(UInt64(m.uin)))
            if let year = m.sentYear {
                visit("icq.recv_time", .dateTime(year: year, month: m.sentMonth, day: m.sentDay, hour: m.sentHour, minute: m.sentMinute))
            }
            visit("icq.msg_type", .uint(UInt64(m.type)))
            if let name = ICQCommandNames.messageType(m.type) { visit("icq.msg_type_name", .name(name)) }
            visit("icq.msg", text(m.text))
        case .textCode(let t, let x1):
            visit(command == 0x0370 ? "icq.login_error" : "icq.text_code", text(t))
            if let x1 { visit("icq.x1", .uint(UInt64(x1))) }
        case .meta(let meta):
            visit("icq.meta_user.subcmd", .uint(UInt64(meta.subcommand)))
            let name = header.direction == .clientToServer
                ? ICQCommandNames.clientMeta(meta.subcommand) : ICQCommandNames.serverMeta(meta.subcommand)
            if let name { visit("icq.meta_user.subcmd_name", .name(name)) }
            if let result = meta.result { visit("icq.meta_user.result", .uint(UInt64(result))) }
        case .userRecord(let u):
            if let uin = u.uin { visit("icq.user_found.uin", .uint(UInt64(uin))) }
            visit("icq.nickname", text(u.nick))
            visit("icq.first_name", text(u.first))
            visit("icq.last_name", text(u.last))
            visit("icq.email", text(u.email))
            if let auth = u.authorization { visit("icq.authorization", .uint(UInt64(auth))) }
        case .uin(let uin):
            visit("icq.target_uin", .uint(UInt64(uin)))
        case .endOfSearch(let more):
            visit("icq.end_of_search.more", .uint(UInt64(more)))
        case .multi(let multi):
            visit("icq.multi.num_packets", .uint(UInt64(multi.count)))
        case .tcpRequest(let t):
            visit("icq.tcp_request.uin", .uint(UInt64(t.uin)))
            visit("icq.tcp_request.ip", .ipv4(t.ip))
            visit("icq.tcp_request.port", .uint(UInt64(t.port)))
        }
    }
}

/// Text conversion for classic ICQ strings, done only at output. The classic clients sent text in
/// the Windows ANSI code page of the sender; Windows-1252 is the common case and what is assumed.
public enum ICQTextEncoding {
    /// The Windows-1252 code points of 0x80…0x9F (0 where the code page leaves a byte undefined;
    /// those map to the same-valued C1 control, as Windows does).
    static let high: [UInt16] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    public static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        var out = String.UnicodeScalarView()
        for byte in bytes {
            var value = UInt32(byte)
            if byte >= 0x80 && byte <= 0x9F, high[Int(byte - 0x80)] != 0 { value = UInt32(high[Int(byte - 0x80)]) }
            out.append(Unicode.Scalar(value) ?? "\u{FFFD}")
        }
        return String(out)
    }
}
