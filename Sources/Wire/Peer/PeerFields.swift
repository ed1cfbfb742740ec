import Bytes

/// Names for peer-to-peer code values (no Wireshark dissector exists; these follow licq/climm).
public enum PeerNames {
    public static func command(_ c: UInt16) -> StaticString {
        switch c {
        case PeerMessage.commandMessage: "message"
        case PeerMessage.commandAck: "ack"
        case PeerMessage.commandCancel: "cancel"
        default: "unknown"
        }
    }

    public static func messageType(_ t: UInt16) -> StaticString {
        switch t & 0xFF {
        case 0x01: "text"
        case 0x02: "chat_request"
        case 0x03: "file_request"
        case 0x04: "url"
        case 0x06: "auth_request"
        case 0x0C: "added"
        case 0x13: "contacts"
        case 0x1A: "plugin"
        case 0xE8: "auto_away"
        case 0xE9: "auto_occupied"
        case 0xEA: "auto_na"
        case 0xEB: "auto_dnd"
        case 0xEC: "auto_ffc"
        default: "unknown"
        }
    }

    public static func fileOpcode(_ o: PeerFilePacket.Opcode) -> StaticString {
        switch o {
        case .initialize: "init"
        case .initializeAck: "init_ack"
        case .fileInfo: "file_info"
        case .start: "start"
        case .stop: "stop"
        case .speed: "speed"
        case .data: "data"
        }
    }
}

extension PeerPDU {
    /// Visits the PDU's fields, named `icq.peer.*` (see the README's field table). `frame` is the
    /// bytes given to `PeerConnection.consume` (from the 2-byte length on); decrypted text is read
    /// from `scratch`, so visit before the next decryption.
    public func visitFields<V: FieldVisitor>(
        frame: UnsafeRawBufferPointer, scratch: PeerScratch, into v: inout V
    ) {
        let payload = UnsafeRawBufferPointer(rebasing: frame[min(2, frame.count)..<min(length, frame.count)])
        switch content {
        case .initPacket(let i):
            v.visit("icq.peer.type", .name("init"))
            v.visit("icq.peer.length", .unsigned(UInt64(length - 2)))
            v.visit("icq.peer.version", .unsigned(UInt64(i.version)))
            v.visit("icq.peer.uin", .unsigned(UInt64(i.uin)))
            // The init.* fields stay together: a JSON writer nests them into one object.
            if let d = i.destinationUIN { v.visit("icq.peer.init.dst_uin", .unsigned(UInt64(d))) }
            v.visit("icq.peer.init.port", .unsigned(UInt64(i.listenPort)))
            v.visit("icq.peer.init.ip", .address(i.externalIP))
            v.visit("icq.peer.init.realip", .address(i.internalIP))
            v.visit("icq.peer.init.mode", .unsigned(UInt64(i.mode)))
            v.visit("icq.peer.init.port2", .unsigned(UInt64(i.listenPort2)))
            if let c = i.cookie { v.visit("icq.peer.init.cookie", .unsigned(UInt64(c))) }
            if let c = i.connectionID { v.visit("icq.peer.init.conn_id", .unsigned(UInt64(c))) }
        case .initAck:
            v.visit("icq.peer.type", .name("init_ack"))
        case .init2(let i):
            v.visit("icq.peer.type", .name("init2"))
            v.visit("icq.peer.init2.direction", .unsigned(UInt64(i.direction)))
        case .message(let m):
            let plain = isDecrypted ? scratch.plaintext(count: length - 2) : payload
            func text(_ r: Range<Int>) -> FieldValue {
                .text(UnsafeRawBufferPointer(rebasing: plain[r]), m.isUTF8 ? .utf8 : .localCodePage)
            }
            v.visit("icq.peer.type", .name("message"))
            v.visit("icq.peer.command", .unsigned(UInt64(m.command)))
            v.visit("icq.peer.command_name", .name(PeerNames.command(m.command)))
            if let c = m.checkcode { v.visit("icq.peer.checkcode", .unsigned(UInt64(c))) }
            if let c = m.checkValid { v.visit("icq.peer.checkcode_valid", .bool(c)) }
            if let u = m.uin { v.visit("icq.peer.uin", .unsigned(UInt64(u))) }
            v.visit("icq.peer.seq", .unsigned(UInt64(m.sequence)))
            v.visit("icq.peer.msg_type", .unsigned(UInt64(m.messageType)))
            v.visit("icq.peer.msg_type_name", .name(PeerNames.messageType(m.messageType)))
            v.visit("icq.peer.status", .unsigned(UInt64(m.status)))
            v.visit("icq.peer.flags", .unsigned(UInt64(m.flags)))
            if let (description, url) = m.urlParts(plain) {
                v.visit("icq.peer.url_description", text(description))
                v.visit("icq.peer.url", text(url))
            } else {
                v.visit("icq.peer.text", text(m.text))
            }
            if let p = m.pluginName { v.visit("icq.peer.plugin", .text(UnsafeRawBufferPointer(rebasing: plain[p]), .ascii)) }
            if let p = m.plugin {
                v.visit("icq.peer.plugin_guid_name", .name(p.id))
                if p.isExternalApplication { v.visit("icq.peer.external_application", .bool(true)) }
            }
            if let t = m.pluginText { v.visit("icq.peer.plugin_text", text(t)) }
            if let f = m.fileName { v.visit("icq.peer.file.name", text(f)) }
            if let s = m.fileSize { v.visit("icq.peer.file.size", .unsigned(UInt64(s))) }
            if let p = m.port { v.visit("icq.peer.port", .unsigned(UInt64(p))) }
        case .file(let f):
            v.visit("icq.peer.type", .name("file"))
            v.visit("icq.peer.file.opcode", .unsigned(UInt64(f.opcode.rawValue)))
            v.visit("icq.peer.file.opcode_name", .name(PeerNames.fileOpcode(f.opcode)))
            if let c = f.fileCount { v.visit("icq.peer.file.count", .unsigned(UInt64(c))) }
            if let n = f.fileName { v.visit("icq.peer.file.name", .text(UnsafeRawBufferPointer(rebasing: payload[n]), .localCodePage)) }
            if let b = f.byteCount {
                v.visit(f.opcode == .initialize ? "icq.peer.file.total" : "icq.peer.file.size", .unsigned(UInt64(b)))
            }
            if let s = f.speed { v.visit("icq.peer.file.speed", .unsigned(UInt64(s))) }
            if let n = f.nick { v.visit("icq.peer.file.nick", .text(UnsafeRawBufferPointer(rebasing: payload[n]), .localCodePage)) }
            if let o = f.resumeOffset { v.visit("icq.peer.file.offset", .unsigned(UInt64(o))) }
            if let i = f.fileIndex { v.visit("icq.peer.file.index", .unsigned(UInt64(i))) }
            if f.opcode == .data { v.visit("icq.peer.file.data_length", .unsigned(UInt64(f.dataLength))) }
        case .chatSetup:
            v.visit("icq.peer.type", .name("chat_setup"))
        case .chatData:
            v.visit("icq.peer.type", .name("chat_data"))
            v.visit("icq.peer.length", .unsigned(UInt64(length)))
        }
    }
}
