import Bytes

/// Decodes the parameters after a classic ICQ header (docs/protocol.md#classic-client-commands to
/// #meta) from plaintext bytes. Every length read from the wire is checked; an overrun gives a
/// located malformation. Nothing is copied: strings become offset/length views.
enum ICQBodyDecoder {
    typealias Outcome = (body: ICQBody, malformation: Malformation?)
    private typealias Client = ICQCommand.Client
    private typealias Server = ICQCommand.Server

    /// `bytes` is the whole packet's plaintext; the body starts at `header.length`.
    static func decode(_ header: ICQHeader, _ bytes: UnsafeRawBufferPointer) -> Outcome {
        var r = ByteReader(bytes, position: header.length)
        switch header.direction {
        case .clientToServer: return client(header, &r)
        case .serverToClient: return server(header, &r)
        }
    }

    // MARK: Client commands

    private static func client(_ h: ICQHeader, _ r: inout ByteReader) -> Outcome {
        switch h.command {
        case Client.ack, Client.keepAlive, Client.keepAlive2, Client.login1, Client.ackMessages:
            // ACK, KEEP_ALIVE, KEEP_ALIVE2, LOGIN_1, ACK_MESSAGES: random filler.
            return (.random(readRandom(&r)), nil)
        case Client.login:
            return login(h, &r)
        case Client.contactList, Client.invisibleList, Client.visibleList:
            return uinList(&r)
        case Client.sendMessage, Client.messageToNewUser:
            guard let uin = r.readU32LE() else { return truncated(r) }
            return message(uin: uin, &r)
        case Client.sendTextCode:
            guard let text = readLNTS(&r) else { return stringOverrun(r) }
            return (.textCode(text: text, x1: r.readU16LE()), nil)
        case Client.statusChange:
            guard let status = r.readU32LE() else { return truncated(r) }
            return (.status(uin: nil, status: status), nil)
        case Client.metaUser:
            guard let sub = r.readU16LE() else { return truncated(r) }
            return (.meta(ICQMeta(subcommand: sub, result: nil, dataOffset: r.position)), nil)
        case Client.searchUIN, Client.infoRequest, Client.extInfoRequest, Client.addToList:
            // SEARCH_UIN, INFO_REQ, EXT_INFO_REQ (v2: a search/info sequence u16 first), ADD_TO_LIST.
            if h.version == 2 && h.command != Client.addToList, !r.skip(2) { return truncated(r) }
            guard let uin = r.readU32LE() else { return truncated(r) }
            return (.uin(uin), nil)
        case Client.searchUser:
            if h.version == 2, !r.skip(2) { return truncated(r) }
            return userRecord(uin: nil, withAuthorization: false, &r)
        case Client.tcpRequest:
            return tcpRequest(&r)
        default:
            return r.isAtEnd ? (.none, nil) : (.undecoded, nil)
        }
    }

    private static func login(_ h: ICQHeader, _ r: inout ByteReader) -> Outcome {
        var time: UInt32? = nil
        switch h.version {
        case 5:
            guard let t = r.readU32LE() else { return truncated(r) }
            time = t
        case 2, 3:
            break  // v2 (icq091.txt) and v3 Groupware (iserverd) start with the port.
        default:
            // v4: the reference gives no login layout; only the header is certain.
            return (.undecoded, nil)
        }
        guard let port = r.readU32LE() else { return truncated(r) }
        guard let password = readLNTS(&r) else { return stringOverrun(r) }
        guard let x1 = r.readU32LE(), r.remaining >= 4 else { return truncated(r) }
        let ip = IPAddress.ipv4(r.bytes, at: r.position)
        _ = r.skip(4)
        guard let mode = r.readU8(), let status = r.readU32LE() else { return truncated(r) }
        let login = ICQLogin(
            time: time, tcpPort: port, password: password, x1: x1, lanIP: ip, connectionMode: mode,
            status: status, dcVersion: r.readU32LE())
        return (.login(login), nil)
    }

