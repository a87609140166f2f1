import Foundation
import NIOCore
import NIOSSL
import RingdeskHTTP2
import RingdeskTestSupport
import Testing

/// The TLS option: ALPN "h2" over swift-nio-ssl, checked with Ringdesk's client and with curl.
@Suite(.serialized) struct HTTP2TLSTests {
    @Test func alpnH2ServesRingdeskClientAndCurl() async throws {
        let material = try await makeSelfSignedCertificate()
        defer { try? FileManager.default.removeItem(at: material.directory) }
        var configuration = HTTP2ServerConfiguration.defaults
        configuration.tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(material.certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: material.key, format: .pem))
        )
        try await withTestServer(configuration: configuration) { server in
            var clientConfiguration = HTTP2ClientConfiguration.defaults
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(material.certificate))
            clientConfiguration.tls = tls
            let client = try HTTP2Client(group: server.group, configuration: clientConfiguration)
            let response = try await client.execute(HTTP2ClientRequest(method: "POST", path: "/v1/echo", body: ByteBuffer(string: "over tls")), to: server.peer)
            #expect(response.status == 200)
            #expect(String(buffer: response.body) == "over tls")
            await client.shutdown()

            let curl = try await runProgram("curl", ["-sS", "--http2", "--cacert", material.certificate, "-w", "\\n%{http_version} %{http_code}", "https://127.0.0.1:\(server.port)/health"])
            #expect(curl.status == 0, "\(curl.stderr)")
            #expect(curl.stdout.hasSuffix("2 200"), "curl must negotiate h2 through ALPN: \(curl.stdout)")

            // A cleartext h2c client on the TLS port is refused without harming the server.
            let plain = try await runProgram("curl", ["-sS", "--http2-prior-knowledge", "-m", "5", "http://127.0.0.1:\(server.port)/health"])
            #expect(plain.status != 0)
            let again = try await runProgram("curl", ["-sS", "--http2", "--cacert", material.certificate, "https://127.0.0.1:\(server.port)/health"])
            #expect(again.stdout.contains("\"status\":\"ok\""))
        }
    }
}
