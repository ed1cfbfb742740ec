import Wire

/// The lab client's external applications (the guide's "Voice/Video/games"), over ICQ's External
/// plugin (`ExternalApplicationMessages`): a caller proposes one on every direct connection it
/// opens; a callee accepts, naming the port it listens on for the application; the caller then
/// connects to that port as the application would (a plain TCP connection, abandoned after the
/// connect timeout).
extension V5Client {
    /// The callee's side: listen on the application's port before anyone asks.
    func startExternalApplicationListener() {
        guard configuration.externalApplicationPort != 0 else { return }
        do {
            let listener = try TCPListener(bind: LabEndpoint(address: configuration.bind.address,
                                                             port: configuration.externalApplicationPort))
            externalListener = listener
            log.event("listening for the external application on tcp \(listener.local)")
            loop.onReadable(listener.fd) { [weak self] in
                guard let self, let listener = self.externalListener else { return }
                while let (stream, remote) = listener.accept() {
                    self.log.event("external application connection accepted from \(remote)")
                    stream.close()
                }
            }
        } catch {
            log.event("external application listener on port \(configuration.externalApplicationPort): \(error)")
        }
    }

    /// Hooks a direct connection: the caller proposes once the handshake completes; both sides
    /// answer the other's External plugin messages.
    func hookExternalApplications(_ connection: DirectConnection, outgoing: Bool) {
        if outgoing && configuration.proposeExternalApplication {
            connection.onEstablished = { [weak self] c in
                c.send(ExternalApplicationMessages.request(sequence: 0xFFFF, text: "Shall we play?"))
                self?.log.event("sent an External plugin request (external application) to \(c.remote)")
            }
        }
        connection.onMessageFrame = { [weak self] c, payload in self?.externalApplicationMessage(payload, on: c) }
    }

    func externalApplicationMessage(_ payload: [UInt8], on connection: DirectConnection) {
        guard let m = ExternalApplicationMessages.parse(payload, scratch: peerScratch) else {
            log.event("peer message of \(payload.count) bytes from \(connection.remote), not an External plugin one")
            return
        }
        if m.command == ExternalApplicationMessages.message {
            let port = configuration.externalApplicationPort
            guard port != 0 else {
                log.event("External plugin request from \(connection.remote); no application port, not answered")
                return
            }
            connection.send(ExternalApplicationMessages.accept(sequence: UInt16(truncatingIfNeeded: m.sequence), port: port))
            log.event("accepted the External plugin request from \(connection.remote): application port \(port)")
        } else if m.command == ExternalApplicationMessages.ack, m.status == 0, let port = m.port {
            log.event("External plugin request accepted by \(connection.remote): application port \(port)")
            callExternalApplication(at: LabEndpoint(address: connection.remote.address, port: port))
        }
    }

    /// Connects to the application's port as the application would.
    func callExternalApplication(at target: LabEndpoint) {
        let stream: TCPStream
        do {
            stream = try TCPStream.connect(from: LabEndpoint(address: configuration.bind.address, port: 0), to: target)
        } catch {
            log.event("external application connect to \(target) failed at once: \(error)")
            return
        }
        externalCalls.append(stream)
        log.event("external application connect to \(target)")
        let timeout = configuration.connectTimeout
        let timer = loop.after(timeout) { [weak self] in
            guard let self, self.externalCalls.contains(where: { $0 === stream }) else { return }
            self.loop.remove(stream.fd)
            stream.close()
            self.externalCalls.removeAll { $0 === stream }
            self.log.event("external application connect to \(target) abandoned after \(timeout) s without an answer")
        }
        loop.onceWritable(stream.fd) { [weak self] in
            guard let self else { return }
            self.loop.cancel(timer)
            if let error = stream.connectError() {
                self.log.event("external application connect to \(target) failed: \(error)")
            } else {
                self.log.event("external application connection to \(target) established")
            }
            stream.close()
            self.externalCalls.removeAll { $0 === stream }
        }
    }
}
