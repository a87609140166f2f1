import NIOCore
@testable import RingdeskHTTP2
import Testing

@Suite struct HTTP2RequestAssemblerTests {
    func head(_ method: String = "POST", _ path: String = "/v1/echo?x=1&y=a%20b", extra: [HTTP2Field] = []) -> [HTTP2Field] {
        [HTTP2Field(":method", method), HTTP2Field(":path", path), HTTP2Field(":scheme", "http"), HTTP2Field(":authority", "node-1")] + extra
    }

    @Test func headersOnlyRequestDispatchesAtOnce() throws {
        var assembler = HTTP2RequestAssembler(maxBodySize: 100)
        guard case .dispatch(let request) = assembler.headersReceived(head("GET", "/health"), endStream: true) else {
            Issue.record("expected dispatch"); return
        }
        #expect(request.method == "GET" && request.path == "/health" && request.query == nil)
        #expect(request.authority == "node-1")
    }

    @Test func bodyIsAssembledAcrossChunksAndQueryIsSplit() {
        var assembler = HTTP2RequestAssembler(maxBodySize: 100)
        guard case .none = assembler.headersReceived(head(extra: [HTTP2Field("content-type", "application/json")]), endStream: false) else {
            Issue.record("expected to wait for the body"); return
        }
        guard case .none = assembler.dataReceived(ByteBuffer(string: "{\"a\":")) else { Issue.record("early action"); return }
        guard case .none = assembler.dataReceived(ByteBuffer(string: "1}")) else { Issue.record("early action"); return }
        guard case .dispatch(let request) = assembler.endOfStream() else { Issue.record("expected dispatch"); return }
        #expect(String(buffer: request.body) == "{\"a\":1}")
        #expect(request.path == "/v1/echo")
        #expect(request.queryItems == ["x": "1", "y": "a b"])
        #expect(request.headers["Content-Type"] == "application/json")
    }

    @Test func missingPseudoHeadersAreRejectedWith400() {
        var assembler = HTTP2RequestAssembler(maxBodySize: 100)
        guard case .reject(let response) = assembler.headersReceived([HTTP2Field(":method", "GET")], endStream: true) else {
            Issue.record("expected reject"); return
        }
        #expect(response.status == 400)
        #expect(String(buffer: response.body).contains("\"code\":\"malformed_request\""))
    }

    @Test func declaredLengthOverLimitIsRejectedBeforeTheBody() {
        var assembler = HTTP2RequestAssembler(maxBodySize: 10)
        guard case .reject(let response) = assembler.headersReceived(head(extra: [HTTP2Field("content-length", "11")]), endStream: false) else {
            Issue.record("expected reject"); return
        }
        #expect(response.status == 413)
        guard case .none = assembler.dataReceived(ByteBuffer(string: "ignored")) else { Issue.record("data after reject must be dropped"); return }
    }

    @Test func undeclaredBodyOverLimitIsRejectedWith413() {
        var assembler = HTTP2RequestAssembler(maxBodySize: 10)
        _ = assembler.headersReceived(head(), endStream: false)
        guard case .none = assembler.dataReceived(ByteBuffer(string: "0123456789")) else { Issue.record("limit is inclusive"); return }
        guard case .reject(let response) = assembler.dataReceived(ByteBuffer(string: "x")) else { Issue.record("expected reject"); return }
        #expect(response.status == 413)
        #expect(String(buffer: response.body).contains("payload_too_large"))
        guard case .none = assembler.endOfStream() else { Issue.record("nothing after reject"); return }
    }

    @Test func badContentLengthIsRejected() {
        var assembler = HTTP2RequestAssembler(maxBodySize: 10)
        guard case .reject(let response) = assembler.headersReceived(head(extra: [HTTP2Field("content-length", "-3")]), endStream: false) else {
            Issue.record("expected reject"); return
        }
        #expect(response.status == 400)
    }

    @Test func trailersEndTheRequest() {
        var assembler = HTTP2RequestAssembler(maxBodySize: 100)
        _ = assembler.headersReceived(head(), endStream: false)
        _ = assembler.dataReceived(ByteBuffer(string: "abc"))
        guard case .dispatch(let request) = assembler.headersReceived([HTTP2Field("x-checksum", "1")], endStream: true) else {
            Issue.record("expected dispatch on trailers"); return
        }
        #expect(String(buffer: request.body) == "abc")
    }
}

