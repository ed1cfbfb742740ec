/// Direct (peer-to-peer) connections, TCP v8 (docs/protocol.md#peer): the user calls the contact most
/// recently announced online, at the address and DC port the announcement carried. Most calls
/// are accepted (handshake, PEER_INIT each way, PEER_INIT2 each way, a message and its ack,
/// FINs); one in twenty is refused by the peer with a RST, one in twenty goes unanswered (the
/// Windows SYN retransmissions at 3 and 9 s).
extension GatewayMix {
    static let peerTTL: UInt8 = 116

    func peerEpisode(_ user: Int, at time: Int64) {
        let u = users[user]
        let peer = contact(of: user, u.contact)
        let c = connection(user, to: peer.externalIP, peer.tcpPort, serverTTL: Self.peerTTL)
        // A peer is farther than a server: the other user's own access link and gateway.
        let rtt = u.rtt + 35 * ICQSessionScript.millisecond
        let outcome = randomBelow(20)
        if outcome == 0 {
            send(c, at: time, fromClient: true, [.syn], options: Self.synOptions, .peer)
            send(c, at: time + rtt, fromClient: false, [.rst, .ack], sequence: .zero, .peer)
            return
        }
        if outcome == 1 {
            send(c, at: time, fromClient: true, [.syn], options: Self.synOptions, .peer)
            for offset: Int64 in [3, 9] {
                send(c, at: time + offset * ICQSessionScript.second, fromClient: true, [.syn], options: Self.synOptions,
                     sequence: .isn, .peer)
            }
            return
        }
        let cookie = randomU32()
        let ourInit = PeerBytes.peerInit(version: 8, destinationUIN: peer.uin, port: u.dcPort, uin: u.uin,
                                         externalIP: Self.publicAddress, internalIP: u.address, cookie: cookie)
        let theirInit = PeerBytes.peerInit(version: 8, destinationUIN: u.uin, port: peer.tcpPort, uin: peer.uin,
                                           externalIP: peer.externalIP, internalIP: peer.lanIP, cookie: cookie)
        let message = PeerBytes.message(PeerBytes.messageBody(command: PeerMessageCommand.message, sequence: 0xFFFF,
                                                              type: 1, text: messageText(), extras: PeerBytes.colours),
                                        random: &random)
        let ack = PeerBytes.message(PeerBytes.messageBody(command: PeerMessageCommand.ack, sequence: 0xFFFF, type: 1,
                                                          text: "", extras: PeerBytes.colours),
                                    random: &random)
        var t = handshake(c, at: time, rtt: rtt, .peer)
        send(c, at: t, fromClient: true, [.ack], .peer)
        t += 1_000_000
        send(c, at: t, fromClient: true, [.psh, .ack], .peer, carries: .peer) { ourInit }
        t += rtt
        send(c, at: t, fromClient: false, [.psh, .ack], .peer, carries: .peer) { PeerBytes.initAck + theirInit }
        t += 300_000
        send(c, at: t, fromClient: true, [.psh, .ack], .peer, carries: .peer) {
            PeerBytes.initAck + PeerBytes.init2(fromCaller: true)
        }
        t += rtt
        send(c, at: t, fromClient: false, [.psh, .ack], .peer, carries: .peer) { PeerBytes.init2(fromCaller: false) }
        t += 500 * ICQSessionScript.millisecond
        send(c, at: t, fromClient: true, [.psh, .ack], .peer, carries: .peer) { message }
        t += rtt + 150 * ICQSessionScript.millisecond
        send(c, at: t, fromClient: false, [.psh, .ack], .peer, carries: .peer) { ack }
        t += 1 * ICQSessionScript.second
        send(c, at: t, fromClient: true, [.fin, .ack], .peer)
        t += rtt
        send(c, at: t, fromClient: false, [.fin, .ack], .peer)
        send(c, at: t + 200_000, fromClient: true, [.ack], .peer)
    }
}
