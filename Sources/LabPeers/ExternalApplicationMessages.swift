import SampleKit
import Wire

/// ICQ's External plugin over a v7/v8 direct connection (docs/protocol.md#peer-plugins): the
/// caller proposes an external application (voice, video, games) with a plugin message (type
/// 0x1A) naming the External plugin's GUID; the callee accepts with an acknowledgement whose
/// plugin data names the port it listens on for the application, in the layout climm answers
/// every plugin message with; the caller then connects to that port.
///
/// The plugin name and the proposal's text are the lab's own: no source shows what the External
/// plugin writes there (the GUID is what names the plugin).
enum ExternalApplicationMessages {
    static let pluginName = "External Application"
    static let message: UInt16 = 0x07EE
    static let ack: UInt16 = 0x07DA

    /// The proposal: a PEER_MSG frame payload (0x02, then the obfuscated message).
    static func request(sequence: UInt16, text: String) -> [UInt8] {
        peerMessage(command: message, sequence: sequence, extras: pluginExtras(text: text, data: []))
    }

    /// The acknowledgement that accepts, naming `port`: port u16 BE, u16 0, LNTS "", u32 0,
    /// port u32 LE.
    static func accept(sequence: UInt16, port: UInt16) -> [UInt8] {
        var data = LEWriter()
        data.bytes += [UInt8(port >> 8), UInt8(port & 0xFF)]
        data.u16(0)
        data.u16(1)
        data.u8(0)
        data.u32(0)
        data.u32(UInt32(port))
        return peerMessage(command: ack, sequence: sequence, extras: pluginExtras(text: "", data: data.bytes))
    }

    /// A received PEER_MSG frame payload, decoded, when it is an External plugin message.
    static func parse(_ payload: [UInt8], scratch: PeerScratch) -> PeerMessage? {
        guard payload.first == 0x02, payload.count > 1 else { return nil }
        return payload.withUnsafeBytes { raw -> PeerMessage? in
            let region = UnsafeRawBufferPointer(rebasing: raw[1...])
            guard PeerCipher.decrypt(region, version: 8, into: scratch)?.isValid == true,
                  case .message(let m) = PeerMessage.parseV6(scratch.plaintext(count: region.count), version: 8),
                  m.plugin == .external
            else { return nil }
            return m
        }
    }

    /// Plugin header (length, GUID, u16 0, u32 + name, 15 bytes as Licq and climm write them),
    /// the length of the rest, u32 + text, the plugin data.
    static func pluginExtras(text: String, data: [UInt8]) -> [UInt8] {
        var w = LEWriter()
        w.u16(UInt16(16 + 2 + 4 + pluginName.utf8.count + 15))
        w.bytes += PeerPlugin.external.guid
        w.u16(0)
        w.u32(UInt32(pluginName.utf8.count))
        w.bytes += Array(pluginName.utf8)
        w.bytes += [0x00, 0x00, 0x01, 0x00, 0x00, 0x01] + [UInt8](repeating: 0, count: 9)
        w.u32(UInt32(4 + text.utf8.count + data.count))
        w.u32(UInt32(text.utf8.count))
        w.bytes += Array(text.utf8)
        return w.bytes + data
    }

    /// A v8 PEER_MSG: check code, command, header length 0x0E, sequence, 12 zero bytes, type
    /// 0x1A, status 0, flags 1, empty LNTS text, extras; obfuscated as a client sends it (the
    /// sender's side of docs/protocol.md#peer-cipher, SampleKit's, which the samples use).
    static func peerMessage(command: UInt16, sequence: UInt16, extras: [UInt8]) -> [UInt8] {
        var w = LEWriter()
        w.u32(0)
        w.u16(command)
        w.u16(0x000E)
        w.u16(sequence)
        w.bytes += [UInt8](repeating: 0, count: 12)
        w.u16(0x1A)
        w.u16(0)
        w.u16(1)
        w.u16(1)
        w.u8(0)
        let body = w.bytes + extras
        var random = SystemRandomNumberGenerator()
        let m1 = 10 + Int(random.next() % UInt64(min(body.count, 255) - 10))
        let x2 = Int(random.next() % 220)
        return [0x02] + PeerObfuscation.encrypt(body, m1: m1, x2: x2)
    }
}
