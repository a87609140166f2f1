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

    /// Options with a value, and flags, that may also come before the subcommand.
    static let valued: Set<String> = ["--node", "--timeout", "--tls-ca"]
    static let flags: Set<String> = ["--json"]

    /// `ringdesk --node H:P health` as `ringdesk health --node H:P` (kubectl and consul accept both):
    /// global options before the first subcommand name move behind the command line (before a
    /// `--`, if any), where every command's `GlobalOptions` reads them.
    static func hoisted(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = String(argument.prefix { $0 != "=" })
            if flags.contains(argument) || (valued.contains(name) && argument.contains("=")) {
                leading.append(argument)
                index += 1
            } else if valued.contains(argument), index + 1 < arguments.count {
                leading += [argument, arguments[index + 1]]
                index += 2
            } else {
                break
            }
        }
        guard !leading.isEmpty else { return arguments }
        var rest = Array(arguments[index...])
        rest.insert(contentsOf: leading, at: rest.firstIndex(of: "--") ?? rest.count)
        return rest
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
