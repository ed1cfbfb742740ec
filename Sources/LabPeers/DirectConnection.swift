/// One direct (peer-to-peer) TCP connection, incoming or outgoing, driven by the event loop:
/// connect (outgoing, with a timeout as climm's 10 s), the PEER_INIT handshake, then held open
/// until the peer's run ends or the other side closes it. Every step is one log line.
final class DirectConnection {
    let loop: EventLoop
    let log: LabLog
    let remote: LabEndpoint
    let stream: TCPStream
    let handshake: DirectHandshake
    private var splitter = FrameSplitter()
    private var timeoutTimer: Int?
    private(set) var finished = false
    /// The SOCKS4 proxy the connection goes through, and its reply as far as it came.
    private var proxy: LabEndpoint?
    private var proxyReply: [UInt8]? = nil
    var onFinish: ((DirectConnection) -> Void)?
    /// The handshake completed: the connection carries messages from now on.
    var onEstablished: ((DirectConnection) -> Void)?
    /// A frame after the handshake (a PEER_MSG), its payload after the length.
    var onMessageFrame: ((DirectConnection, [UInt8]) -> Void)?

    private init(loop: EventLoop, log: LabLog, remote: LabEndpoint, stream: TCPStream, handshake: DirectHandshake) {
        self.loop = loop
        self.log = log
        self.remote = remote
        self.stream = stream
        self.handshake = handshake
    }

    /// Opens a connection to `remote` (through the SOCKS4 `proxy`, if given) and starts the
    /// handshake once connected. The kernel retransmits the SYN; after `timeout` seconds without
    /// a connection the attempt is abandoned.
    static func open(
        loop: EventLoop, log: LabLog, from local: LabEndpoint?, to remote: LabEndpoint, timeout: Double,
        handshake: DirectHandshake, proxy: LabEndpoint? = nil
    ) -> DirectConnection? {
        let stream: TCPStream
        do {
            stream = try TCPStream.connect(from: local, to: proxy ?? remote)
        } catch {
            log.event("peer connect to \(remote) failed at once: \(error)")
            return nil
        }
        let connection = DirectConnection(loop: loop, log: log, remote: remote, stream: stream, handshake: handshake)
        connection.proxy = proxy
        log.event("peer connect to \(remote) (TCP v\(handshake.version), uin \(handshake.peerUIN))"
            + (proxy.map { " through the SOCKS4 proxy \($0)" } ?? ""))
        connection.timeoutTimer = loop.after(timeout) { [weak connection] in
            connection?.finish("peer connect to \(remote) abandoned after \(timeout) s without an answer")
        }
        loop.onceWritable(stream.fd) { [weak connection] in connection?.connected() }
        return connection
    }

    /// Takes over an accepted connection and waits for the caller's PEER_INIT.
    static func accepted(
        loop: EventLoop, log: LabLog, stream: TCPStream, remote: LabEndpoint, handshake: DirectHandshake, timeout: Double
    ) -> DirectConnection {
        let connection = DirectConnection(loop: loop, log: log, remote: remote, stream: stream, handshake: handshake)
        log.event("peer connection accepted from \(remote)")
        connection.timeoutTimer = loop.after(timeout) { [weak connection] in
            connection?.finish("peer handshake from \(remote) not completed within \(timeout) s")
        }
        loop.onReadable(stream.fd) { [weak connection] in connection?.readable() }
        return connection
    }

    private func connected() {
        if let error = stream.connectError() {
            finish("peer connect to \(remote) failed: \(error)")
            return
        }
        loop.onReadable(stream.fd) { [weak self] in self?.readable() }
        if let proxy {
            log.event("TCP connection to the SOCKS4 proxy \(proxy) established from \(stream.localEndpoint?.description ?? "?")")
            stream.write(Socks4Connect.request(to: remote))
            proxyReply = []
            log.event("sent SOCKS4 CONNECT to \(remote)")
            return
        }
        log.event("peer TCP connection to \(remote) established from \(stream.localEndpoint?.description ?? "?")")
        startHandshake()
    }

    private func startHandshake() {
        for frame in handshake.start() { stream.write(frame) }
        log.event("sent PEER_INIT v\(handshake.version) to \(remote)")
    }

    /// The proxy's reply: granted, the connection is the peer's from now on.
    private func proxyAnswered(_ bytes: [UInt8]) -> [UInt8]? {
        proxyReply! += bytes
        switch Socks4Connect.reply(proxyReply!) {
        case nil:
            return nil
        case .granted:
            let rest = Array(proxyReply!.dropFirst(8))
            proxyReply = nil
            log.event("SOCKS4 proxy granted the connection to \(remote)")
            startHandshake()
            return rest
        case .rejected(let code):
            finish("SOCKS4 proxy rejected the connection to \(remote) (code \(code))")
            return nil
        }
    }

    private func readable() {
        switch stream.read() {
        case .wouldBlock:
            return
        case .closed(let reason):
            finish("peer connection with \(remote) ended: \(reason)")
        case .data(var bytes):
            if proxyReply != nil {
                guard let rest = proxyAnswered(bytes), !rest.isEmpty else { return }
                bytes = rest
            }
            guard let frames = splitter.append(bytes) else {
                finish("peer connection with \(remote): frame longer than \(splitter.limit) bytes, closing")
                return
            }
            for frame in frames { handle(frame) }
        }
    }

    /// Sends one frame (`payload` after its length).
    func send(_ payload: [UInt8]) {
        stream.write(DirectHandshake.frame(payload))
    }

    private func handle(_ frame: [UInt8]) {
        if handshake.done {
            onMessageFrame?(self, frame)
            return
        }
        let (send, events) = handshake.receive(frame)
        for out in send { stream.write(out) }
        for event in events {
            switch event {
            case .peerInit(let version, let uin, let port):
                log.event("got PEER_INIT v\(version) from uin \(uin) (listening port \(port)) on \(remote)")
            case .established:
                if let timeoutTimer { loop.cancel(timeoutTimer) }
                timeoutTimer = nil
                log.event("peer handshake with \(remote) complete (TCP v\(handshake.version))")
                onEstablished?(self)
            case .failed(let reason):
                finish("peer handshake with \(remote) failed: \(reason)")
                return
            }
        }
    }

    /// Closes the connection (FIN) and stops watching it.
    func finish(_ reason: String) {
        if finished { return }
        finished = true
        if let timeoutTimer { loop.cancel(timeoutTimer) }
        loop.remove(stream.fd)
        stream.close()
        log.event(reason)
        onFinish?(self)
    }
}