    private static func uinList(_ r: inout ByteReader) -> Outcome {
        guard let count = r.readU8() else { return truncated(r) }
        let offset = r.position
        guard r.skip(4 * Int(count)) else {
            return (.undecoded, Malformation(.icq, at: offset, "uin_list_overrun"))
        }
        return (.uinList(ICQUINList(count: Int(count), offset: offset)), nil)
    }

    private static func message(uin: UInt32, _ r: inout ByteReader) -> Outcome {
        guard let type = r.readU16LE() else { return truncated(r) }
        guard let text = readLNTS(&r) else { return stringOverrun(r) }
        return (.message(ICQMessage(uin: uin, type: type, text: text)), nil)
    }

    private static func tcpRequest(_ r: inout ByteReader) -> Outcome {
        guard let uin = r.readU32LE(), r.remaining >= 4 else { return truncated(r) }
        let ip = IPAddress.ipv4(r.bytes, at: r.position)
        _ = r.skip(4)
        guard let port = r.readU32LE() else { return truncated(r) }
        return (.tcpRequest(ICQTCPRequest(uin: uin, ip: ip, port: port)), nil)
    }

    // MARK: Server replies

    private static func server(_ h: ICQHeader, _ r: inout ByteReader) -> Outcome {
        switch h.command {
        case Server.loginReply:
            return loginReply(h, &r)
        case Server.userOnline, Server.randomUser:
            return userOnline(&r)
        case Server.userOffline, Server.invalidUIN:
            guard let uin = r.readU32LE() else { return truncated(r) }
            return (h.command == Server.userOffline ? .userOffline(uin: uin) : .uin(uin), nil)
        case Server.statusUpdate:
            guard let uin = r.readU32LE(), let status = r.readU32LE() else { return truncated(r) }
            return (.status(uin: uin, status: status), nil)
        case Server.systemDeliveredMessage:
            guard let uin = r.readU32LE() else { return truncated(r) }
            return message(uin: uin, &r)
        case Server.receiveMessage:
            guard let uin = r.readU32LE(), let year = r.readU16LE(), let month = r.readU8(),
                let day = r.readU8(), let hour = r.readU8(), let minute = r.readU8()
            else { return truncated(r) }
            var outcome = message(uin: uin, &r)
            if case .message(var m) = outcome.body {
                m.sentYear = year
                m.sentMonth = month
                m.sentDay = day
                m.sentHour = hour
                m.sentMinute = minute
                outcome.body = .message(m)
            }
            return outcome
        case Server.metaUser:
            guard let sub = r.readU16LE() else { return truncated(r) }
            let result = r.readU8()
            return (.meta(ICQMeta(subcommand: sub, result: result, dataOffset: r.position)), nil)
        case Server.multiPacket:
            return multi(&r)
        case Server.userFound, Server.infoReply:
            // USER_FOUND, INFO_REPLY (v2: a sequence u16 first).
            if h.version == 2 && h.command == Server.infoReply, !r.skip(2) { return truncated(r) }
            guard let uin = r.readU32LE() else { return truncated(r) }
            return userRecord(uin: uin, withAuthorization: true, &r)
        case Server.endOfSearch:
            return (.endOfSearch(more: r.readU8() ?? 0), nil)
        case Server.tcpRequest:
            return tcpRequest(&r)
        case Server.loginError:
            guard let text = readLNTS(&r) else { return stringOverrun(r) }
            return (.textCode(text: text, x1: nil), nil)
        default:
            return r.isAtEnd ? (.none, nil) : (.undecoded, nil)
        }
    }

