import Bytes

extension ICQHeader {
    /// The header's fields, as `ICQPacket.visitFields` visits them (also usable for the partial
    /// header of a malformed datagram).
    public func visitFields<V: FieldVisitor>(_ visitor: inout V) {
        visitor.visit("icq.version", .unsigned(UInt64(version)))
        visitor.visit("icq.client", .bool(direction == .clientToServer))
        if let uin { visitor.visit("icq.uin", .unsigned(UInt64(uin))) }
        if let sessionID { visitor.visit("icq.sessionid", .unsigned(UInt64(sessionID))) }
        switch direction {
        case .clientToServer: visitor.visit("icq.client_cmd", .unsigned(UInt64(command)))
        case .serverToClient: visitor.visit("icq.server_cmd", .unsigned(UInt64(command)))
        }
        if let name = commandName { visitor.visit("icq.cmd_name", .name(name)) }
        visitor.visit("icq.seqnum1", .unsigned(UInt64(seq1)))
        if let seq2 { visitor.visit("icq.seqnum2", .unsigned(UInt64(seq2))) }
        if let checkcode { visitor.visit("icq.checkcode", .unsigned(UInt64(checkcode))) }
        if let random { visitor.visit("icq.header_random", .unsigned(UInt64(random))) }
    }
}

extension ICQPacket {
    /// Hands each field of the packet to `visitor`, in a stable order, with its dotted name
    /// (Wireshark's where Wireshark has the field, the project's own otherwise; see the README
    /// table). Names have at most three parts (`icq.group.leaf`), and the fields of one group
    /// are visited together, so a streaming JSON writer can nest them. Allocates nothing. The packets of a SRV_MULTI_PACKET are not visited here: use
    /// `ICQDecoder.forEachInnerPacket` and write them as an array.
    public func visitFields<V: FieldVisitor>(_ visitor: inout V, revealSecrets: Bool) {
        header.visitFields(&visitor)
        if let key { visitor.visit("icq.checkcode_key", .unsigned(UInt64(key))) }
        if let checkcodeValid { visitor.visit("icq.checkcode_valid", .bool(checkcodeValid)) }
        visitBodyFields(&visitor, revealSecrets: revealSecrets)
    }

    /// Classic clients sent their local ANSI code page (Windows-1252 in the west).
    private func text(_ t: ICQText) -> FieldValue { .text(t.bytes(in: bytes), .localCodePage) }

