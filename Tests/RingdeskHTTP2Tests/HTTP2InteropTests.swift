import Foundation
import RingdeskHTTP2
import RingdeskTestSupport
import Testing

/// Independent HTTP/2 implementations against Ringdesk's server over real sockets: curl (libcurl's
/// own HTTP/2 on nghttp2), nghttp and h2load (nghttp2's client tools), and Python's `h2` and `httpx`.
/// `scripts/setup.sh` installs them; the README's test command runs it first.
@Suite(.serialized) struct HTTP2InteropTests {
    @Test func curlPriorKnowledge() async throws {
        try await withTestServer { server in
            let base = "http://127.0.0.1:\(server.port)"
            let health = try await runProgram("curl", ["-sS", "--http2-prior-knowledge", "-w", "\\n%{http_version} %{http_code}", "\(base)/health"])
            #expect(health.status == 0, "\(health.stderr)")
            #expect(health.stdout.hasSuffix("2 200"))
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-curl-\(UUID().uuidString).bin")
            defer { try? FileManager.default.removeItem(at: path) }
            try Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 13) }).write(to: path)
            let echo = try await runProgram("curl", ["-sS", "--http2-prior-knowledge", "--data-binary", "@\(path.path)", "-o", "\(path.path).out", "-w", "%{http_code} %{size_download}", "\(base)/v1/echo"])
            defer { try? FileManager.default.removeItem(atPath: path.path + ".out") }
            #expect(echo.stdout == "200 1048576", "\(echo.stdout) \(echo.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path.path + ".out")) == Data(contentsOf: path))
            let stream = try await runProgram("curl", ["-sS", "-N", "--http2-prior-knowledge", "\(base)/v1/echo/stream?count=25&interval_ms=1"])
            #expect(stream.stdout.split(separator: "\n").count == 25)
        }
    }

    @Test func nghttpClient() async throws {
        try await withTestServer { server in
            let base = "http://127.0.0.1:\(server.port)"
            let result = try await runProgram("nghttp", ["-v", "-d", "-", "\(base)/v1/echo"])
            // nghttp reads the body from stdin, which is /dev/null here: an empty POST is fine.
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains(":status: 200"))
            let streamed = try await runProgram("nghttp", ["\(base)/v1/echo/stream?count=40"])
            #expect(streamed.status == 0)
            #expect(streamed.stdout.split(separator: "\n").count == 40)
            // Several URIs multiplexed over one connection.
            let many = try await runProgram("nghttp", ["-n", "-s", "\(base)/health", "\(base)/ready", "\(base)/health"])
            #expect(many.status == 0, "\(many.stderr)")
        }
    }

    @Test func h2loadThousandConcurrentStreamsOnOneConnection() async throws {
        try await withTestServer { server in
            let body = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-h2load-\(UUID().uuidString).json")
            defer { try? FileManager.default.removeItem(at: body) }
            try Data(#"{"ticket":"T-1","category":"refund"}"#.utf8).write(to: body)
            let result = try await runProgram("h2load", ["-n", "5000", "-c", "1", "-m", "1000", "-d", body.path, "http://127.0.0.1:\(server.port)/v1/echo"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("5000 succeeded, 0 failed, 0 errored, 0 timeout"), "\(result.stdout)")
        }
    }

    @Test func pythonH2AndHttpxIncludingHostileInput() async throws {
        try await withTestServer { server in
            let script = repositoryRoot.appendingPathComponent("scripts/interop/h2_interop.py").path
            let result = try await runProgram("python3", [script, "127.0.0.1", String(server.port)], timeout: 120)
            let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
            #expect(result.status == 0, "\(last) \(result.stderr)")
            let summary = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
            let passed = summary?["passed"] as? [String] ?? []
            for name in ["h2_one_mib_body", "h2_streaming", "h2_reset_mid_stream", "h2_thousand_streams", "httpx",
                         "bad_preface", "truncated_frame", "invalid_stream_id", "oversized_headers", "hpack_bomb",
                         "window_overflow", "oversized_frame", "garbage"] {
                #expect(passed.contains(name), "check \(name) did not pass: \(last)")
            }
            // The reset in h2_reset_mid_stream hit /v1/echo/stream; the server must have stayed up.
            let health = try await runProgram("curl", ["-sS", "--http2-prior-knowledge", "http://127.0.0.1:\(server.port)/health"])
            #expect(health.stdout.contains("\"status\":\"ok\""))
        }
    }

    @Test func silentPeerIsDroppedAtTheHeaderReadTimeout() async throws {
        var configuration = HTTP2ServerConfiguration.defaults
        configuration.headerReadTimeout = .milliseconds(300)
        try await withTestServer(configuration: configuration) { server in
            let script = repositoryRoot.appendingPathComponent("scripts/interop/h2_interop.py").path
            let result = try await runProgram("python3", [script, "127.0.0.1", String(server.port), "silent_peer", "h2_basic"], timeout: 60)
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        }
    }
}
