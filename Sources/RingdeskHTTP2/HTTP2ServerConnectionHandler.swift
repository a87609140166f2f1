import Logging
import NIOCore

/// Drives one server connection: bytes from NIO go into nghttp2, complete requests go to the
/// router, responses and stream writes go back out. Everything here runs on the channel's loop.
final class HTTP2ServerConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What the connection keeps per open stream.
    private struct StreamState {
        var assembler: HTTP2RequestAssembler
        /// When the request started, while its body is still arriving (request-read timeout).
        var receivingSince: NIODeadline?
        var task: Task<Void, Never>?
        var responseStarted = false
        var drainWaiters: [EventLoopPromise<Void>] = []
    }

    private let configuration: HTTP2ServerConfiguration
    private let router: HTTP2Router
    private let logger: Logger
    private let onClose: @Sendable () -> Void
    private var session: NGHTTP2Session?
    private var machine: HTTP2ConnectionStateMachine?
    private var streams: [Int32: StreamState] = [:]
    private var context: ChannelHandlerContext?
    /// Kept after the channel closes so late stream writes can still be answered with an error.
    private var eventLoop: (any EventLoop)?
    private var timer: RepeatedTask?
    private var readPending = false
    private var inReadLoop = false
    private var flushScheduled = false
    private var closing = false

    init(configuration: HTTP2ServerConfiguration, router: HTTP2Router, logger: Logger, onClose: @escaping @Sendable () -> Void = {}) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
        self.onClose = onClose
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.eventLoop = context.eventLoop
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard session == nil else { return }
        do {
            session = try NGHTTP2Session(role: .server, limits: configuration.sessionLimits)
        } catch {
            logger.error("could not create HTTP/2 session", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        machine = HTTP2ConnectionStateMachine(timeouts: configuration.timeouts, now: .now())
        let interval = configuration.tickInterval
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            loopBound.value.tick()
        }
        flushOutput()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session, !closing else { return }
        let buffer = unwrapInboundIn(data)
        inReadLoop = true
        defer { inReadLoop = false }
        do {
            try session.receive(buffer)
        } catch {
            let tooLarge = session.events.contains { if case .headerListTooLarge = $0 { true } else { false } }
            logger.debug("closing connection on bad input", metadata: ["error": "\(error)"])
            fail(code: tooLarge ? .enhanceYourCalm : .protocolError)
            return
        }
        processEvents()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushOutput()
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        // Back-pressure: while our writes are blocked, stop reading from a peer that does not read.
        if context.channel.isWritable {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        machine?.writabilityChanged(writable: writable, now: .now())
        if writable {
            flushOutput()
            if readPending {
                readPending = false
                context.read()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        teardown()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func teardown() {
        guard !closing || session != nil else { return }
        closing = true
        timer?.cancel()
        timer = nil
        machine?.connectionClosed()
        for (_, stream) in streams {
            stream.task?.cancel()
            stream.drainWaiters.forEach { $0.fail(HTTP2TransportError.connectionClosed) }
        }
        streams.removeAll()
        session = nil
        if context != nil {
            context = nil
            onClose()
        }
    }

    // MARK: Engine events

    private func processEvents() {
        guard let session, session.hasEvents else { return }
        let now = NIODeadline.now()
        session.drainEvents { handle($0, now: now) }
    }

    private func handle(_ event: HTTP2SessionEvent, now: NIODeadline) {
        switch event {
        case .headers(let streamID, let fields, let endStream):
            if streams[streamID] == nil {
                let nodeToNode = fields.contains { $0.name == ":path" && $0.value.hasPrefix(configuration.internalPathPrefix) }
                let limit = nodeToNode ? max(configuration.maxRequestBodySize, configuration.maxInternalRequestBodySize) : configuration.maxRequestBodySize
                var stream = StreamState(assembler: HTTP2RequestAssembler(maxBodySize: limit))
                stream.receivingSince = endStream ? nil : now
                streams[streamID] = stream
                machine?.requestStarted(now: now)
            }
            let action = streams[streamID]!.assembler.headersReceived(fields, endStream: endStream)
            perform(action, streamID: streamID, now: now)
        case .data(let streamID, let bytes):
            guard streams[streamID] != nil else { return }
            let action = streams[streamID]!.assembler.dataReceived(bytes)
            perform(action, streamID: streamID, now: now)
        case .endStream(let streamID):
            guard streams[streamID] != nil else { return }
            let action = streams[streamID]!.assembler.endOfStream()
            perform(action, streamID: streamID, now: now)
        case .streamClosed(let streamID, let errorCode):
            if let stream = streams.removeValue(forKey: streamID) {
                if errorCode != 0 || !stream.responseStarted { stream.task?.cancel() }
                let error = HTTP2TransportError.streamClosed("stream \(streamID) closed (error code \(errorCode))")
                stream.drainWaiters.forEach { $0.fail(error) }
            }
            if let action = machine?.streamClosed(now: now) { perform(action) }
        case .bodyDrained(let streamID, let remaining):
            if remaining <= configuration.streamHighWaterMark / 2, var stream = streams[streamID], !stream.drainWaiters.isEmpty {
                let waiters = stream.drainWaiters
                stream.drainWaiters = []
                streams[streamID] = stream
                waiters.forEach { $0.succeed() }
            }
        case .goAway:
            break
        case .headerListTooLarge:
            break
        }
    }

    private func perform(_ action: HTTP2RequestAssembler.Action, streamID: Int32, now: NIODeadline) {
        switch action {
        case .none:
            return
        case .reject(let response):
            streams[streamID]?.receivingSince = nil
            respond(streamID: streamID, response: response)
        case .dispatch(let request):
            streams[streamID]?.receivingSince = nil
            dispatch(request, streamID: streamID)
        }
    }

    private func dispatch(_ request: HTTP2Request, streamID: Int32) {
        var request = request
        switch router.match(method: request.method, path: request.path, query: request.query) {
        case .notFound:
            respond(streamID: streamID, response: .error(status: 404, code: "not_found", message: "no route for \(request.method) \(request.path)"))
        case .methodNotAllowed(let allowed):
            var response = HTTP2Response.error(status: 405, code: "method_not_allowed", message: "\(request.method) is not allowed here; use \(allowed.joined(separator: ", "))")
            response.headers.add("allow", allowed.joined(separator: ", "))
            respond(streamID: streamID, response: response)
        case .invalidParameter(_, let message):
            respond(streamID: streamID, response: .error(status: 400, code: "invalid_parameter", message: message))
        case .found(let handler, let template, let parameters):
            request.routeTemplate = template
            request.pathParameters = parameters
            run(handler, request: request, streamID: streamID)
        }
    }

    private func run(_ handler: HTTP2Router.Handler, request: HTTP2Request, streamID: Int32) {
        guard let context else { return }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        switch handler {
        case .inline(let body):
            respond(streamID: streamID, response: body(request))
        case .async(let body):
            streams[streamID]?.task = Self.spawn(body, request: request, streamID: streamID, connection: loopBound, eventLoop: eventLoop)
        case .deferred(let body):
            body(request, HTTP2Responder(connection: loopBound, eventLoop: eventLoop, streamID: streamID))
        case .streaming(let body):
            let writer = HTTP2ResponseWriter(connection: loopBound, eventLoop: eventLoop, streamID: streamID)
            streams[streamID]?.task = Self.spawn(body, request: request, writer: writer, connection: loopBound, eventLoop: eventLoop)
        }
    }

    private static func spawn(
        _ body: @escaping @Sendable (HTTP2Request) async throws -> HTTP2Response,
        request: HTTP2Request, streamID: Int32,
        connection: NIOLoopBound<HTTP2ServerConnectionHandler>, eventLoop: any EventLoop
    ) -> Task<Void, Never> {
        Task {
            let response: HTTP2Response
            do {
                response = try await body(request)
            } catch {
                response = errorResponse(for: error)
            }
            eventLoop.execute { connection.value.respondFromTask(streamID: streamID, response: response) }
        }
    }

    private static func spawn(
        _ body: @escaping @Sendable (HTTP2Request, HTTP2ResponseWriter) async throws -> Void,
        request: HTTP2Request, writer: HTTP2ResponseWriter,
        connection: NIOLoopBound<HTTP2ServerConnectionHandler>, eventLoop: any EventLoop
    ) -> Task<Void, Never> {
        Task {
            do {
                try await body(request, writer)
                try await writer.finish()
            } catch {
                let response = errorResponse(for: error)
                let streamID = writer.streamID
                eventLoop.execute { connection.value.failStream(streamID: streamID, response: response) }
            }
        }
    }

    static func errorResponse(for error: Error) -> HTTP2Response {
        if let error = error as? HTTPError { return error.response }
        if error is CancellationError { return .error(status: 503, code: "cancelled", message: "the request was cancelled") }
        return .error(status: 500, code: "internal_error", message: "the server failed to handle the request")
    }

    // MARK: Responding

    private func respond(streamID: Int32, response: HTTP2Response) {
        guard let session, streams[streamID] != nil else { return }
        streams[streamID]!.responseStarted = true
        var fields = [HTTP2Field(":status", String(response.status))]
        fields.reserveCapacity(response.headers.fields.count + 2)
        fields.append(contentsOf: response.headers.fields)
        fields.append(HTTP2Field("content-length", String(response.body.readableBytes)))
        do {
            try session.submitResponse(streamID: streamID, fields: fields, body: response.body, endStream: true)
        } catch {
            logger.debug("could not submit response", metadata: ["stream": "\(streamID)", "error": "\(error)"])
        }
        scheduleFlush()
    }

    fileprivate func respondFromTask(streamID: Int32, response: HTTP2Response) {
        respond(streamID: streamID, response: response)
    }

    /// A deferred route's answer: the first one counts (the stream may also be gone by now).
    fileprivate func respondFromResponder(streamID: Int32, response: HTTP2Response) {
        guard streams[streamID]?.responseStarted == false else { return }
        respond(streamID: streamID, response: response)
    }

    /// A streaming handler threw: answer with the error if nothing was sent yet, else reset.
    fileprivate func failStream(streamID: Int32, response: HTTP2Response) {
        guard let session, let stream = streams[streamID] else { return }
        if stream.responseStarted {
            session.resetStream(streamID: streamID, code: .internalError)
            scheduleFlush()
        } else {
            respond(streamID: streamID, response: response)
        }
    }

    /// Writes part of a streaming response; the future completes when the caller may write more.
    fileprivate func streamWrite(streamID: Int32, head: HTTP2Response?, bytes: ByteBuffer?, end: Bool) -> EventLoopFuture<Void> {
        guard let context, let session, var stream = streams[streamID] else {
            return eventLoop!.makeFailedFuture(HTTP2TransportError.streamClosed())
        }
        if !stream.responseStarted {
            stream.responseStarted = true
            streams[streamID] = stream
            let head = head ?? HTTP2Response(status: 200)
            var fields = [HTTP2Field(":status", String(head.status))]
            fields.append(contentsOf: head.headers.fields)
            do {
                try session.submitResponse(streamID: streamID, fields: fields, body: bytes, endStream: end)
            } catch {
                return context.eventLoop.makeFailedFuture(HTTP2TransportError.streamClosed())
            }
        } else if bytes != nil || end {
            session.appendBody(streamID: streamID, bytes: bytes ?? ByteBuffer(), end: end)
        }
        scheduleFlush()
        if !end && session.pendingBodyBytes(streamID: streamID) > configuration.streamHighWaterMark {
            let promise = context.eventLoop.makePromise(of: Void.self)
            streams[streamID]?.drainWaiters.append(promise)
            return promise.futureResult
        }
        return context.eventLoop.makeSucceededVoidFuture()
    }

    // MARK: Output

    private func scheduleFlush() {
        guard !inReadLoop, !flushScheduled, let context else { return }
        flushScheduled = true
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            loopBound.value.flushScheduled = false
            loopBound.value.flushOutput()
        }
    }

    /// Moves everything nghttp2 has queued to the socket, handling events that output produces.
    private func flushOutput() {
        guard let context, let session, context.channel.isActive else { return }
        var rounds = 0
        while rounds < 16 {
            rounds += 1
            guard context.channel.isWritable else { break }
            var buffer = context.channel.allocator.buffer(capacity: 16 * 1024)
            guard session.produceOutput(into: &buffer) else {
                context.close(promise: nil)
                return
            }
            // Write before handling the events this output produced: a stream-closed event may
            // end a draining connection, and its last response must already be on its way.
            let produced = buffer.readableBytes
            if produced > 0 { context.write(wrapOutboundOut(buffer), promise: nil) }
            let hadEvents = session.hasEvents
            processEvents()
            if produced == 0 && !hadEvents { break }
        }
        context.flush()
        if !session.wantsRead && !session.wantsWrite {
            context.close(promise: nil)
        }
    }

    /// A fatal protocol error: GOAWAY (best effort) and close.
    private func fail(code: HTTP2ErrorCode) {
        guard let context, let session else { return }
        session.terminate(code: code)
        var buffer = context.channel.allocator.buffer(capacity: 256)
        session.produceOutput(into: &buffer)
        closing = true
        if buffer.readableBytes > 0 {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
        context.close(promise: nil)
    }

    // MARK: Timers and shutdown

    private func tick() {
        guard var machine else { return }
        let oldest = streams.values.lazy.compactMap(\.receivingSince).min()
        let actions = machine.tick(now: .now(), oldestIncompleteRequest: oldest)
        self.machine = machine
        actions.forEach(perform)
    }

    private func perform(_ action: HTTP2ConnectionStateMachine.Action) {
        guard let session else { return }
        switch action {
        case .sendShutdownNotice:
            session.submitShutdownNotice()
            flushOutput()
        case .sendFinalGoAway:
            session.submitGoAway(code: .noError)
            flushOutput()
        case .close(let reason, let code):
            logger.debug("closing connection", metadata: ["reason": "\(reason)"])
            if reason == .shutdownComplete {
                flushOutput()
                context?.close(promise: nil)
            } else {
                fail(code: code)
            }
        }
    }

    /// Called by the server when it starts a graceful shutdown.
    func beginGracefulShutdown() {
        guard var machine else {
            context?.close(promise: nil)
            return
        }
        let actions = machine.beginGracefulShutdown(now: .now())
        self.machine = machine
        actions.forEach(perform)
    }
}

/// One stream of one connection, for answering it from off the event loop.
struct HTTP2StreamHandle: Sendable {
    let connection: NIOLoopBound<HTTP2ServerConnectionHandler>
    let eventLoop: any EventLoop
    let streamID: Int32
}

/// Answers one request of a `.deferred` route, from any thread.
public struct HTTP2Responder: Sendable {
    private let stream: HTTP2StreamHandle
    public var streamID: Int32 { stream.streamID }

    init(connection: NIOLoopBound<HTTP2ServerConnectionHandler>, eventLoop: any EventLoop, streamID: Int32) {
        stream = HTTP2StreamHandle(connection: connection, eventLoop: eventLoop, streamID: streamID)
    }

    /// Sends `response` (the first answer wins; later ones, or any after the peer reset the
    /// stream, are dropped).
    public func respond(_ response: HTTP2Response) {
        respond { response }
    }

    /// Builds the response on the connection's event loop, then sends it: keeps encoding off the
    /// calling thread (say, a replication loop answering many callers at once).
    public func respond(_ make: @escaping @Sendable () -> HTTP2Response) {
        let stream = self.stream
        if stream.eventLoop.inEventLoop {
            stream.connection.value.respondFromResponder(streamID: stream.streamID, response: make())
        } else {
            stream.eventLoop.execute { stream.connection.value.respondFromResponder(streamID: stream.streamID, response: make()) }
        }
    }
}

/// Writes a response over time. Each `write` may suspend until the peer has read enough
/// (back-pressure); it throws `HTTP2TransportError` once the peer reset the stream or went away.
public struct HTTP2ResponseWriter: Sendable {
    private let stream: HTTP2StreamHandle
    public var streamID: Int32 { stream.streamID }
    private var connection: NIOLoopBound<HTTP2ServerConnectionHandler> { stream.connection }
    private var eventLoop: any EventLoop { stream.eventLoop }

    init(connection: NIOLoopBound<HTTP2ServerConnectionHandler>, eventLoop: any EventLoop, streamID: Int32) {
        stream = HTTP2StreamHandle(connection: connection, eventLoop: eventLoop, streamID: streamID)
    }

    /// Sends the status and headers; optional (the first `write` sends 200 with no extra headers).
    public func writeHead(status: Int = 200, headers: HTTP2Headers = HTTP2Headers()) async throws {
        try await send(head: HTTP2Response(status: status, headers: headers), bytes: nil, end: false)
    }

    public func write(_ bytes: ByteBuffer) async throws {
        try await send(head: nil, bytes: bytes, end: false)
    }

    public func write(_ text: String) async throws {
        try await write(ByteBuffer(string: text))
    }

    /// Ends the response. Calling it twice is harmless.
    public func finish() async throws {
        try await send(head: nil, bytes: nil, end: true)
    }

    private func send(head: HTTP2Response?, bytes: ByteBuffer?, end: Bool) async throws {
        try Task.checkCancellation()
        let connection = self.connection
        let streamID = self.streamID
        try await eventLoop.flatSubmit {
            connection.value.streamWrite(streamID: streamID, head: head, bytes: bytes, end: end)
        }.get()
    }
}