    private func visitBodyFields<V: FieldVisitor>(_ visitor: inout V, revealSecrets: Bool) {
        let command = header.command
        switch body {
        case .none, .undecoded:
            break
        case .random(let random):
            guard let random else { break }
            switch command {
            case ICQCommand.Client.ack, ICQCommand.Client.ackMessages: visitor.visit("icq.ack.random", .unsigned(UInt64(random)))
            case ICQCommand.Client.keepAlive, ICQCommand.Client.keepAlive2: visitor.visit("icq.keep_alive.random", .unsigned(UInt64(random)))
            default: visitor.visit("icq.random", .unsigned(UInt64(random)))
            }
        case .login(let l):
            if let time = l.time { visitor.visit("icq.login.time", .unsigned(UInt64(time))) }
            visitor.visit("icq.login.port", .unsigned(UInt64(l.tcpPort)))
            visitor.visit("icq.login.password", revealSecrets ? text(l.password) : .masked)
            visitor.visit("icq.login.ip", .address(l.lanIP))
            visitor.visit("icq.login.dc_mode", .unsigned(UInt64(l.connectionMode)))
            if let name = ICQCommandNames.connectionMode(l.connectionMode) { visitor.visit("icq.login.dc_mode_name", .name(name)) }
            if let v = l.dcVersion { visitor.visit("icq.login.dc_version", .unsigned(UInt64(v))) }
            visitor.visit("icq.status", .unsigned(UInt64(l.status)))
            visitor.visit("icq.status_name", .name(ICQCommandNames.status(l.status)))
        case .loginReply(let r):
            visitor.visit("icq.login_reply.ip", .address(r.externalIP))
            if let hint = r.keepAliveHint { visitor.visit("icq.login_reply.keepalive_hint", .unsigned(UInt64(hint))) }
        case .userOnline(let u):
            if command == ICQCommand.Server.randomUser {
                visitor.visit("icq.rand_user.uin", .unsigned(UInt64(u.uin)))
                visitor.visit("icq.rand_user.ip", .address(u.externalIP))
                visitor.visit("icq.rand_user.port", .unsigned(UInt64(u.tcpPort)))
                visitor.visit("icq.rand_user.realip", .address(u.lanIP))
                visitor.visit("icq.rand_user.class", .unsigned(UInt64(u.connectionMode)))
                if let s = u.status { visitor.visit("icq.rand_user.status", .unsigned(UInt64(s))) }
                if let v = u.dcVersion { visitor.visit("icq.rand_user.tcpversion", .unsigned(UInt64(v))) }
            } else {
                visitor.visit("icq.user_online.uin", .unsigned(UInt64(u.uin)))
                visitor.visit("icq.user_online.ip", .address(u.externalIP))
                visitor.visit("icq.user_online.port", .unsigned(UInt64(u.tcpPort)))
                visitor.visit("icq.user_online.realip", .address(u.lanIP))
                visitor.visit("icq.user_online.dc_mode", .unsigned(UInt64(u.connectionMode)))
                if let name = ICQCommandNames.connectionMode(u.connectionMode) {
                    visitor.visit("icq.user_online.dc_mode_name", .name(name))
                }
                if let s = u.status { visitor.visit("icq.user_online.status", .unsigned(UInt64(s))) }
                if let v = u.dcVersion { visitor.visit("icq.user_online.version", .unsigned(UInt64(v))) }
            }
            if let s = u.status { visitor.visit("icq.status_name", .name(ICQCommandNames.status(s))) }
        case .userOffline(let uin):
            visitor.visit("icq.user_offline.uin", .unsigned(UInt64(uin)))
        case .status(let uin, let status):
            if let uin { visitor.visit("icq.status_update.uin", .unsigned(UInt64(uin))) }
            visitor.visit("icq.status", .unsigned(UInt64(status)))
            visitor.visit("icq.status_name", .name(ICQCommandNames.status(status)))
        case .uinList(let list):
            visitor.visit("icq.number_of_uins", .unsigned(UInt64(list.count)))
            let slice = UnsafeRawBufferPointer(rebasing: bytes[list.offset..<(list.offset + 4 * list.count)])
            visitor.visit("icq.uin_list", .u32LEList(slice))
        case .message(let m):
            visitor.visit(header.direction == .clientToServer ? "icq.receiver_uin" : "icq.sender_uin", .unsigned(UInt64(m.uin)))
            if let year = m.sentYear {
                visitor.visit("icq.sent.year", .unsigned(UInt64(year)))
                visitor.visit("icq.sent.month", .unsigned(UInt64(m.sentMonth)))
                visitor.visit("icq.sent.day", .unsigned(UInt64(m.sentDay)))
                visitor.visit("icq.sent.hour", .unsigned(UInt64(m.sentHour)))
                visitor.visit("icq.sent.minute", .unsigned(UInt64(m.sentMinute)))
            }
            visitor.visit("icq.msg_type", .unsigned(UInt64(m.type)))
            if let name = ICQCommandNames.messageType(m.type) { visitor.visit("icq.msg_type_name", .name(name)) }
            visitor.visit("icq.msg", text(m.text))
        case .textCode(let t, let x1):
            visitor.visit(command == ICQCommand.Server.loginError ? "icq.login_error" : "icq.text_code", text(t))
            if let x1 { visitor.visit("icq.x1", .unsigned(UInt64(x1))) }
        case .meta(let meta):
            visitor.visit("icq.meta_user.subcmd", .unsigned(UInt64(meta.subcommand)))
            let name = header.direction == .clientToServer
                ? ICQCommandNames.clientMeta(meta.subcommand) : ICQCommandNames.serverMeta(meta.subcommand)
            if let name { visitor.visit("icq.meta_user.subcmd_name", .name(name)) }
            if let result = meta.result { visitor.visit("icq.meta_user.result", .unsigned(UInt64(result))) }
        case .userRecord(let u):
            if let uin = u.uin { visitor.visit("icq.user_found.uin", .unsigned(UInt64(uin))) }
            visitor.visit("icq.nickname", text(u.nick))
            visitor.visit("icq.first_name", text(u.first))
            visitor.visit("icq.last_name", text(u.last))
            visitor.visit("icq.email", text(u.email))
            if let auth = u.authorization { visitor.visit("icq.authorization", .unsigned(UInt64(auth))) }
        case .uin(let uin):
            visitor.visit("icq.target_uin", .unsigned(UInt64(uin)))
        case .endOfSearch(let more):
            visitor.visit("icq.end_of_search.more", .unsigned(UInt64(more)))
        case .multi(let multi):
            visitor.visit("icq.multi.num_packets", .unsigned(UInt64(multi.count)))
        case .tcpRequest(let t):
            visitor.visit("icq.tcp_request.uin", .unsigned(UInt64(t.uin)))
            visitor.visit("icq.tcp_request.ip", .address(t.ip))
            visitor.visit("icq.tcp_request.port", .unsigned(UInt64(t.port)))
        }
    }
}