    private static func loginReply(_ h: ICQHeader, _ r: inout ByteReader) -> Outcome {
        let start = r.position
        if h.version == 2 {
            // v2 (icq091.txt): USER_UIN, USER_IP, LOGIN_SEQ, …
            guard r.remaining >= 8 else { return truncated(r) }
            return (.loginReply(ICQLoginReply(externalIP: .ipv4(r.bytes, at: start + 4), keepAliveHint: nil)), nil)
        }
        // v3/v5: 12 bytes whose meaning is uncertain (iserverd: keep-alive interval − 10 at +4),
        // then the client's address as the server sees it at +0x0C (Wireshark, climm).
        guard r.remaining >= 16 else { return truncated(r) }
        let reply = ICQLoginReply(
            externalIP: .ipv4(r.bytes, at: start + 12), keepAliveHint: r.bytes.u16LE(at: start + 4))
        return (.loginReply(reply), nil)
    }

    private static func userOnline(_ r: inout ByteReader) -> Outcome {
        let s = r.position
        // UIN, external IP, port, LAN IP, mode are the certain prefix (v2 doc, iserverd, climm).
        guard r.remaining >= 0x11 else { return truncated(r) }
        let b = r.bytes
        let online = ICQUserOnline(
            uin: b.u32LE(at: s), externalIP: .ipv4(b, at: s + 4), tcpPort: b.u32LE(at: s + 8),
            lanIP: .ipv4(b, at: s + 0x0C), connectionMode: b[s + 0x10],
            // Status is a u32 at +0x11 (Wireshark reads a u16 at +0x13: its flags half).
            status: r.remaining >= 0x15 ? b.u32LE(at: s + 0x11) : nil,
            dcVersion: r.remaining >= 0x19 ? b.u32LE(at: s + 0x15) : nil)
        return (.userOnline(online), nil)
    }

    private static func multi(_ r: inout ByteReader) -> Outcome {
        guard let count = r.readU8() else { return truncated(r) }
        let first = r.position
        for _ in 0..<count {
            let at = r.position
            guard let length = r.readU16LE(), r.skip(Int(length)) else {
                return (.undecoded, Malformation(.icq, at: at, "multi_packet_overrun"))
            }
        }
        return (.multi(ICQMultiPacket(count: Int(count), firstEntryOffset: first)), nil)
    }

    private static func userRecord(uin: UInt32?, withAuthorization: Bool, _ r: inout ByteReader) -> Outcome {
        guard let nick = readLNTS(&r), let first = readLNTS(&r), let last = readLNTS(&r),
            let email = readLNTS(&r)
        else { return stringOverrun(r) }
        let record = ICQUserRecord(
            uin: uin, nick: nick, first: first, last: last, email: email,
            authorization: withAuthorization ? r.readU8() : nil)
        return (.userRecord(record), nil)
    }

    // MARK: Primitives

    /// 4 random bytes, or 2 where a client sends only 2 (mICQ's CMD_ACK_MESSAGES), or none.
    private static func readRandom(_ r: inout ByteReader) -> UInt32? {
        if let v = r.readU32LE() { return v }
        if let v = r.readU16LE() { return UInt32(v) }
        return nil
    }

    /// An LNTS string: u16 LE length including the NUL, the bytes, the NUL. The view excludes the
    /// NUL (tolerating a missing one). nil if the length overruns the packet.
    static func readLNTS(_ r: inout ByteReader) -> ICQText? {
        let start = r.position
        guard let length = r.readU16LE() else { return nil }
        let offset = r.position
        guard r.skip(Int(length)) else {
            r.position = start
            return nil
        }
        var textLength = Int(length)
        if textLength > 0 && r.bytes[offset + textLength - 1] == 0 { textLength -= 1 }
        return ICQText(offset: offset, length: textLength)
    }

    private static func truncated(_ r: ByteReader) -> Outcome {
        (.undecoded, Malformation(.icq, at: r.position, "truncated_body"))
    }

    private static func stringOverrun(_ r: ByteReader) -> Outcome {
        (.undecoded, Malformation(.icq, at: r.position, "string_overrun"))
    }
}
