import Wire
#if canImport(Glibc)
import Glibc
#endif

/// The lab client's TCP side: direct connections to and from peers, and the SOCKS5 proxy it
/// may send its UDP through.
extension V5Client {
    // MARK: Direct connections

    var identity: DirectHandshake.Identity {
        DirectHandshake.Identity(
            uin: configuration.uin, listenPort: UInt32(configuration.tcpPort),
            externalIP: externalIP == 0 ? configuration.bind.address : externalIP, lanIP: configuration.bind.address,
            cookie: 0x4C4F_4897)
    }

    func callPeer(_ uin: UInt32, at target: LabEndpoint) {
        guard loggedIn else { return }
        openPeerConnection(uin, at: target)
    }

    func openPeerConnection(_ uin: UInt32, at target: LabEndpoint) {
        let handshake = DirectHandshake(role: .initiator, version: configuration.dcVersion, me: identity, peerUIN: uin)
        let local = LabEndpoint(address: configuration.bind.address, port: 0)
        if let connection = DirectConnection.open(
            loop: loop, log: log, from: local, to: target, timeout: configuration.connectTimeout, handshake: handshake,
            proxy: configuration.socks4)
        {
            track(connection)
            hookExternalApplications(connection, outgoing: true)
        }
    }

    func acceptPeers() {
        guard let listener else { return }
        while let (stream, remote) = listener.accept() {
            let handshake = DirectHandshake(role: .acceptor, version: configuration.dcVersion, me: identity, peerUIN: 0)
            let connection = DirectConnection.accepted(
                loop: loop, log: log, stream: stream, remote: remote, handshake: handshake,
                timeout: configuration.connectTimeout)
            track(connection)
            hookExternalApplications(connection, outgoing: false)
        }
    }

    func track(_ connection: DirectConnection) {
        peers.append(connection)
        connection.onFinish = { [weak self] finished in self?.peers.removeAll { $0 === finished } }
    }

    // MARK: SOCKS5

    func startSocks(_ proxy: LabEndpoint) {
        let association = Socks5UDPAssociation(proxy: proxy, localUDPPort: socket.local.port)
        self.association = association
        let control: TCPStream
        do {
            control = try TCPStream.connect(from: LabEndpoint(address: configuration.bind.address, port: 0), to: proxy)
        } catch {
            log.event("SOCKS5 proxy \(proxy): \(error)")
            return
        }
        socksControl = control
        log.event("SOCKS5: connecting to proxy \(proxy)")
        let timeout = loop.after(configuration.connectTimeout) { [weak self] in
            guard let self, self.relay == nil else { return }
            self.log.event("SOCKS5: no association within \(self.configuration.connectTimeout) s; giving up")
            self.loop.stop()
        }
        loop.onceWritable(control.fd) { [weak self] in
            guard let self else { return }
            if let error = control.connectError() {
                self.log.event("SOCKS5: connect to \(proxy) failed: \(error)")
                self.loop.cancel(timeout)
                self.loop.stop()
                return
            }
            control.write(association.greeting())
            self.loop.onReadable(control.fd) { [weak self] in self?.socksReadable(timeout: timeout) }
        }
    }

    func socksReadable(timeout: Int) {
        guard let control = socksControl, let association else { return }
        switch control.read() {
        case .wouldBlock:
            return
        case .closed(let reason):
            loop.remove(control.fd)
            control.close()
            socksControl = nil
            log.event("SOCKS5 control connection ended: \(reason); ICQ continues over the relay")
        case .data(let bytes):
            if let reply = association.receive(bytes) { control.write(reply) }
            switch association.state {
            case .associated(let relay) where self.relay == nil:
                loop.cancel(timeout)
                self.relay = relay
                log.event("SOCKS5 UDP association: relay \(relay), control connection from "
                    + "\(control.localEndpoint?.description ?? "?")")
                if let after = configuration.closeSocksControlAfter {
                    loop.after(after) { [weak self] in self?.closeSocksControl() }
                }
                login()
            case .failed(let reason):
                log.event("SOCKS5: \(reason)")
                loop.stop()
            default:
                break
            }
        }
    }

    func closeSocksControl() {
        guard let control = socksControl else { return }
        loop.remove(control.fd)
        control.close()
        socksControl = nil
        log.event("closed the SOCKS5 control connection (the association ends with it, RFC 1928 §6); "
            + "ICQ keeps using the relay")
    }
}
