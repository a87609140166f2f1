import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import RingdeskHTTP2
import Testing

/// A real `ringdeskd` process started the way a user starts it, on a loopback port, with its own
/// data directory. Stopped by PID (SIGTERM, or SIGKILL for crash tests); never by name.
final class NodeProcess {
    let port: Int
    let dataDirectory: URL
    private(set) var process: Process?
    private let extraArguments: [String]
    /// Where the node's standard error goes (its log), when the test wants to read it.
    let logFile: URL?
    /// Set in the node's environment on top of the test's own.
    private let environment: [String: String]

    init(port: Int? = nil, dataDirectory: URL? = nil, arguments: [String] = [], logFile: URL? = nil, environment: [String: String] = [:]) throws {
        self.logFile = logFile
        self.environment = environment
        self.port = try port ?? Self.freePort()
        self.dataDirectory = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-node-\(UUID().uuidString)")
        self.extraArguments = arguments
    }

    static var binary: URL {
        get throws { try executable("ringdeskd") }
    }

    /// A product of this package, built next to the test bundle (`RINGDESKD` overrides ringdeskd).
    static func executable(_ name: String) throws -> URL {
        do {
            if name == "ringdeskd", let path = ProcessInfo.processInfo.environment["RINGDESKD"] { return URL(fileURLWithPath: path) }
            // The test bundle sits in the build products folder next to the executables.
            var candidates: [URL] = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
            candidates.append(candidates[0].deletingLastPathComponent())
            candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/debug"))
            for directory in candidates {
                let url = directory.appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
            throw NodeTestError("\(name) not found next to the test bundle; build it first (swift build --build-tests)")
        }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw NodeTestError("could not find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    var peer: HTTP2Client.Peer { HTTP2Client.Peer(host: "127.0.0.1", port: port) }
    var pid: Int32 { process?.processIdentifier ?? 0 }

    /// Starts the node and waits (bounded) until `/ready` answers.
    func start(client: HTTP2Client) async throws {
        try launch()
        try await waitReady(client: client)
    }

    /// Starts the process without waiting (the nodes of a cluster start together: none is ready
    /// before a quorum of them runs).
    func launch() throws {
        let process = Process()
        process.executableURL = try Self.binary
        process.arguments = ["--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDirectory.path, "--log-level", logFile == nil ? "warning" : "trace"] + extraArguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        if let logFile {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: logFile)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        self.process = process
    }

    /// Waits (bounded) until the launched node answers `/ready`.
    func waitReady(client: HTTP2Client, within seconds: Int = 30) async throws {
        guard let process else { throw NodeTestError("ringdeskd was not launched") }
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if !process.isRunning { throw NodeTestError("ringdeskd exited with status \(process.terminationStatus)") }
            if let response = try? await client.execute(HTTP2ClientRequest(path: "/ready"), to: peer, timeout: .seconds(1)), response.status == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw NodeTestError("ringdeskd did not become ready within \(seconds) s")
    }

    /// Waits (bounded) until the launched node exits by itself; its exit status, nil if it still runs.
    func waitForExit(within seconds: Int) async throws -> Int32? {
        guard let process else { throw NodeTestError("ringdeskd was not launched") }
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// SIGKILL: the crash case, nothing flushed by the process itself.
    func kill9() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and a bounded wait, then SIGKILL.
    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func removeData() {
        try? FileManager.default.removeItem(at: dataDirectory)
    }
}

/// Starts a node as a user would, runs `body` with it and a client, and always stops the node
/// (by PID), removes its data and shuts the client down.
///
/// RINGDESK_E2E_NODES=3 runs the same test against a 3-node cluster, every request through the next
/// node in turn. `oneProcess`: the test examines one process itself (its signals, log file, metrics
/// or backup files), so it keeps a node alone; TLS nodes stay alone too (their peers would need the
/// test's CA).
func withNode(arguments: [String] = [], logFile: URL? = nil, client configuration: HTTP2ClientConfiguration = .defaults,
              oneProcess: Bool = false, _ body: (NodeProcess, APIClient) async throws -> Void) async throws {
    if let size = Int(ProcessInfo.processInfo.environment["RINGDESK_E2E_NODES"] ?? ""), size > 1, !oneProcess,
       !arguments.contains("--tls-cert") {
        try await withSpreadCluster(size: size, arguments: arguments, logFile: logFile, client: configuration, body)
        return
    }
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let client = try HTTP2Client(group: group, configuration: configuration)
    let node = try NodeProcess(arguments: arguments, logFile: logFile)
    defer {
        node.stop()
        node.removeData()
    }
    do {
        try await node.start(client: client)
        try await body(node, APIClient(client: client, peer: node.peer))
    } catch {
        await client.shutdown()
        try await group.shutdownGracefully()
        throw error
    }
    await client.shutdown()
    try await group.shutdownGracefully()
}

/// `size` nodes sharing their tickets (`ticket_store: shards`, 8 shards replicated on all, the
/// test's own `--config` keys kept), launched together; `body` gets node 1 and a client that sends
/// each request to the next node in turn. Stopped by PID; data and configs removed.
private func withSpreadCluster(size: Int, arguments: [String], logFile: URL?, client configuration: HTTP2ClientConfiguration,
                               _ body: (NodeProcess, APIClient) async throws -> Void) async throws {
    var rest = arguments
    var base: [String: Any] = [:]
    if let at = rest.firstIndex(of: "--config"), at + 1 < rest.count {
        base = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: rest[at + 1]))) as? [String: Any] ?? [:]
        rest.removeSubrange(at...(at + 1))
    }
    let ports = try (0..<size).map { _ in try NodeProcess.freePort() }
    var peers: [String: String] = [:]
    for (index, port) in ports.enumerated() { peers[String(index + 1)] = "127.0.0.1:\(port)" }
    var nodes: [NodeProcess] = []
    var configs: [URL] = []
    for index in 0..<size {
        var object = base
        object["ticket_store"] = "shards"
        object["shards"] = 8
        object["replication"] = ["node_id": index + 1, "peers": peers, "tick_ms": 50, "election_ticks": 10]
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-e2e-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: object).write(to: config)
        configs.append(config)
        nodes.append(try NodeProcess(port: ports[index], arguments: rest + ["--config", config.path], logFile: index == 0 ? logFile : nil))
    }
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let client = try HTTP2Client(group: group, configuration: configuration)
    defer {
        for node in nodes { node.stop(); node.removeData() }
        for config in configs { try? FileManager.default.removeItem(at: config) }
    }
    do {
        for node in nodes { try node.launch() }
        for node in nodes { try await node.waitReady(client: client, within: 60) }
        try await body(nodes[0], APIClient(client: client, peer: nodes[0].peer, spread: nodes.map(\.peer)))
    } catch {
        await client.shutdown()
        try await group.shutdownGracefully()
        throw error
    }
    await client.shutdown()
    try await group.shutdownGracefully()
}

struct NodeTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A client speaking to one node: JSON helpers over `HTTP2Client`.
struct APIClient {
    let client: HTTP2Client
    let peer: HTTP2Client.Peer
    /// With several nodes, each request goes to the next of them in turn.
    var spread: [HTTP2Client.Peer] = []
    private let turn = NIOLockedValueBox(0)

