import Bytes
import Testing
@testable import Wire

/// Plugin messages (type 0x1A, docs/protocol.md#peer-plugins): plaintexts built byte by byte as
/// Licq and climm write them, decoded from the check code on (`parseV6`); the GUID table against
/// the bytes Licq writes and the GUID of the real ICQ 2003b message.
struct PeerPluginTests {
    /// The v6+ PEER_MSG plaintext from the check code: header length 0x0E, sequence, 12 zero
    /// bytes, type 0x1A, status, flags 1, an empty LNTS text; then `extras`.
    static func plaintext(command: UInt16, status: UInt16, extras: [UInt8]) -> [UInt8] {
        var b: [UInt8] = [0, 0, 0, 0]
        b += le16(command) + le16(0x000E) + le16(0xFFFD) + [UInt8](repeating: 0, count: 12)
        b += le16(0x1A) + le16(status) + le16(1) + [0x01, 0x00, 0x00]
        return b + extras
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * UInt32($0)) & 0xFF) } }
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

    /// Header length, GUID, u16 0, u32 + name, the 15 bytes both sources write.
    static func header(guid: [UInt8], name: String) -> [UInt8] {
        le16(UInt16(16 + 2 + 4 + name.utf8.count + 15)) + guid + [0, 0] + le32(UInt32(name.utf8.count)) + Array(name.utf8)
            + [0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    }

    static func parse(_ bytes: [UInt8]) -> PeerMessage? {
        bytes.withUnsafeBytes {
            guard case .message(let m) = PeerMessage.parseV6($0, version: 8) else { return nil }
            return m
        }
    }

    // Licq's chat plugin GUID (CPT_ChatRequest: BFF720B2 378ED411 BD280004 AC96D905) and its file
    // plugin GUID (CPU_AckFileAccept: F02D12D9 3091D311 8DD70010 4B06462E).
    static let licqChat: [UInt8] = [0xBF, 0xF7, 0x20, 0xB2, 0x37, 0x8E, 0xD4, 0x11, 0xBD, 0x28, 0x00, 0x04, 0xAC, 0x96, 0xD9, 0x05]
    static let licqFile: [UInt8] = [0xF0, 0x2D, 0x12, 0xD9, 0x30, 0x91, 0xD3, 0x11, 0x8D, 0xD7, 0x00, 0x10, 0x4B, 0x06, 0x46, 0x2E]
    /// Shutko's External plugin {393436BC-07A4-40A2-900C-35A9F003BE09}, first three groups LE.
    static let external: [UInt8] = [0xBC, 0x36, 0x34, 0x39, 0xA4, 0x07, 0xA2, 0x40, 0x90, 0x0C, 0x35, 0xA9, 0xF0, 0x03, 0xBE, 0x09]

    @Test func theTableMatchesLicqAndTheRealICQ2003bMessage() {
        func identify(_ g: [UInt8]) -> PeerPlugin? { g.withUnsafeBytes { PeerPlugin.identify($0) } }
        #expect(identify(Self.licqChat) == .chat)
        #expect(identify(Self.licqFile) == .fileTransfer)
        // Licq's PLUGIN_PHONExBOOK and PLUGIN_STATUSxMANAGER.
        #expect(identify([0x90, 0x7C, 0x21, 0x2C, 0x91, 0x4D, 0xD3, 0x11, 0xAD, 0xEB, 0x00, 0x04, 0xAC, 0x96, 0xAA, 0xB2]) == .phoneInfo)
        #expect(identify([0x10, 0xCF, 0x40, 0xD1, 0x4F, 0xE9, 0xD3, 0x11, 0xBC, 0xD2, 0x00, 0x04, 0xAC, 0x96, 0xDD, 0x96]) == .statusManager)
        // The real ICQ 2003b message (docs/protocol.md#test-vectors): BE6B7305-0FC2-104F-A6DE-4DB1E3564B0E as it lies on the wire.
        #expect(identify([0xBE, 0x6B, 0x73, 0x05, 0x0F, 0xC2, 0x10, 0x4F, 0xA6, 0xDE, 0x4D, 0xB1, 0xE3, 0x56, 0x4B, 0x0E]) == .message)
        #expect(identify(Self.external) == .external)
        #expect(PeerPlugin.external.isExternalApplication && !PeerPlugin.chat.isExternalApplication)
        // Licq's PLUGIN_NORMAL (zeros) and an OSCAR capability are no plugin.
        #expect(identify([UInt8](repeating: 0, count: 16)) == nil)
        #expect(identify([0x09, 0x46, 0x13, 0x41, 0x4C, 0x7F, 0x11, 0xD1, 0x82, 0x22, 0x44, 0x45, 0x53, 0x54, 0x00, 0x00]) == nil)
    }

    /// Licq's CPT_AckChatAccept through the chat plugin: u32 15 + clients, u32 0, LNTS clients,
    /// port u16 BE, u16 0, port u16 LE, u16 0.
    @Test func licqChatPluginAckAnnouncesItsPort() throws {
        let data = le32(15) + le32(0) + [0x01, 0x00, 0x00] + Self.be16(5100) + [0, 0] + Self.le16(5100) + [0, 0]
        let bytes = Self.plaintext(command: 0x07DA, status: 0, extras: Self.header(guid: Self.licqChat, name: "Send / Start ICQ Chat") + data)
        let m = try #require(Self.parse(bytes))
        #expect(m.plugin == .chat)
        #expect(m.port == 5100)
        #expect(Array(bytes[try #require(m.pluginName)]) == Array("Send / Start ICQ Chat".utf8))
    }

    /// Licq's CPU_AckFileAccept: u32 19 + desc + file, u32 desc, desc, port u16 BE, u16 0, LNTS
    /// file, size, port u32 LE.
    @Test func licqFilePluginAckAnnouncesItsPort() throws {
        let data = le32(19 + 2 + 5) + le32(2) + Array("ok".utf8) + Self.be16(5001) + [0, 0]
            + Self.le16(6) + Array("a.txt".utf8) + [0] + le32(3000) + le32(5001)
        let bytes = Self.plaintext(command: 0x07DA, status: 0, extras: Self.header(guid: Self.licqFile, name: "File") + data)
        let m = try #require(Self.parse(bytes))
        #expect(m.plugin == .fileTransfer)
        #expect(m.port == 5001)
        #expect(m.fileSize == 3000)
        #expect(Array(bytes[try #require(m.pluginText)]) == Array("ok".utf8))
    }

    /// The External plugin's accepting ack in climm's layout for every plugin acknowledgement:
    /// port u16 BE, u16 0, LNTS, u32, port u32 LE. The request names no port.
    @Test func externalPluginAckAnnouncesAPortAndTheRequestNone() throws {
        let ackData = le32(4 + 0 + 15) + le32(0) + Self.be16(4022) + [0, 0] + [0x01, 0x00, 0x00] + le32(0) + le32(4022)
        let ack = try #require(Self.parse(Self.plaintext(command: 0x07DA, status: 0,
                                                         extras: Self.header(guid: Self.external, name: "X") + ackData)))
        #expect(ack.plugin == .external)
        #expect(ack.port == 4022)
        let request = try #require(Self.parse(Self.plaintext(command: 0x07EE, status: 0,
                                                             extras: Self.header(guid: Self.external, name: "X") + le32(8) + le32(4) + Array("play".utf8))))
        #expect(request.plugin == .external)
        #expect(request.port == nil)
        // Only the BE port (climm's chat leaves the u32 out): the u16 is taken.
        let short = le32(4 + 7) + le32(0) + Self.be16(4023) + [0, 0] + [0x01, 0x00, 0x00] + le32(0)
        #expect(Self.parse(Self.plaintext(command: 0x07DA, status: 0, extras: Self.header(guid: Self.external, name: "X") + short))?.port == 4023)
    }

    /// A plugin header cut short decodes what it can and never reads past the packet.
    @Test func truncatedPluginHeadersAreSafe() {
        let full = Self.plaintext(command: 0x07DA, status: 0, extras: Self.header(guid: Self.external, name: "External") + le32(4) + le32(0))
        // 31 bytes before the extras; the header (45 bytes after its length) is read whole or not at all.
        let headerEnd = 31 + 2 + 45
        for cut in 31...full.count {
            let m = Self.parse(Array(full.prefix(cut)))
            #expect(m != nil)
            #expect(m?.port == nil)
            #expect((m?.plugin == .external) == (cut >= headerEnd), "cut at \(cut)")
        }
    }

    func le32(_ v: UInt32) -> [UInt8] { Self.le32(v) }
}
