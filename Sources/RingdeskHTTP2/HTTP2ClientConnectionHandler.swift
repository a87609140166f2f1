import NIOCore

/// A request as the client sends it.
public struct HTTP2ClientRequest: Sendable {
    public var method: String
    public var path: String
    public var authority: String?
    public var headers: HTTP2Headers
    public var body: ByteBuffer?

    public init(method: String = "GET", path: String, authority: String? = nil, headers: HTTP2Headers = HTTP2Headers(), body: ByteBuffer? = nil) {
        self.method = method
        self.path = path
        self.authority = authority
        self.headers = headers
        self.body = body
    }
}

/// A whole response.
public struct HTTP2ClientResponse: Sendable {
    public var status: Int
    public var headers: HTTP2Headers
    public var body: ByteBuffer
}

/// A response whose body arrives over time (agent assignment streams, server-sent events).
public struct HTTP2ClientStreamingResponse: Sendable {
    public var status: Int
    public var headers: HTTP2Headers
    public var body: HTTP2ResponseBody
}

/// The body of a streaming response. Iterate it once; an iterator that is dropped before the end
/// (a `break`, a thrown error, a cancelled task) resets the stream so the server stops sending.
public struct HTTP2ResponseBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    private let stream: AsyncThrowingStream<ByteBuffer, any Error>
    private let onAbandon: @Sendable () -> Void

    init(stream: AsyncThrowingStream<ByteBuffer, any Error>, onAbandon: @escaping @Sendable () -> Void) {
        self.stream = stream
        self.onAbandon = onAbandon
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), abandon: AbandonOnDeinit(onAbandon))
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator
        let abandon: AbandonOnDeinit

        public mutating func next() async throws -> ByteBuffer? {
            try await base.next()
        }
    }

    /// Runs its action when the last iterator copy goes away. After a complete body the action is a
    /// no-op (the connection already forgot the stream), so it need not know how iteration ended.
    final class AbandonOnDeinit: Sendable {
        private let action: @Sendable () -> Void
        init(_ action: @escaping @Sendable () -> Void) { self.action = action }
        deinit { action() }
    }
}