    init(client: HTTP2Client, peer: HTTP2Client.Peer, spread: [HTTP2Client.Peer] = []) {
        self.client = client
        self.peer = peer
        self.spread = spread
    }

    private func nextPeer() -> HTTP2Client.Peer {
        guard !spread.isEmpty else { return peer }
        return spread[turn.withLockedValue { turn in
            defer { turn += 1 }
            return turn % spread.count
        }]
    }

    struct Reply {
        var status: Int
        var headers: HTTP2Headers
        var body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var code: String? { json["code"] as? String }
    }

    func send(_ method: String, _ path: String, json: Any? = nil, raw: String? = nil, headers: [(String, String)] = []) async throws -> Reply {
        var body: ByteBuffer?
        if let json { body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)) }
        if let raw { body = ByteBuffer(string: raw) }
        var requestHeaders = HTTP2Headers(headers)
        if body != nil { requestHeaders.add("content-type", "application/json") }
        let response = try await client.execute(HTTP2ClientRequest(method: method, path: path, headers: requestHeaders, body: body), to: nextPeer(), timeout: .seconds(30))
        return Reply(status: response.status, headers: response.headers, body: Data(response.body.readableBytesView))
    }
}

/// A valid after-sales ticket draft as JSON.
func draftJSON(customer: String = "C-1", category: String = "refund", channel: String = "chat", subject: String = "Refund for order O-1 not received", skills: [[String: Any]] = [["skill": "refunds", "min_level": 2]], tier: String = "standard") -> [String: Any] {
    [
        "category": category, "channel": channel, "subject": subject, "body": "I returned the parcel two weeks ago.",
        "customer": ["id": customer, "tier": tier, "language": "en", "region": "eu-west", "order_id": "O-1", "order_value": 89.9],
        "required_skills": skills,
    ]
}

/// Client settings that trust one PEM certificate (the throwaway CA of a TLS test node).
func tlsClientConfiguration(trusting certificate: String) throws -> HTTP2ClientConfiguration {
    var configuration = HTTP2ClientConfiguration.defaults
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificate))
    configuration.tls = tls
    return configuration
}
