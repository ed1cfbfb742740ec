/// The v5 command codes the lab peers speak (docs/protocol.md#classic-client-commands,
/// #classic-server-commands). Names for the logs come from the project's decoder tables
/// (`ICQCommandNames`).
enum V5 {
    // Client → server
    static let ack: UInt16 = 0x000A
    static let sendMessage: UInt16 = 0x010E
    static let login: UInt16 = 0x03E8
    static let contactList: UInt16 = 0x0406
    static let keepAlive: UInt16 = 0x042E
    static let sendTextCode: UInt16 = 0x0438
    static let login1: UInt16 = 0x044C

    // Server → client
    static let srvAck: UInt16 = 0x000A
    static let srvLoginReply: UInt16 = 0x005A
    static let srvUserOnline: UInt16 = 0x006E
    static let srvUserOffline: UInt16 = 0x0078
    static let srvNotConnected: UInt16 = 0x00F0
    static let srvDeliveredMessage: UInt16 = 0x0104

    /// The log-off text of CMD_SEND_TEXT_CODE.
    static let logoffText = "B_USER_DISCONNECTED"
}
