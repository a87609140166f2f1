import Foundation
import NIOCore
import NIOPosix
@testable import RingdeskHTTP2
import Testing

/// Ringdesk's own client against its own server over real loopback sockets.
@Suite(.serialized) struct HTTP2ClientServerTests {
    @Test func requestsMultiplexOnOneConnection() async throws {
        try await withTestServer { server in
            let client = try HTTP2Client(group: server.group)
            defer { Task { await client.shutdown() } }
            let bodies = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let response = try await client.execute(
                            HTTP2ClientRequest(method: "POST", path: "/v1/echo", body: ByteBuffer(string: "n\(index)")), to: server.peer
                        )
                        #expect(response.status == 200)
                        return String(buffer: response.body)
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(bodies == Set((0..<200).map { "n\($0)" }))
            let templated = try await client.execute(HTTP2ClientRequest(path: "/v1/items/abc%20d"), to: server.peer)
            #expect(String(buffer: templated.body) == #"{"id":"abc d","template":"/v1/items/{id}"}"#)
        }
    }

    @Test func deferredRoutesAnswerOnceFromAnotherThreadAndSendNeedsNoTask() async throws {
        try await withTestServer { server in
            let client = try HTTP2Client(group: server.group)
            defer { Task { await client.shutdown() } }
            // `send` (futures, no task per request) against `.deferred` (answered from a
            // dispatch thread, then answered again, which must be dropped).
            let futures = (0..<200).map { index in
                client.send(HTTP2ClientRequest(method: "POST", path: "/test/deferred", body: ByteBuffer(string: "n\(index)")), to: server.peer)
            }
            var bodies = Set<String>()
            for future in futures {
                let response = try await future.get()
                #expect(response.status == 200)
                bodies.insert(String(buffer: response.body))
            }
            #expect(bodies == Set((0..<200).map { #"{"echo":"n\#($0)"}"# }))

            // A peer that is not there fails the future; the client keeps working for the next.
            let gone = try await TestServer.start()
            let closed = gone.port
            try await gone.stop()
            await #expect(throws: (any Error).self) {
                _ = try await client.send(HTTP2ClientRequest(path: "/v1/health"), to: HTTP2Client.Peer(host: "127.0.0.1", port: closed)).get()
            }
            let again = try await client.send(HTTP2ClientRequest(method: "POST", path: "/test/deferred", body: ByteBuffer(string: "x")), to: server.peer).get()
            #expect(again.status == 200)
        }
    }

    @Test func oneMebibyteEchoesIntact() async throws {
        try await withTestServer { server in
            let client = try HTTP2Client(group: server.group)
            defer { Task { await client.shutdown() } }
            var payload = ByteBuffer()
            for index in 0..<(1 << 20) { payload.writeInteger(UInt8(truncatingIfNeeded: index &* 7)) }
            let response = try await client.execute(HTTP2ClientRequest(method: "POST", path: "/v1/echo-async", body: payload), to: server.peer)
            #expect(response.status == 200)
            #expect(response.body == payload)
        }
    }

    @Test func oversizedBodyGets413WithJSONError() async throws {
        var configuration = HTTP2ServerConfiguration.defaults
        configuration.maxRequestBodySize = 1000
        try await withTestServer(configuration: configuration) { server in
            let client = try HTTP2Client(group: server.group)
            defer { Task { await client.shutdown() } }
            let response = try await client.execute(
                HTTP2ClientRequest(method: "POST", path: "/v1/echo", body: ByteBuffer(repeating: 1, count: 1001)), to: server.peer
            )
            #expect(response.status == 413)
            let error = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: String]
            #expect(error?["code"] == "payload_too_large")
            #expect(error?["message"]?.contains("1000") == true)
            // The connection still serves.
            let ok = try await client.execute(HTTP2ClientRequest(path: "/health"), to: server.peer)
            #expect(ok.status == 200)
        }
    }

    @Test func unknownRouteAndWrongMethodAnswerJSON() async throws {
        try await withTestServer { server in
            let client = try HTTP2Client(group: server.group)
            defer { Task { await client.shutdown() } }
            let missing = try await client.execute(HTTP2ClientRequest(path: "/nope"), to: server.peer)
            #expect(missing.status == 404)
            #expect(String(buffer: missing.body).contains("\"code\":\"not_found\""))
            let wrong = try await client.execute(HTTP2ClientRequest(method: "DELETE", path: "/health"), to: server.peer)
            #expect(wrong.status == 405)
            #expect(wrong.headers["allow"] == "GET")
        }
    }

    @Test func streamingResponseArrivesInOrder() async throws {
        try await withTestServer { server in
            let client = try HTTP2Client(group: server.group)
            defer { Task { await client.shutdown() } }
            let response = try await client.stream(HTTP2ClientRequest(path: "/v1/echo/stream?count=100&size=100"), to: server.peer)
            #expect(response.status == 200)
            var text = ""
            for try await chunk in response.body { text += String(buffer: chunk) }
            let lines = text.split(separator: "\n")
            #expect(lines.count == 100)
            #expect(lines.last?.hasPrefix(#"{"seq":99,"#) == true)
        }
    }

    @Test func abandoningAStreamCancelsTheServerHandler() async throws {
        try await withTestServer { server in
            let client = try HTTP2Client(group: server.group)
            defer { Task { await client.shutdown() } }
            let response = try await client.stream(HTTP2ClientRequest(path: "/test/forever"), to: server.peer)
            var received = 0
            for try await _ in response.body {
                received += 1
                if received == 3 { break }  // stops iteration: the client resets the stream
            }
            #expect(await eventually { server.cancelledStreams.withLockedValue { $0 } == 1 })
            let ok = try await client.execute(HTTP2ClientRequest(path: "/health"), to: server.peer)
            #expect(ok.status == 200)
        }
    }

    @Test func requestDeadlineFailsTheCallNotTheConnection() async throws {
        try await withTestServer { server in
            let client = try HTTP2Client(group: server.group)
            defer { Task { await client.shutdown() } }
            await #expect(throws: HTTP2TransportError.deadlineExceeded) {
                _ = try await client.execute(HTTP2ClientRequest(path: "/test/slow?ms=5000"), to: server.peer, timeout: .milliseconds(100))
            }
            let ok = try await client.execute(HTTP2ClientRequest(path: "/health"), to: server.peer)
            #expect(ok.status == 200)
        }
    }

    @Test func gracefulShutdownFinishesInFlightStreams() async throws {
        let server = try await TestServer.start()
        let client = try HTTP2Client(group: server.group)
        let slow = Task { try await client.execute(HTTP2ClientRequest(path: "/test/slow?ms=300"), to: server.peer) }
        #expect(await eventually { server.slowInFlight.withLockedValue { $0 } == 1 })
        try await server.stopServerOnly()
        let response = try await slow.value
        #expect(response.status == 200)
        #expect(String(buffer: response.body) == #"{"slept_ms":300}"#)
        // New requests are refused once the listener is closed.
        await #expect(throws: (any Error).self) { _ = try await client.execute(HTTP2ClientRequest(path: "/health"), to: server.peer) }
        await client.shutdown()
        try await server.group.shutdownGracefully()
    }

    @Test func clientReconnectsAfterTheServerRestarts() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try HTTP2Client(group: group)
        let first = try await TestServer.start()
        let port = first.port
        #expect(try await client.execute(HTTP2ClientRequest(path: "/health"), to: first.peer).status == 200)
        try await first.stop()
        // Same port again, new server: the pooled connection is dead and must be replaced.
        let second = try await TestServer.start(port: port)
        #expect(try await client.execute(HTTP2ClientRequest(path: "/health"), to: second.peer).status == 200)
        await client.shutdown()
        try await second.stop()
        try await group.shutdownGracefully()
    }
}
