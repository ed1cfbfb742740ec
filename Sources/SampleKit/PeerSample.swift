/// `peer-file-transfer.pcapng`: an ICQ direct connection, TCP v8, seen on the client's LAN
/// (docs/protocol.md#peer). UIN 1001 (192.168.1.2, behind NAT 203.0.113.5, listening on 3456) calls
/// peer A (UIN 1002) at the port it advertised, 198.51.100.20:3457: PEER_INIT and INIT_ACK each
/// way, PEER_INIT2 each way, a text message each way with its ack, a file request and the ack
/// that accepts it naming port 5001; then a file-transfer sub-connection to 198.51.100.20:5001
/// (PEER_INIT and acks, init, init ack, file info, start) carries `notes.txt`, 3000 bytes, in two
/// data packets (the first spans two TCP segments). Messages are obfuscated as a client does.
public enum PeerSample {
    public static let version: UInt16 = 8
    public static let clientUIN: UInt32 = 1001
    public static let clientIP: UInt32 = 0xC0A8_0102
    public static let natIP: UInt32 = 0xCB00_7105
    public static let clientListenPort: UInt16 = 3456
    /// The DC cookie peer A published in its DC info (TLV 0x0C), echoed in PEER_INIT.
    public static let cookie: UInt32 = 0x4C4F_4897
    public static let fileTransferPort: UInt16 = 5001
    public static let textOut = "Here are the notes from Tuesday's meeting."
    public static let textIn = "Thanks, send them over!"
    public static let fileName = "notes.txt"
    public static let fileSize = 3000
    /// The bytes of the sent file: numbered text lines.
    public static var fileBytes: [UInt8] {
        var text = ""
        var line = 1
        while text.utf8.count < fileSize {
            text += "\(line). Firewall notes: allow TCP to the peer's advertised DC port.\n"
            line += 1
        }
        return Array(text.utf8.prefix(fileSize))
    }

    public static func pcapng(seed: UInt64 = 12) -> [UInt8] {
        var net = SampleTCPNetwork(seed: seed, start: 1_732_460_520 * ICQSessionScript.second)
        let peer = ICQScenarios.peerA
        net.addHost(clientIP, ttl: 128)
        net.addHost(peer.externalIP, ttl: 113)
        let rtt = 0.071

        func peerInit(fromClient: Bool) -> [UInt8] {
            fromClient
                ? PeerBytes.peerInit(version: version, destinationUIN: peer.uin, port: clientListenPort, uin: clientUIN,
                                     externalIP: natIP, internalIP: clientIP, cookie: cookie)
                : PeerBytes.peerInit(version: version, destinationUIN: clientUIN, port: peer.tcpPort, uin: peer.uin,
                                     externalIP: peer.externalIP, internalIP: peer.lanIP, cookie: cookie)
        }

        // The message connection and its handshake.
        var dc = net.connect(from: clientIP, 1034, to: peer.externalIP, peer.tcpPort, rtt: rtt)
        net.send(&dc, fromClient: true, peerInit(fromClient: true), acknowledged: false)
        net.advance(seconds: rtt)
        net.send(&dc, fromClient: false, PeerBytes.initAck + peerInit(fromClient: false), acknowledged: false)
        net.send(&dc, fromClient: true, PeerBytes.initAck + PeerBytes.init2(fromCaller: true), acknowledged: false)
        net.advance(seconds: rtt)
        net.send(&dc, fromClient: false, PeerBytes.init2(fromCaller: false))

        // A text message each way, each acknowledged (v7+ sequences count down from 0xFFFF).
        func message(_ command: UInt16, _ sequence: UInt16, type: UInt16 = 1, text: String, extras: [UInt8]) -> [UInt8] {
            PeerBytes.message(PeerBytes.messageBody(command: command, sequence: sequence, type: type, text: text,
                                                    extras: extras), random: &net.random)
        }
        let msg = PeerMessageCommand.self
        net.advance(seconds: 2.5)
        var m = message(msg.message, 0xFFFF, text: textOut, extras: PeerBytes.colours)
        net.send(&dc, fromClient: true, m, acknowledged: false)
        net.advance(seconds: rtt + 0.15)
        m = message(msg.ack, 0xFFFF, text: "", extras: PeerBytes.colours)
        net.send(&dc, fromClient: false, m, acknowledged: false)
        net.advance(seconds: 5.2)
        m = message(msg.message, 0xFFFF, text: textIn, extras: PeerBytes.colours)
        net.send(&dc, fromClient: false, m, acknowledged: false)
        net.advance(seconds: 0.12)
        m = message(msg.ack, 0xFFFF, text: "", extras: PeerBytes.colours)
        net.send(&dc, fromClient: true, m)

        // The file request, and the ack that accepts it and names the port to connect to.
        net.advance(seconds: 3.0)
        m = message(msg.message, 0xFFFE, type: 3, text: "the notes",
                    extras: PeerBytes.fileExtras(port: 0, name: fileName, size: UInt32(fileSize)))
        net.send(&dc, fromClient: true, m, acknowledged: false)
        net.advance(seconds: rtt + 2.4)
        m = message(msg.ack, 0xFFFE, type: 3, text: "",
                    extras: PeerBytes.fileExtras(port: fileTransferPort, name: "", size: 0))
        net.send(&dc, fromClient: false, m)

        // The file-transfer sub-connection: the sender calls the receiver's announced port.
        var ft = net.connect(from: clientIP, 1035, to: peer.externalIP, fileTransferPort, rtt: rtt)
        net.send(&ft, fromClient: true, peerInit(fromClient: true), acknowledged: false)
        net.advance(seconds: rtt)
        net.send(&ft, fromClient: false, PeerBytes.initAck + peerInit(fromClient: false), acknowledged: false)
        net.send(&ft, fromClient: true, PeerBytes.initAck + PeerBytes.fileInit(files: 1, totalBytes: UInt32(fileSize), nick: "Tom"),
                 acknowledged: false)
        net.advance(seconds: rtt)
        net.send(&ft, fromClient: false, PeerBytes.fileInitAck(nick: "Anna"), acknowledged: false)
        net.send(&ft, fromClient: true, PeerBytes.fileInfo(name: fileName, size: UInt32(fileSize)), acknowledged: false)
        net.advance(seconds: rtt)
        net.send(&ft, fromClient: false, PeerBytes.fileStart(fileIndex: 1), acknowledged: false)
        let file = fileBytes
        net.send(&ft, fromClient: true, PeerBytes.fileData(file[0..<2048]), acknowledged: false)
        net.send(&ft, fromClient: true, PeerBytes.fileData(file[2048...]))
        net.close(&ft)

        net.advance(seconds: 20)
        net.close(&dc)
        return net.render()
    }
}

/// The PEER_MSG commands (docs/protocol.md#peer-messages).
enum PeerMessageCommand {
    static let message: UInt16 = 0x07EE
    static let ack: UInt16 = 0x07DA
}
