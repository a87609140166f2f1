import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
@testable import RingdeskHTTP2
import RingdeskNode
import RingdeskTestSupport

/// A real HTTP/2 server on a loopback port chosen by the kernel, with the node's routes plus
/// probes that let tests observe what handlers saw (cancellations).
final class TestServer: Sendable {
    let server: HTTP2Server
    let group: MultiThreadedEventLoopGroup
    let port: Int
    /// Streaming handlers that ended by cancellation (the peer reset or left).
    let cancelledStreams: NIOLockedValueBox<Int>
    /// Async handlers currently waiting on `/test/slow`.
    let slowInFlight: NIOLockedValueBox<Int>
    private let runTask: Task<Void, Error>

    static func start(configuration: HTTP2ServerConfiguration = .defaults, threads: Int = 1, port: Int = 0) async throws -> TestServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let cancelled = NIOLockedValueBox(0)
        let slow = NIOLockedValueBox(0)
        var router = NodeRoutes.router(nodeID: "test", version: "test")
        router.add("GET", "/test/forever", .streaming { _, writer in
            do {
                for index in 0..<1_000_000 {
                    try await writer.write(#"{"seq":\#(index)}"# + "\n")
                    try await Task.sleep(for: .milliseconds(2))
                }
            } catch {
                cancelled.withLockedValue { $0 += 1 }
                throw error
            }
        })
        router.add("GET", "/test/slow", .async { request in
            slow.withLockedValue { $0 += 1 }
            defer { slow.withLockedValue { $0 -= 1 } }
            let millis = Int(request.queryItems["ms"] ?? "200") ?? 200
            try await Task.sleep(for: .milliseconds(millis))
            return .json(ByteBuffer(string: #"{"slept_ms":\#(millis)}"#))
        })
        // Answers later from another thread, and then tries again: only the first answer counts.
        router.add("POST", "/test/deferred", .deferred { request, responder in
            let text = String(buffer: request.body)
            DispatchQueue.global().async {
                responder.respond { .json(ByteBuffer(string: #"{"echo":"\#(text)"}"#)) }
                responder.respond(HTTP2Response(status: 500))
            }
        })
        router.add("GET", "/v1/items/{id}", .inline { request in
            .json(ByteBuffer(string: #"{"id":"\#(request.pathParameters["id"] ?? "")","template":"\#(request.routeTemplate)"}"#))
        })
        var logger = Logger(label: "test-server")
        logger.logLevel = .critical
        let server = try HTTP2Server(host: "127.0.0.1", port: port, router: router, configuration: configuration, group: group, logger: logger)
        let task = Task { try await server.run() }
        let address = try await server.localAddress
        return TestServer(server: server, group: group, port: address.port!, cancelled: cancelled, slow: slow, task: task)
    }

    private init(server: HTTP2Server, group: MultiThreadedEventLoopGroup, port: Int, cancelled: NIOLockedValueBox<Int>, slow: NIOLockedValueBox<Int>, task: Task<Void, Error>) {
        self.server = server
        self.group = group
        self.port = port
        self.cancelledStreams = cancelled
        self.slowInFlight = slow
        self.runTask = task
    }

    var peer: HTTP2Client.Peer { HTTP2Client.Peer(host: "127.0.0.1", port: port) }

    /// Graceful shutdown of the server only; the event loops stay up for clients sharing them.
    func stopServerOnly() async throws {
        server.beginShutdown()
        _ = try? await runTask.value
    }

    /// Graceful shutdown, then the event loops.
    func stop() async throws {
        server.beginShutdown()
        _ = try? await runTask.value
        try await group.shutdownGracefully()
    }
}

/// Runs `body` with a started server and always stops it.
func withTestServer<T>(configuration: HTTP2ServerConfiguration = .defaults, _ body: (TestServer) async throws -> T) async throws -> T {
    let server = try await TestServer.start(configuration: configuration)
    do {
        let result = try await body(server)
        try await server.stop()
        return result
    } catch {
        try? await server.stop()
        throw error
    }
}

/// Polls `condition` until it holds or the deadline passes (no fixed sleeps in tests).
func eventually(within seconds: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}
