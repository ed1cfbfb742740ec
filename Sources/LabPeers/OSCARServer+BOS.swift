/// The BOS server: sign-on with the cookie, the parameter exchanges a client waits for, buddy
/// arrival and departure, and the relay of messages.
extension OSCARServer {
    /// The families the BOS server offers (01,03) with the versions it answers in 01,18.
    static let families: [UInt16] = [0x01, 0x02, 0x03, 0x04, 0x09, 0x13, 0x15]

    func signOnWithCookie(_ connection: Connection, _ data: ArraySlice<UInt8>) {
        let cookie = OSCARWire.tlvs(data.dropFirst(4))?.first(where: { $0.type == 6 }).map { Array($0.value) }
        guard let cookie, let name = cookies.removeValue(forKey: cookie) else {
            return drop(connection, "unknown cookie")
        }
        connection.screenName = name
        log.event("\(name): BOS sign-on with the cookie from \(connection.peer)")
        sendSNAC(connection, 0x01, 0x03, Self.families.flatMap(OSCARWire.u16))
    }

    func bosSNAC(_ connection: Connection, _ family: UInt16, _ subtype: UInt16, id: UInt32, _ body: ArraySlice<UInt8>) {
        let name = connection.screenName ?? "?"
        switch (family, subtype) {
        case (0x01, 0x17):  // versions: the same back
            sendSNAC(connection, 0x01, 0x18, id: id, Array(body))
        case (0x01, 0x06):  // rate classes: one class for everything, generous
            let rateClass = OSCARWire.u16(1) + [0x50, 0x9C4, 0x7D0, 0x5DC, 0x320, 0x1770, 0x1770].flatMap(OSCARWire.u32)
                + [0, 0, 0, 0, 0]
            sendSNAC(connection, 0x01, 0x07, id: id, OSCARWire.u16(1) + rateClass + OSCARWire.u16(1) + OSCARWire.u16(0))
        case (0x01, 0x0E):  // own user info
            sendSNAC(connection, 0x01, 0x0F, id: id, OSCARWire.userInfo(name, tlvs: [
                OSCARWire.tlv(1, OSCARWire.u16(0x50)), OSCARWire.tlv(0x0A, OSCARWire.u32(connection.peer.address)),
            ]))
        case (0x02, 0x02):  // location rights: max profile length, max capabilities
            sendSNAC(connection, 0x02, 0x03, id: id, OSCARWire.tlv(1, OSCARWire.u16(0x400)) + OSCARWire.tlv(2, OSCARWire.u16(0x10)))
        case (0x03, 0x02):  // buddy list rights: max buddies, max watchers
            sendSNAC(connection, 0x03, 0x03, id: id, OSCARWire.tlv(1, OSCARWire.u16(600)) + OSCARWire.tlv(2, OSCARWire.u16(1000)))
        case (0x04, 0x04):  // ICBM parameters: channel, flags, max length, max warnings, min interval
            sendSNAC(connection, 0x04, 0x05, id: id, OSCARWire.u16(2) + OSCARWire.u32(0x0B) + OSCARWire.u16(8000)
                + OSCARWire.u16(999) + OSCARWire.u16(999) + OSCARWire.u32(0))
        case (0x09, 0x02):  // privacy rights: max permits, max denies
            sendSNAC(connection, 0x09, 0x03, id: id, OSCARWire.tlv(1, OSCARWire.u16(160)) + OSCARWire.tlv(2, OSCARWire.u16(160)))
        case (0x13, 0x04), (0x13, 0x05):  // the server-stored buddy list
            sendSNAC(connection, 0x13, 0x06, id: id, buddyList(of: name))
        case (0x01, 0x1E):  // status, and DC info when the client gives one
            let tlvs = OSCARWire.tlvs(body) ?? []
            if let status = tlvs.first(where: { $0.type == 6 }), let value = OSCARWire.readU32(status.value, 0) { connection.status = value }
            if let dc = tlvs.first(where: { $0.type == 0x0C }) { connection.dcInfo = Array(dc.value) }
            log.event("\(name): status 0x\(String(connection.status, radix: 16))\(connection.dcInfo == nil ? ", no DC info" : ", DC info")")
            if connection.signedOn { announce(connection) }
        case (0x01, 0x02):  // client ready: signed on
            connection.signedOn = true
            log.event("\(name): client ready (01,02): signed on")
            announce(connection)
            for buddy in configuration.buddies[name] ?? [] {
                if let other = online(buddy) { sendSNAC(connection, 0x03, 0x0B, arrival(of: other)) }
            }
        case (0x04, 0x06):
            relay(connection, body)
        default:
            break  // acks, privacy settings, typing notifications, offline messages: nothing to answer
        }
    }

