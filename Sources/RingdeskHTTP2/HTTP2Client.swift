import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// An HTTP/2 client with one multiplexed connection per peer. A connection that dies or receives
/// GOAWAY is replaced on the next request; a request the server refused unprocessed is retried once.
public final class HTTP2Client: Sendable {
    /// A peer address (host and port).
    public struct Peer: Hashable, Sendable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
        public var description: String { "\(host):\(port)" }
    }

    private struct Connection: Sendable {
        var channel: any Channel
        var handler: NIOLoopBound<HTTP2ClientConnectionHandler>
    }

    private enum Entry {
        case connecting(EventLoopFuture<Connection>)
        case ready(Connection)
    }

    private let group: any EventLoopGroup
    private let configuration: HTTP2ClientConfiguration
    private let sslContext: NIOSSLContext?
    private let pool = NIOLockedValueBox<(entries: [Peer: Entry], shutDown: Bool)>(([:], false))

    public init(group: any EventLoopGroup, configuration: HTTP2ClientConfiguration = .defaults) throws {
        self.group = group
        self.configuration = configuration
        if var tls = configuration.tls {
            tls.applicationProtocols = ["h2"]
            self.sslContext = try NIOSSLContext(configuration: tls)
        } else {
            self.sslContext = nil
        }
    }

    /// Sends a request and waits for the whole response, or fails at the deadline.
    public func execute(_ request: HTTP2ClientRequest, to peer: Peer, timeout: TimeAmount? = nil) async throws -> HTTP2ClientResponse {
        try await withRetry(peer: peer) { connection in
            let promise = connection.channel.eventLoop.makePromise(of: HTTP2ClientResponse.self)
            self.submit(request, on: connection, delivery: .buffered(promise), timeout: timeout)
            return try await promise.futureResult.get()
        }
    }

    /// `execute` without a task, for callers that live on event loops: the future completes on the
    /// connection's event loop. No retry: a request that could not start fails.
    public func send(_ request: HTTP2ClientRequest, to peer: Peer, timeout: TimeAmount? = nil) -> EventLoopFuture<HTTP2ClientResponse> {
        let future: EventLoopFuture<Connection>
        do {
            future = try pooledConnection(to: peer)
        } catch {
            return group.any().makeFailedFuture(error)
        }
        return future.flatMap { connection in
            guard connection.handler.value.acceptsNewStreams else {
                self.forget(connection, peer: peer)
                return connection.channel.eventLoop.makeFailedFuture(HTTP2TransportError.connectionUnavailable)
            }
            let promise = connection.channel.eventLoop.makePromise(of: HTTP2ClientResponse.self)
            connection.handler.value.submit(request, delivery: .buffered(promise), timeout: timeout ?? self.configuration.defaultRequestTimeout)
            return promise.futureResult
        }
    }

    /// Sends a request and returns as soon as the response head arrives; the body streams.
    /// The deadline covers the head only. Stopping iteration of the body resets the stream.
    public func stream(_ request: HTTP2ClientRequest, to peer: Peer, timeout: TimeAmount? = nil) async throws -> HTTP2ClientStreamingResponse {
        try await withRetry(peer: peer) { connection in
            let promise = connection.channel.eventLoop.makePromise(of: HTTP2ClientStreamingResponse.self)
            self.submit(request, on: connection, delivery: .streaming(promise), timeout: timeout)
            return try await promise.futureResult.get()
        }
    }

    /// Closes every connection; later requests fail with `client_shut_down`.
    public func shutdown() async {
        let entries = pool.withLockedValue { pool -> [Entry] in
            pool.shutDown = true
            defer { pool.entries.removeAll() }
            return Array(pool.entries.values)
        }
        for entry in entries {
            switch entry {
            case .ready(let connection):
                try? await connection.channel.close()
            case .connecting(let future):
                if let connection = try? await future.get() { try? await connection.channel.close() }
            }
        }
    }

    private func submit(_ request: HTTP2ClientRequest, on connection: Connection, delivery: HTTP2ClientConnectionHandler.Delivery, timeout: TimeAmount?) {
        let timeout = timeout ?? configuration.defaultRequestTimeout
        let handler = connection.handler
        connection.channel.eventLoop.execute {
            handler.value.submit(request, delivery: delivery, timeout: timeout)
        }
    }

    private func withRetry<T>(peer: Peer, _ body: (Connection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            let connection = try await connection(to: peer)
            do {
                return try await body(connection)
            } catch let error as HTTP2TransportError where attempt < 2 && (error.code == "refused_stream" || error.code == "connection_unavailable") {
                // Nothing was processed by the server for these: safe to send again on a fresh connection.
                forget(connection, peer: peer)
                continue
            }
        }
    }

    private func forget(_ connection: Connection, peer: Peer) {
        pool.withLockedValue { pool in
            if case .ready(let current) = pool.entries[peer], current.channel === connection.channel {
                pool.entries[peer] = nil
            }
        }
    }

    private func connection(to peer: Peer) async throws -> Connection {
        // A failed attempt has already left the pool (see `pooledConnection`).
        let connection = try await pooledConnection(to: peer).get()
        // A connection that already got GOAWAY must not take new streams.
        let usable = try await connection.channel.eventLoop.submit { connection.handler.value.acceptsNewStreams }.get()
        if !usable {
            forget(connection, peer: peer)
            return try await self.connection(to: peer)
        }
        return connection
    }

    /// The pooled connection to `peer`: the ready one, the one being made, or a new one.
    private func pooledConnection(to peer: Peer) throws -> EventLoopFuture<Connection> {
        let box = pool
        let (future, isNew) = try box.withLockedValue { pool -> (EventLoopFuture<Connection>, Bool) in
            if pool.shutDown { throw HTTP2TransportError.clientShutDown }
            switch pool.entries[peer] {
            case .ready(let connection) where connection.channel.isActive:
                return (connection.channel.eventLoop.makeSucceededFuture(connection), false)
            case .connecting(let future):
                return (future, false)
            default:
                let future = connect(to: peer)
                pool.entries[peer] = .connecting(future)
                return (future, true)
            }
        }
        if isNew {
            // A failed attempt is forgotten, so the next request tries again (registered outside
            // the lock: a future that failed already runs the callback at once).
            future.whenFailure { _ in
                box.withLockedValue { pool in
                    if case .connecting(let current) = pool.entries[peer], current === future { pool.entries[peer] = nil }
                }
            }
        }
        return future
    }

    private func connect(to peer: Peer) -> EventLoopFuture<Connection> {
        let configuration = self.configuration
        let sslContext = self.sslContext
        let scheme = sslContext == nil ? "http" : "https"
        let pool = self.pool
        return ClientBootstrap(group: group)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: peer.host.first?.isLetter == true ? peer.host : nil)
                        try channel.pipeline.syncOperations.addHandler(tls)
                    }
                    try channel.pipeline.syncOperations.addHandler(HTTP2ClientConnectionHandler(configuration: configuration, scheme: scheme))
                }
            }
            .connect(host: peer.host, port: peer.port)
            .flatMapThrowing { channel in
                let handler = try channel.pipeline.syncOperations.handler(type: HTTP2ClientConnectionHandler.self)
                let connection = Connection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                pool.withLockedValue { pool in pool.entries[peer] = .ready(connection) }
                channel.closeFuture.whenComplete { _ in
                    pool.withLockedValue { pool in
                        if case .ready(let current) = pool.entries[peer], current.channel === channel { pool.entries[peer] = nil }
                    }
                }
                return connection
            }
    }
}
