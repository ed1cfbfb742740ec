import NIOCore
import NIOHTTP1
import NIOPosix
import Report
import Synchronization

/// The text a scrape gets: rendered from the mailbox's latest snapshot, once per snapshot however
/// many scrapers ask (each publish has a version).
final class MetricsRenderer: Sendable {
    let mailbox: MetricsMailbox
    private let cache = Mutex<(version: UInt64, body: [UInt8])>((0, []))

    init(mailbox: MetricsMailbox) {
        self.mailbox = mailbox
    }

    /// nil before the analysis published anything.
    func body() -> [UInt8]? {
        let (version, snapshot) = mailbox.latest()
        guard let snapshot else { return nil }
        if let cached = cache.withLock({ $0.version == version ? $0.body : nil }) { return cached }
        let body = PrometheusExposition.render(snapshot)
        cache.withLock { $0 = (version, body) }
        return body
    }
}

/// One HTTP/1.1 connection: `GET /metrics` is the exposition, `GET /` says where it is, anything
/// else is 404 (405 for methods other than GET and HEAD).
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let renderer: MetricsRenderer
    private var head: HTTPRequestHead?

    init(renderer: MetricsRenderer) {
        self.renderer = renderer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(context: context, to: head)
        }
    }

    private func respond(context: ChannelHandlerContext, to request: HTTPRequestHead) {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        var status = HTTPResponseStatus.ok
        var contentType = "text/plain; charset=utf-8"
        var body: [UInt8]
        if request.method != .GET && request.method != .HEAD {
            status = .methodNotAllowed
            body = Array("only GET and HEAD\n".utf8)
        } else if path == "/metrics" {
            if let metrics = renderer.body() {
                contentType = PrometheusExposition.contentType
                body = metrics
            } else {
                status = .serviceUnavailable
                body = Array("icqscope: no metrics yet\n".utf8)
            }
        } else if path == "/" {
            body = Array("icqscope: metrics at /metrics\n".utf8)
        } else {
            status = .notFound
            body = Array("not found: metrics are at /metrics\n".utf8)
        }
        let keepAlive = request.isKeepAlive
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
                      promise: nil)
        if request.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        if !keepAlive {
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

/// The HTTP server of `--metrics-listen`, on one event-loop thread of its own, serving the
/// mailbox's snapshots. It never touches the analysis: it reads what the analysis published.
enum MetricsServer {
    static func start(on listener: MetricsListener, group: MultiThreadedEventLoopGroup,
                      renderer: MetricsRenderer) throws -> Channel {
        let bootstrap = ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(renderer: renderer))
                }
            }
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: false)
        return try bootstrap.withBoundSocket(listener.descriptor).wait()
    }
}