    /// SNAC(13,06): version 0, one group "Buddies" (group id 1), the buddies in it, timestamp.
    private func buddyList(of name: String) -> [UInt8] {
        let buddies = configuration.buddies[name] ?? []
        func item(_ itemName: String, group: UInt16, id: UInt16, type: UInt16) -> [UInt8] {
            let bytes = Array(itemName.utf8)
            return OSCARWire.u16(UInt16(bytes.count)) + bytes + OSCARWire.u16(group) + OSCARWire.u16(id) + OSCARWire.u16(type) + OSCARWire.u16(0)
        }
        var items = item("Buddies", group: 1, id: 0, type: 1)
        for (index, buddy) in buddies.enumerated() { items += item(buddy, group: 1, id: UInt16(index + 1), type: 0) }
        return [0] + OSCARWire.u16(UInt16(buddies.count + 1)) + items + OSCARWire.u32(0)
    }

    func online(_ name: String) -> Connection? {
        connections.values.first { $0.isBOS && $0.signedOn && $0.screenName == name }
    }

    /// Those who list `name` among their buddies and are signed on.
    private func watchers(of name: String) -> [Connection] {
        connections.values.filter { $0.isBOS && $0.signedOn && (configuration.buddies[$0.screenName ?? ""] ?? []).contains(name) }
    }

    /// SNAC(03,0B)'s user info: class, status, the address the server sees, and DC info (TLV
    /// 0x0C): the client's own when it set one (01,1E), otherwise the address it signed on from,
    /// port 0 and DC type 0 (no direct connections), as a server fills in for a client that
    /// offered none.
    private func arrival(of connection: Connection) -> [UInt8] {
        let dcInfo = connection.dcInfo ?? OSCARWire.u32(connection.peer.address) + OSCARWire.u32(0) + [0]
            + OSCARWire.u16(8) + [UInt8](repeating: 0, count: 26)
        return OSCARWire.userInfo(connection.screenName ?? "", tlvs: [
            OSCARWire.tlv(1, OSCARWire.u16(0x50)), OSCARWire.tlv(6, OSCARWire.u32(connection.status)),
            OSCARWire.tlv(0x0A, OSCARWire.u32(connection.peer.address)), OSCARWire.tlv(0x0C, dcInfo),
        ])
    }

    private func announce(_ connection: Connection) {
        for watcher in watchers(of: connection.screenName ?? "") {
            log.event("\(connection.screenName ?? "?") arrives at \(watcher.screenName ?? "?") (03,0B)")
            sendSNAC(watcher, 0x03, 0x0B, arrival(of: connection))
        }
    }

    func departed(_ connection: Connection) {
        let name = connection.screenName ?? ""
        for watcher in watchers(of: name) {
            log.event("\(name) departs from \(watcher.screenName ?? "?") (03,0C)")
            sendSNAC(watcher, 0x03, 0x0C, OSCARWire.userInfo(name, tlvs: []))
        }
    }

    /// SNAC(04,06) -> (04,07): cookie, channel, the sender's user info, then the message TLVs
    /// (without the sender's own requests: 3, ack wanted; 6, store if offline). An ack (04,0C)
    /// when the sender asked for one; error 4 (recipient offline) when no one is there.
    private func relay(_ connection: Connection, _ body: ArraySlice<UInt8>) {
        let sender = connection.screenName ?? "?"
        guard body.count > 11, let channel = OSCARWire.readU16(body, 8) else { return }
        let nameLength = Int(body[body.startIndex + 10])
        let nameStart = body.startIndex + 11
        guard nameStart + nameLength <= body.endIndex,
              let tlvs = OSCARWire.tlvs(body[(nameStart + nameLength)...]) else { return }
        let recipient = String(decoding: body[nameStart..<nameStart + nameLength], as: UTF8.self)
        let cookie = Array(body.prefix(8))
        guard let target = online(recipient) else {
            log.event("\(sender) -> \(recipient): message (04,06) for someone offline; error (04,01)")
            sendSNAC(connection, 0x04, 0x01, OSCARWire.u16(4))
            return
        }
        let kept = tlvs.filter { $0.type != 3 && $0.type != 6 }.flatMap { OSCARWire.tlv($0.type, Array($0.value)) }
        log.event("\(sender) -> \(recipient): message (04,06) relayed (04,07), channel \(channel)")
        sendSNAC(target, 0x04, 0x07, cookie + OSCARWire.u16(channel) + OSCARWire.userInfo(sender, tlvs: [
            OSCARWire.tlv(1, OSCARWire.u16(0x50)), OSCARWire.tlv(6, OSCARWire.u32(connection.status)),
        ]) + kept)
        if tlvs.contains(where: { $0.type == 3 }) {
            sendSNAC(connection, 0x04, 0x0C, cookie + OSCARWire.u16(channel) + [UInt8(nameLength)] + Array(body[nameStart..<nameStart + nameLength]))
        }
    }
}
