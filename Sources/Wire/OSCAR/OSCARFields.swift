import Bytes

/// The fields of one FLAP for output, named as Wireshark names them where it has the field
/// (`aim.channel`, `aim.seqno`, `aim.datalen`, `aim.fnac.*`, `aim.buddyname`, `aim.dcinfo.*`,
/// `aim.messageblock.message`). Wireshark keeps some in other namespaces (`aim_messaging`,
/// `aim_icq`); they are kept under `aim` here so that the fields of one PDU stay in one object
/// when a frame carries several: `aim.icbm.channel`, `aim.icq.*`, `aim.bos.*`, `aim.signon.*`,
/// `aim.rendezvous.*`, `aim.userinfo.external_ip`, `aim.ssi.numitems`, `aim.rateinfo.numclasses`.
/// Fields are visited grouped by prefix, as `JSONFieldVisitor` needs.
extension OSCARPDU {
    public func visitFields<V: FieldVisitor>(_ v: inout V, revealSecrets: Bool) {
        v.visit("aim.channel", .unsigned(UInt64(flap.channel)))
        v.visit("aim.seqno", .unsigned(UInt64(flap.sequence)))
        v.visit("aim.datalen", .unsigned(UInt64(flap.dataLength)))
        if let snac {
            v.visit("aim.fnac.family", .unsigned(UInt64(snac.family)))
            v.visit("aim.fnac.family_name", .name(snac.familyName))
            v.visit("aim.fnac.subtype", .unsigned(UInt64(snac.subtype)))
            v.visit("aim.fnac.subtype_name", .name(snac.subtypeName))
            v.visit("aim.fnac.flags", .unsigned(UInt64(snac.flags)))
            v.visit("aim.fnac.id", .unsigned(UInt64(snac.requestID)))
        } else {
            v.visit("aim.channel_name", .name(FLAPChannel.name(flap.channel)))
        }
        switch body {
        case .signOn(let s):
            if let name = s.screenName { v.visit("aim.signon.screen_name", .text(name, .ascii)) }
            if let password = s.roastedPassword {
                if revealSecrets {
                    // Unroasting needs a scratch copy; passwords are at most a few bytes long.
                    withUnroasted(password) { v.visit("aim.signon.password", .text($0, .ascii)) }
                } else {
                    v.visit("aim.signon.password", .masked)
                }
            }
            if let client = s.clientIDString { v.visit("aim.signon.client", .text(client, .ascii)) }
            if let cookie = s.cookie { v.visit("aim.signon.cookie_length", .unsigned(UInt64(cookie.count))) }
        case .signOff(let r), .loginReply(let r):
            visitLoginReply(r, &v)
        case .redirect(let r):
            if let family = r.family { v.visit("aim.bos.family", .unsigned(UInt64(family))) }
            if let address = r.address {
                v.visit("aim.bos.address", .text(address, .ascii))
                v.visit("aim.bos.port", .unsigned(UInt64(ServerAddress.port(address))))
            }
            if let cookie = r.cookie { v.visit("aim.bos.cookie_length", .unsigned(UInt64(cookie.count))) }
        case .md5Login(let m):
            if let name = m.screenName { v.visit("aim.signon.screen_name", .text(name, .ascii)) }
            if let hash = m.passwordHash {
                v.visit("aim.signon.password_md5", revealSecrets ? .byteList(hash) : .masked)
            }
        case .md5KeyRequest(let name):
            if let name { v.visit("aim.signon.screen_name", .text(name, .ascii)) }
        case .md5Key(let key):
            v.visit("aim.signon.challengelen", .unsigned(UInt64(key.count)))
        case .rateInfo(let r):
            v.visit("aim.rateinfo.numclasses", .unsigned(UInt64(r.classCount)))
        case .setStatus(let p):
            visitPresence(p, &v)
        case .userInfo(let list):
            v.visit("aim.buddyname", .text(list.first.screenName, .ascii))
            v.visit("aim.userinfo.count", .unsigned(UInt64(list.count)))
            visitPresence(list.first.presence, &v)
        case .icbm(let m):
            v.visit("aim.buddyname", .text(m.screenName, .ascii))
            v.visit("aim.icbm.channel", .unsigned(UInt64(m.channel)))
            if let text = m.text {
                // Channel 1 charset 2 is UCS-2BE; the writer escapes what is not valid UTF-8.
                v.visit("aim.messageblock.message", .text(text, m.charset == 0 ? .ascii : .localCodePage))
            }
            if let type = m.typingNotification { v.visit("aim.icbm.typing", .unsigned(UInt64(type))) }
            if let r = m.rendezvous {
                v.visit("aim.rendezvous.msg_type", .unsigned(UInt64(r.messageType)))
                if let ip = r.internalAddress { v.visit("aim.rendezvous.internal_ip", .address(ip)) }
                if let ip = r.externalAddress { v.visit("aim.rendezvous.external_ip", .address(ip)) }
                if let port = r.port { v.visit("aim.rendezvous.port", .unsigned(UInt64(port))) }
            }
            if let sender = m.sender { visitPresence(sender, &v) }
        case .ssi(let l):
            v.visit("aim.ssi.numitems", .unsigned(UInt64(l.itemCount)))
        case .ssiAck(let a):
            if a.count > 0 { v.visit("aim.ssi.code", .unsigned(UInt64(a.code(0)))) }
        case .icq(let q):
            v.visit("aim.icq.owner_uid", .unsigned(UInt64(q.ownerUIN)))
            v.visit("aim.icq.request_type", .unsigned(UInt64(q.requestType)))
            v.visit("aim.icq.request_type_name", .name(q.requestTypeName))
            v.visit("aim.icq.request_seq_number", .unsigned(UInt64(q.requestSequence)))
            if let sub = q.metaSubtype { v.visit("aim.icq.subtype", .unsigned(UInt64(sub))) }
        case .serviceRequest(let family):
            v.visit("aim.bos.family", .unsigned(UInt64(family)))
        case .none, .keepAlive, .flapError, .malformed:
            break
        }
    }