/// Drives one client connection over nghttp2; confined to the channel's event loop.
final class HTTP2ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Delivery {
        case buffered(EventLoopPromise<HTTP2ClientResponse>)
        case streaming(EventLoopPromise<HTTP2ClientStreamingResponse>)
    }

    private struct Pending {
        var delivery: Delivery
        var status: Int?
        var headers = HTTP2Headers()
        var body = ByteBuffer()
        var continuation: AsyncThrowingStream<ByteBuffer, any Error>.Continuation?
        var timeout: Scheduled<Void>?
    }

    private let configuration: HTTP2ClientConfiguration
    private let scheme: String
    private var session: NGHTTP2Session?
    private var pending: [Int32: Pending] = [:]
    private var context: ChannelHandlerContext?
    private var flushScheduled = false
    /// Set once the server sent GOAWAY or the connection failed: the pool must not reuse it.
    private(set) var acceptsNewStreams = true

    init(configuration: HTTP2ClientConfiguration, scheme: String) {
        self.configuration = configuration
        self.scheme = scheme
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start() }
    }

    func channelActive(context: ChannelHandlerContext) {
        start()
        context.fireChannelActive()
    }

    private func start() {
        guard session == nil else { return }
        session = try? NGHTTP2Session(role: .client, limits: configuration.sessionLimits)
        if session == nil { context?.close(promise: nil) }
        flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session else { return }
        do {
            try session.receive(unwrapInboundIn(data))
        } catch {
            failAll(HTTP2TransportError.protocolError("\(error)"))
            context.close(promise: nil)
            return
        }
        processEvents()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { flush() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        acceptsNewStreams = false
        failAll(HTTP2TransportError.connectionClosed)
        session = nil
        self.context = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        acceptsNewStreams = false
        failAll(HTTP2TransportError(code: "connection_error", message: "\(error)"))
        context.close(promise: nil)
    }

    // MARK: Requests

    /// Starts a request; the delivery's promise completes with the response or an error.
    func submit(_ request: HTTP2ClientRequest, delivery: Delivery, timeout: TimeAmount) {
        // NIO completes the connect promise before it fires channelActive: a request chained
        // straight onto that promise arrives before `start()` ran.
        if session == nil, let context, context.channel.isActive { start() }
        guard let context, let session, acceptsNewStreams else {
            fail(delivery, with: HTTP2TransportError.connectionUnavailable)
            return
        }
        var fields = [
            HTTP2Field(":method", request.method),
            HTTP2Field(":scheme", scheme),
            HTTP2Field(":path", request.path),
            HTTP2Field(":authority", request.authority ?? "localhost"),
        ]
        fields.append(contentsOf: request.headers.fields)
        if let body = request.body, request.headers["content-length"] == nil {
            fields.append(HTTP2Field("content-length", String(body.readableBytes)))
        }
        let streamID: Int32
        do {
            streamID = try session.submitRequest(fields: fields, body: request.body)
        } catch {
            acceptsNewStreams = false
            fail(delivery, with: HTTP2TransportError.connectionUnavailable)
            return
        }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let timer = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.expire(streamID: streamID)
        }
        pending[streamID] = Pending(delivery: delivery, timeout: timer)
        scheduleFlush()
    }

    private func expire(streamID: Int32) {
        guard let entry = pending.removeValue(forKey: streamID) else { return }
        session?.resetStream(streamID: streamID, code: .cancel)
        finish(entry, error: HTTP2TransportError.deadlineExceeded)
        scheduleFlush()
    }

    /// The consumer of a streaming body went away: reset the stream.
    func cancel(streamID: Int32) {
        guard let entry = pending.removeValue(forKey: streamID) else { return }
        entry.timeout?.cancel()
        session?.resetStream(streamID: streamID, code: .cancel)
        scheduleFlush()
    }

    // MARK: Events

    private func processEvents() {
        guard let session else { return }
        session.drainEvents { handle($0) }
    }

    private func handle(_ event: HTTP2SessionEvent) {
        switch event {
        case .headers(let streamID, let fields, let endStream):
            guard var entry = pending[streamID] else { return }
            if entry.status == nil || entry.status! < 200 {
                var regular: [HTTP2Field] = []
                for field in fields {
                    if field.name == ":status" { entry.status = Int(field.value) } else { regular.append(field) }
                }
                entry.headers = HTTP2Headers(fields: regular)
                if let status = entry.status, status < 200 { pending[streamID] = entry; return }
                if case .streaming(let promise) = entry.delivery {
                    let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
                    entry.continuation = continuation
                    entry.timeout?.cancel()
                    entry.timeout = nil
                    var onAbandon: @Sendable () -> Void = {}
                    if let context {
                        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
                        let eventLoop = context.eventLoop
                        let cancel: @Sendable () -> Void = { eventLoop.execute { loopBound.value.cancel(streamID: streamID) } }
                        continuation.onTermination = { termination in
                            if case .cancelled = termination { cancel() }
                        }
                        onAbandon = cancel
                    }
                    promise.succeed(HTTP2ClientStreamingResponse(status: entry.status ?? 0, headers: entry.headers, body: HTTP2ResponseBody(stream: stream, onAbandon: onAbandon)))
                }
            }
            pending[streamID] = entry
            if endStream { complete(streamID: streamID) }
        case .data(let streamID, var bytes):
            guard var entry = pending[streamID] else { return }
            if let continuation = entry.continuation {
                continuation.yield(bytes)
                return
            }
            if entry.body.readableBytes + bytes.readableBytes > configuration.maxResponseBodySize {
                pending[streamID] = nil
                session?.resetStream(streamID: streamID, code: .cancel)
                finish(entry, error: HTTP2TransportError.responseTooLarge(configuration.maxResponseBodySize))
                return
            }
            pending[streamID] = nil  // avoid copy-on-write of the body while appending
            entry.body.writeBuffer(&bytes)
            pending[streamID] = entry
        case .endStream(let streamID):
            complete(streamID: streamID)
        case .streamClosed(let streamID, let errorCode):
            guard let entry = pending.removeValue(forKey: streamID) else { return }
            let error: HTTP2TransportError = errorCode == HTTP2ErrorCode.refusedStream.rawValue
                ? HTTP2TransportError(code: "refused_stream", message: "the server refused the stream before processing it")
                : .streamClosed("stream reset by the server (error code \(errorCode))")
            finish(entry, error: error)
        case .goAway:
            acceptsNewStreams = false
        case .bodyDrained, .headerListTooLarge:
            break
        }
    }

    private func complete(streamID: Int32) {
        guard let entry = pending.removeValue(forKey: streamID) else { return }
        entry.timeout?.cancel()
        switch entry.delivery {
        case .buffered(let promise):
            promise.succeed(HTTP2ClientResponse(status: entry.status ?? 0, headers: entry.headers, body: entry.body))
        case .streaming(let promise):
            if let continuation = entry.continuation {
                continuation.finish()
            } else {
                let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
                continuation.finish()
                promise.succeed(HTTP2ClientStreamingResponse(status: entry.status ?? 0, headers: entry.headers, body: HTTP2ResponseBody(stream: stream, onAbandon: {})))
            }
        }
    }

    private func finish(_ entry: Pending, error: any Error) {
        entry.timeout?.cancel()
        if let continuation = entry.continuation {
            continuation.finish(throwing: error)
        } else {
            fail(entry.delivery, with: error)
        }
    }

    private func fail(_ delivery: Delivery, with error: any Error) {
        switch delivery {
        case .buffered(let promise): promise.fail(error)
        case .streaming(let promise): promise.fail(error)
        }
    }

    private func failAll(_ error: any Error) {
        let entries = pending
        pending.removeAll()
        for (_, entry) in entries { finish(entry, error: error) }
    }

    // MARK: Output

    private func scheduleFlush() {
        guard !flushScheduled, let context else { return }
        flushScheduled = true
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            loopBound.value.flushScheduled = false
            loopBound.value.flush()
        }
    }

    private func flush() {
        guard let context, let session, context.channel.isActive else { return }
        var wrote = false
        for _ in 0..<16 {
            guard context.channel.isWritable else { break }
            var buffer = context.channel.allocator.buffer(capacity: 16 * 1024)
            guard session.produceOutput(into: &buffer) else {
                context.close(promise: nil)
                return
            }
            processEvents()
            if buffer.readableBytes == 0 { break }
            context.write(wrapOutboundOut(buffer), promise: nil)
            wrote = true
        }
        if wrote { context.flush() }
        if !session.wantsRead && !session.wantsWrite {
            acceptsNewStreams = false
            context.close(promise: nil)
        }
    }
}