@Suite struct HTTP2RouterTests {
    func router() -> HTTP2Router {
        var router = HTTP2Router()
        router.add("GET", "/health", .inline { _ in HTTP2Response(status: 200) })
        router.add("GET", "/v1/tickets/{id}", .inline { _ in HTTP2Response(status: 200) })
        router.add("POST", "/v1/tickets/{id}/events", .inline { _ in HTTP2Response(status: 201) })
        router.add("DELETE", "/v1/tickets/{id}", .inline { _ in HTTP2Response(status: 204) })
        return router
    }

    @Test func exactAndTemplatedRoutesMatch() {
        guard case .found(_, let template, let parameters) = router().match(method: "GET", path: "/v1/tickets/T%2D1") else {
            Issue.record("expected a match"); return
        }
        #expect(template == "/v1/tickets/{id}")
        #expect(parameters == ["id": "T-1"])
        guard case .found(_, "/health", [:]) = router().match(method: "GET", path: "/health") else { Issue.record("health"); return }
    }

    @Test func wrongMethodListsTheAllowedOnes() {
        guard case .methodNotAllowed(let allowed) = router().match(method: "PUT", path: "/v1/tickets/abc") else {
            Issue.record("expected 405"); return
        }
        #expect(allowed == ["DELETE", "GET"])
        guard case .methodNotAllowed(["GET"]) = router().match(method: "POST", path: "/health") else { Issue.record("405 on exact"); return }
    }

    /// Regression (issue 17): `%00` ended ids early further down, so `/v1/tickets/T1%00garbage`
    /// answered ticket T1. Decoded path parameters and query values with control characters or
    /// invalid UTF-8 are refused before any handler runs, naming the parameter.
    @Test func controlCharactersInDecodedParametersAreRefused() {
        for raw in ["T1%00garbage", "T1%0Azz", "T1%7F", "T1%C2%85", "T1%FF"] {
            guard case .invalidParameter("id", let message) = router().match(method: "GET", path: "/v1/tickets/\(raw)") else {
                Issue.record("\(raw) was not refused"); continue
            }
            #expect(message.contains("'id'"))
        }
        guard case .invalidParameter("id", _) = router().match(method: "POST", path: "/v1/tickets/T1%00zz/events") else {
            Issue.record("event path not refused"); return
        }
        guard case .invalidParameter("customer_id", _) = router().match(method: "GET", path: "/health", query: "a=1&customer_id=C-1%00zzz") else {
            Issue.record("query value not refused"); return
        }
        guard case .invalidParameter("id", _) = router().match(method: "GET", path: "/v1/tickets/T1", query: "id=%01") else {
            Issue.record("query value on a templated route not refused"); return
        }
        guard case .invalidParameter = router().match(method: "GET", path: "/health", query: "bad%00name=1") else {
            Issue.record("query name not refused"); return
        }
        guard case .found(_, _, ["id": "T é+1"]) = router().match(method: "GET", path: "/v1/tickets/T+%C3%A9%2B1", query: "q=caf%C3%A9&x=") else {
            Issue.record("clean UTF-8 must pass"); return
        }
    }

    /// Regression (found by scripts/chaos/api-fuzz): a query item `=` (empty name and value) made
    /// the refusal check index an empty split and trap, stopping the node. Items with an empty
    /// name reach the route (which refuses names it does not know); `=v` is not the name `v`.
    @Test func queryItemsWithEmptyNamesDoNotTrap() {
        for query in ["=", "wait=0&=&=x", "==", "&=&", "=%C3%A9"] {
            guard case .found = router().match(method: "GET", path: "/health", query: query) else {
                Issue.record("\(query) was not routed"); continue
            }
        }
        guard case .invalidParameter = router().match(method: "GET", path: "/health", query: "=%00") else {
            Issue.record("a control character after an empty name is refused"); return
        }
        let request = HTTP2Request(method: "GET", path: "/v1/echo", query: "=v&a=&b")
        #expect(request.queryItems == ["": "v", "a": "", "b": ""])
    }

    @Test func unknownPathsAreNotFound() {
        for path in ["/", "/v1", "/v1/tickets", "/v1/tickets/a/b", "/v1/tickets/a/events/x"] {
            guard case .notFound = router().match(method: "GET", path: path) else { Issue.record("\(path) matched"); continue }
        }
    }
}
