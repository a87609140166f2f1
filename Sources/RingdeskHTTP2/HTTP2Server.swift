import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// An HTTP/2 server as a `Service`: `run()` serves until graceful shutdown or cancellation, then
/// stops accepting, sends GOAWAY on every connection, lets in-flight streams finish and returns.
public final class HTTP2Server: Service, Sendable {
    public let host: String
    public let port: Int
    private let configuration: HTTP2ServerConfiguration
    private let router: HTTP2Router
    private let group: any EventLoopGroup
    private let logger: Logger
    private let sslContext: NIOSSLContext?
    private let bound: EventLoopPromise<SocketAddress>
    private let state = NIOLockedValueBox(ServerState())

    /// Open connections and the listening channel, so shutdown can reach them.
    private struct ServerState {
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: Connection] = [:]
        var shuttingDown = false
    }

    private struct Connection {
        var channel: any Channel
        var handler: NIOLoopBound<HTTP2ServerConnectionHandler>
    }

    public init(host: String, port: Int, router: HTTP2Router, configuration: HTTP2ServerConfiguration = .defaults, group: any EventLoopGroup, logger: Logger) throws {
        self.host = host
        self.port = port
        self.router = router
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.bound = group.any().makePromise(of: SocketAddress.self)
        if var tls = configuration.tls {
            tls.applicationProtocols = ["h2"]
            self.sslContext = try NIOSSLContext(configuration: tls)
        } else {
            self.sslContext = nil
        }
    }

    /// The address the server listens on, once bound (useful with port 0).
    public var localAddress: SocketAddress {
        get async throws { try await bound.futureResult.get() }
    }

    public func run() async throws {
        let listener: any Channel
        do {
            listener = try await makeBootstrap().bind(host: host, port: port).get()
        } catch {
            bound.fail(error)
            throw error
        }
        let shutDownEarly = state.withLockedValue { state -> Bool in
            state.listener = listener
            return state.shuttingDown
        }
        bound.succeed(listener.localAddress!)
        logger.info("listening", metadata: ["address": "\(listener.localAddress!)", "tls": "\(sslContext != nil)"])
        if shutDownEarly { beginShutdown() }

        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await listener.closeFuture.get()
            } onGracefulShutdown: {
                self.beginShutdown()
            }
        } onCancel: {
            self.beginShutdown()
        }
        // The listener is closed: wait (bounded) for connections to finish their streams.
        let deadline = NIODeadline.now() + configuration.shutdownGrace + .seconds(1)
        for connection in state.withLockedValue({ Array($0.connections.values) }) {
            let remaining = deadline - .now()
            if remaining <= .zero { connection.channel.close(promise: nil); continue }
            let closed = connection.channel.closeFuture
            let timeout = connection.channel.eventLoop.scheduleTask(in: remaining) { connection.channel.close(promise: nil) }
            try? await closed.get()
            timeout.cancel()
        }
        logger.info("stopped")
    }

    /// Stops accepting and asks every connection to drain. Idempotent; `run()` returns when done.
    public func beginShutdown() {
        let (listener, connections) = state.withLockedValue { state -> ((any Channel)?, [Connection]) in
            state.shuttingDown = true
            return (state.listener, Array(state.connections.values))
        }
        listener?.close(promise: nil)
        for connection in connections {
            connection.channel.eventLoop.execute { connection.handler.value.beginGracefulShutdown() }
        }
    }

    private func makeBootstrap() -> ServerBootstrap {
        let configuration = self.configuration
        let router = self.router
        let logger = self.logger
        let sslContext = self.sslContext
        let state = self.state
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 * 1024, high: 1024 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let id = ObjectIdentifier(channel)
                    let handler = HTTP2ServerConnectionHandler(
                        configuration: configuration, router: router, logger: logger,
                        onClose: { state.withLockedValue { _ = $0.connections.removeValue(forKey: id) } }
                    )
                    let refused = state.withLockedValue { state -> Bool in
                        if state.shuttingDown { return true }
                        state.connections[id] = Connection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                        return false
                    }
                    if refused { throw ChannelError.ioOnClosedChannel }
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
    }
}
