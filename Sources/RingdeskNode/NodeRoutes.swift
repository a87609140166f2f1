import NIOCore
import RingdeskHTTP2

/// Routes that do not need the ticket service: health and the transport's echo endpoints.
public enum NodeRoutes {
    public static func router(nodeID: String, version: String) -> HTTP2Router {
        var router = HTTP2Router()
        let health = ByteBuffer(string: #"{"status":"ok","node":"\#(nodeID)","version":"\#(version)"}"#)
        let ready = ByteBuffer(string: #"{"ready":true}"#)
        // Probes echo `x-request-id` like every API answer, so a probe can be traced in the logs.
        router.add("GET", "/health", .inline { request in NodeRoutes.withRequestID(.json(health), for: request) })
        router.add("GET", "/ready", .inline { request in NodeRoutes.withRequestID(.json(ready), for: request) })
        // Echo: the body comes back unchanged with the request's content type (transport checks, benchmarks).
        router.add("POST", "/v1/echo", .inline(echo))
        router.add("POST", "/v1/echo-async", .async { request in echo(request) })
        // Streams `count` JSON lines, one every `interval_ms`: exercises streaming responses end to end.
        router.add("GET", "/v1/echo/stream", .streaming { request, writer in
            let items = request.queryItems
            guard let count = Int(items["count"] ?? "10"), (0...100_000).contains(count) else {
                throw HTTPError.badRequest("count must be an integer between 0 and 100000", code: "invalid_count")
            }
            guard let interval = Int(items["interval_ms"] ?? "0"), (0...60_000).contains(interval) else {
                throw HTTPError.badRequest("interval_ms must be an integer between 0 and 60000", code: "invalid_interval")
            }
            let size = min(max(Int(items["size"] ?? "0") ?? 0, 0), 1 << 20)
            let padding = String(repeating: "x", count: size)
            try await writer.writeHead(status: 200, headers: HTTP2Headers([("content-type", "application/x-ndjson")]))
            for index in 0..<count {
                try await writer.write(#"{"seq":\#(index),"pad":"\#(padding)"}"# + "\n")
                if interval > 0 { try await Task.sleep(for: .milliseconds(interval)) }
            }
            try await writer.finish()
        })
        return router
    }

    static func withRequestID(_ response: HTTP2Response, for request: HTTP2Request) -> HTTP2Response {
        var response = response
        response.headers.add("x-request-id", NodeAPI.requestID(request))
        return response
    }

    static func echo(_ request: HTTP2Request) -> HTTP2Response {
        var headers = HTTP2Headers()
        headers.add("content-type", request.headers["content-type"] ?? "application/octet-stream")
        return HTTP2Response(status: 200, headers: headers, body: request.body)
    }
}
