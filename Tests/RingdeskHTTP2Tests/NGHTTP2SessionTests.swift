import NIOCore
@testable import RingdeskHTTP2
import Testing

/// The engine wrapper driven in memory: a client session and a server session exchange bytes
/// directly, with no sockets and no event loop.
@Suite struct NGHTTP2SessionTests {
    let limits = NGHTTP2SessionLimits(maxConcurrentStreams: 100, maxHeaderListSize: 4096, initialWindowSize: 65_535, maxFrameSize: 16_384)

    /// Moves bytes both ways until neither side has anything to send; returns the events seen.
    func pump(_ client: NGHTTP2Session, _ server: NGHTTP2Session, rounds: Int = 200) throws -> (client: [HTTP2SessionEvent], server: [HTTP2SessionEvent]) {
        var clientEvents: [HTTP2SessionEvent] = []
        var serverEvents: [HTTP2SessionEvent] = []
        for _ in 0..<rounds {
            var toServer = ByteBuffer()
            #expect(client.produceOutput(into: &toServer))
            var toClient = ByteBuffer()
            if toServer.readableBytes > 0 { try server.receive(toServer) }
            #expect(server.produceOutput(into: &toClient))
            if toClient.readableBytes > 0 { try client.receive(toClient) }
            client.drainEvents { clientEvents.append($0) }
            server.drainEvents { serverEvents.append($0) }
            if toServer.readableBytes == 0 && toClient.readableBytes == 0 { break }
        }
        return (clientEvents, serverEvents)
    }

    func requestFields(_ method: String, _ path: String, extra: [HTTP2Field] = []) -> [HTTP2Field] {
        [HTTP2Field(":method", method), HTTP2Field(":path", path), HTTP2Field(":scheme", "http"), HTTP2Field(":authority", "t")] + extra
    }

    @Test func requestAndResponseRoundTrip() throws {
        let client = try NGHTTP2Session(role: .client, limits: limits)
        let server = try NGHTTP2Session(role: .server, limits: limits)
        let id = try client.submitRequest(fields: requestFields("POST", "/v1/echo"), body: ByteBuffer(string: "hello"))
        #expect(id == 1)
        let first = try pump(client, server)
        var body = ByteBuffer()
        var sawHeaders = false
        var sawEnd = false
        for event in first.server {
            switch event {
            case .headers(1, let fields, false):
                sawHeaders = fields.contains(HTTP2Field(":path", "/v1/echo"))
            case .data(1, var bytes): body.writeBuffer(&bytes)
            case .endStream(1): sawEnd = true
            default: break
            }
        }
        #expect(sawHeaders && sawEnd)
        #expect(String(buffer: body) == "hello")

        try server.submitResponse(streamID: 1, fields: [HTTP2Field(":status", "201")], body: ByteBuffer(string: "ok"), endStream: true)
        let second = try pump(client, server)
        let status = second.client.compactMap { event -> String? in
            if case .headers(1, let fields, _) = event { return fields.first { $0.name == ":status" }?.value }
            return nil
        }
        #expect(status == ["201"])
        #expect(second.client.contains { if case .streamClosed(1, 0) = $0 { true } else { false } })
    }

    @Test func largeBodyFlowsThroughFlowControlWindows() throws {
        let client = try NGHTTP2Session(role: .client, limits: limits)
        let server = try NGHTTP2Session(role: .server, limits: limits)
        let size = 1 << 20
        var payload = ByteBuffer()
        for index in 0..<size { payload.writeInteger(UInt8(truncatingIfNeeded: index &* 31)) }
        _ = try client.submitRequest(fields: requestFields("POST", "/big"), body: payload)
        let events = try pump(client, server, rounds: 2000)
        var received = ByteBuffer()
        for case .data(1, var bytes) in events.server { received.writeBuffer(&bytes) }
        #expect(received == payload)
    }

    @Test func streamingResponseDefersUntilMoreBytesArrive() throws {
        let client = try NGHTTP2Session(role: .client, limits: limits)
        let server = try NGHTTP2Session(role: .server, limits: limits)
        _ = try client.submitRequest(fields: requestFields("GET", "/stream"), body: nil)
        _ = try pump(client, server)
        try server.submitResponse(streamID: 1, fields: [HTTP2Field(":status", "200")], body: nil, endStream: false)
        server.appendBody(streamID: 1, bytes: ByteBuffer(string: "a"), end: false)
        var events = try pump(client, server)
        #expect(!events.client.contains { if case .streamClosed = $0 { true } else { false } }, "stream must stay open")
        server.appendBody(streamID: 1, bytes: ByteBuffer(string: "b"), end: true)
        events.client += try pump(client, server).client
        var body = ByteBuffer()
        for case .data(1, var bytes) in events.client { body.writeBuffer(&bytes) }
        #expect(String(buffer: body) == "ab")
        #expect(events.client.contains { if case .streamClosed(1, 0) = $0 { true } else { false } })
        #expect(server.pendingBodyBytes(streamID: 1) == 0)
    }

    @Test func clientResetClosesTheServerStreamWithItsCode() throws {
        let client = try NGHTTP2Session(role: .client, limits: limits)
        let server = try NGHTTP2Session(role: .server, limits: limits)
        _ = try client.submitRequest(fields: requestFields("GET", "/stream"), body: nil)
        _ = try pump(client, server)
        try server.submitResponse(streamID: 1, fields: [HTTP2Field(":status", "200")], body: nil, endStream: false)
        _ = try pump(client, server)
        client.resetStream(streamID: 1, code: .cancel)
        let events = try pump(client, server)
        #expect(events.server.contains { if case .streamClosed(1, HTTP2ErrorCode.cancel.rawValue) = $0 { true } else { false } })
    }

    @Test func badPrefaceIsFatal() throws {
        let server = try NGHTTP2Session(role: .server, limits: limits)
        #expect(throws: NGHTTP2Failure.self) { try server.receive(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n")) }
    }

    @Test func oversizedHeaderListIsReportedAndFatal() throws {
        let client = try NGHTTP2Session(role: .client, limits: NGHTTP2SessionLimits(maxConcurrentStreams: 100, maxHeaderListSize: 1 << 20, initialWindowSize: 65_535, maxFrameSize: 16_384))
        let server = try NGHTTP2Session(role: .server, limits: limits)
        _ = try client.submitRequest(fields: requestFields("GET", "/", extra: [HTTP2Field("x-big", String(repeating: "v", count: 6000))]), body: nil)
        var bytes = ByteBuffer()
        client.produceOutput(into: &bytes)
        #expect(throws: NGHTTP2Failure.self) { try server.receive(bytes) }
        #expect(server.events.contains { if case .headerListTooLarge(1) = $0 { true } else { false } })
    }

    @Test func gracefulGoAwayReachesTheClient() throws {
        let client = try NGHTTP2Session(role: .client, limits: limits)
        let server = try NGHTTP2Session(role: .server, limits: limits)
        _ = try client.submitRequest(fields: requestFields("GET", "/"), body: nil)
        _ = try pump(client, server)
        server.submitGoAway(code: .noError)
        let events = try pump(client, server)
        #expect(events.client.contains { if case .goAway(1, 0) = $0 { true } else { false } })
    }
}