    func visitLoginReply<V: FieldVisitor>(_ r: LoginReply, _ v: inout V) {
        if let address = r.bosAddress {
            v.visit("aim.bos.address", .text(address, .ascii))
            v.visit("aim.bos.port", .unsigned(UInt64(ServerAddress.port(address))))
        }
        if let cookie = r.cookie { v.visit("aim.bos.cookie_length", .unsigned(UInt64(cookie.count))) }
        if let name = r.screenName { v.visit("aim.signon.screen_name", .text(name, .ascii)) }
        if let code = r.errorCode { v.visit("aim.signon.error", .unsigned(UInt64(code))) }
        if let reason = r.disconnectReason { v.visit("aim.signon.disconnect_reason", .unsigned(UInt64(reason))) }
    }

    func visitPresence<V: FieldVisitor>(_ p: PresenceTLVs, _ v: inout V) {
        if let dc = p.dcInfo {
            v.visit("aim.dcinfo.addr", .address(dc.internalAddress))
            v.visit("aim.dcinfo.tcpport", .unsigned(UInt64(dc.tcpPort)))
            v.visit("aim.dcinfo.type", .unsigned(UInt64(dc.type)))
            v.visit("aim.dcinfo.proto_version", .unsigned(UInt64(dc.protocolVersion)))
        }
        if let ip = p.externalAddress { v.visit("aim.userinfo.external_ip", .address(ip)) }
        if let status = p.status { v.visit("aim.userinfo.status", .unsigned(UInt64(status))) }
    }

    /// Runs `body` with the password unroasted into a stack buffer (at most 16 bytes shown).
    func withUnroasted(_ roasted: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var scratch: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &scratch) { raw in
            let n = min(roasted.count, raw.count)
            for i in 0..<n { raw[i] = roasted[i] ^ PasswordRoasting.key[i % 16] }
            body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(raw)[..<n]))
        }
    }

    /// One line for the text report, e.g. `OSCAR ch2 seq=73 SNAC(04,06) AIM Messaging, Outgoing`.
    public func summary() -> String {
        var line = "OSCAR ch\(flap.channel) seq=\(flap.sequence) len=\(flap.dataLength)"
        if let snac {
            line += " SNAC(\(Self.hex2(snac.family)),\(Self.hex2(snac.subtype))) \(snac.familyName), \(snac.subtypeName)"
        } else {
            line += " \(FLAPChannel.name(flap.channel))"
        }
        return line
    }

    static func hex2(_ v: UInt16) -> String {
        let s = String(v, radix: 16)
        return s.count < 2 ? "0" + s : s
    }
}
