import ArgumentParser
import Foundation
import NIOCore
import NIOSSL
import RingdeskHTTP2

/// Options every command takes: which node, raw JSON or tables, and the request deadline.
struct GlobalOptions: ParsableArguments {
    static let defaultNode = "127.0.0.1:7600"

    @Option(help: ArgumentHelp("Node address (default: $RINGDESK_NODE or \(GlobalOptions.defaultNode)).", valueName: "host:port"))
    var node: String?

    @Flag(help: "Print the raw JSON response instead of a table.")
    var json = false

    @Option(help: ArgumentHelp("Seconds to wait for each response.", valueName: "seconds"))
    var timeout: Double = 10

    @Option(name: .customLong("tls-ca"), help: ArgumentHelp("Talk to a node serving TLS, trusting this PEM CA or certificate (default: $RINGDESK_TLS_CA; none = cleartext h2c).", valueName: "file"))
    var tlsCA: String?

    /// TLS settings when a CA is given (flag, then RINGDESK_TLS_CA); nil means cleartext h2c.
    func tlsConfiguration() throws -> TLSConfiguration? {
        guard let path = tlsCA ?? ProcessInfo.processInfo.environment["RINGDESK_TLS_CA"], !path.isEmpty else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
        } catch {
            throw ValidationError("--tls-ca: cannot read a PEM certificate from \(path): \(error)")
        }
        return tls
    }

    /// The address in effect: the flag, then RINGDESK_NODE, then the default.
    var nodeAddress: String {
        if let node { return node }
        if let env = ProcessInfo.processInfo.environment["RINGDESK_NODE"], !env.isEmpty { return env }
        return Self.defaultNode
    }

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else {
            throw ValidationError("--timeout must be between 0 and 3600 seconds")
        }
        _ = try Self.peer(nodeAddress)
    }

    /// Parses `host:port` or `[v6]:port`.
    static func peer(_ text: String) throws -> HTTP2Client.Peer {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ValidationError("node address '\(text)' must be HOST:PORT") }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ValidationError("node address '\(text)' must be HOST:PORT (e.g. 127.0.0.1:7600)")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port) else {
            throw ValidationError("node address '\(text)' must be HOST:PORT with a port from 1 to 65535")
        }
        if host == "localhost" { host = "127.0.0.1" }
        return HTTP2Client.Peer(host: String(host), port: port)
    }

    /// Opens a client for the duration of `body` and closes its connection afterwards.
    func withClient<T>(_ body: (NodeClient) async throws -> T) async throws -> T {
        let client = try NodeClient(peer: Self.peer(nodeAddress), label: nodeAddress, timeout: timeout, tls: tlsConfiguration())
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }
}
