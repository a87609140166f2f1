import Foundation
import Logging
import NIOCore
import NIOPosix
import RingdeskHTTP2
import RingdeskNode
import RingdeskReplication
import RingdeskService
import RingdeskStorage
import RingdeskTestSupport
import Testing

/// Keeps `docs/openapi.yaml` true: every route the node registers is documented, every documented
/// operation is served, and live responses match the documented statuses and schemas
/// (`scripts/openapi/check.py`). Needs python3 with openapi-spec-validator, pyyaml, httpx[http2]
/// and jsonschema.
@Suite("OpenAPIContract", .serialized)
struct OpenAPIContractTests {
    static let specPath = repositoryRoot.appendingPathComponent("docs/openapi.yaml").path
    static let checkScript = repositoryRoot.appendingPathComponent("scripts/openapi/check.py").path

    @Test("every served route is documented and every documented operation is served")
    func routesMatchSpec() async throws {
        let summary = try await OpenAPICheck.run([Self.checkScript, Self.specPath])
        #expect(summary.valid, "docs/openapi.yaml is not a valid OpenAPI document: \(summary.errors)")

        try await withContractNode { router, _ in
            let served = Set(router.routes.map { OpenAPIOperation(method: $0.method, path: $0.template) })
            let documented = Set(summary.operations)
            #expect(served.count == router.routes.count, "the router lists a route twice")
            #expect(summary.operations.count == documented.count, "the spec lists an operation twice")

            let undocumented = served.subtracting(documented).sorted()
            let unserved = documented.subtracting(served).sorted()
            #expect(undocumented.isEmpty, "served but not in docs/openapi.yaml: \(undocumented)")
            #expect(unserved.isEmpty, "in docs/openapi.yaml but not served: \(unserved)")
            #expect(served.contains(OpenAPIOperation(method: "GET", path: "/v1/tickets/{id}")))
        }
    }

    @Test("live responses match the documented statuses and schemas")
    func responsesMatchSpec() async throws {
        try await withContractNode { router, _ in
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            var logger = Logger(label: "openapi-contract")
            logger.logLevel = .critical
            let server = try HTTP2Server(host: "127.0.0.1", port: 0, router: router, group: group, logger: logger)
            let running = Task { try await server.run() }
            do {
                let port = try await server.localAddress.port!
                let summary = try await OpenAPICheck.run([Self.checkScript, Self.specPath, "--against", "http://127.0.0.1:\(port)"], timeout: 180)
                #expect(summary.valid)
                #expect(summary.checks > 40, "the scenario ran only \(summary.checks) requests")
                #expect(summary.matched == summary.checks, "\(summary.checks - summary.matched) responses did not match the spec")
                #expect(summary.mismatches.isEmpty, "mismatches:\n\(summary.mismatches.joined(separator: "\n"))")
                #expect(summary.exitStatus == 0, "check.py failed:\n\(summary.stderr)")
            } catch {
                server.beginShutdown()
                _ = try? await running.value
                try? await group.shutdownGracefully()
                throw error
            }
            server.beginShutdown()
            _ = try? await running.value
            try await group.shutdownGracefully()
        }
    }
}

// MARK: - Helpers (private to this file's tests; other test files keep their own)

struct OpenAPIOperation: Hashable, Comparable, CustomStringConvertible {
    var method: String
    var path: String
    var description: String { "\(method) \(path)" }
    static func < (lhs: Self, rhs: Self) -> Bool { (lhs.path, lhs.method) < (rhs.path, rhs.method) }
}

/// What `check.py` printed as its last line, plus how it exited.
struct OpenAPICheck {
    var exitStatus: Int32
    var stderr: String
    var valid: Bool
    var errors: [String]
    var operations: [OpenAPIOperation]
    var checks: Int
    var matched: Int
    var mismatches: [String]

    /// Runs check.py (off the cooperative pool, see `runProgram`).
    static func run(_ arguments: [String], timeout: Double = 60) async throws -> OpenAPICheck {
        let result = try await runProgram("python3", arguments, timeout: timeout)
        guard let last = result.stdout.split(separator: "\n").last,
              let object = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] else {
            throw OpenAPICheckFailure(message: "check.py printed no JSON summary (exit \(result.status)):\n\(result.stdout)\n\(result.stderr)")
        }
        let operations = (object["operations"] as? [[String]] ?? []).compactMap { pair in
            pair.count == 2 ? OpenAPIOperation(method: pair[0], path: pair[1]) : nil
        }
        let mismatches = (object["mismatches"] as? [[String: Any]] ?? []).map { entry in
            "\(entry["request"] ?? "?"): \((entry["problems"] as? [String] ?? []).joined(separator: "; "))"
        }
        return OpenAPICheck(
            exitStatus: result.status, stderr: result.stderr,
            valid: object["valid"] as? Bool ?? false, errors: object["errors"] as? [String] ?? [],
            operations: operations,
            checks: (object["checks"] as? [Any])?.count ?? 0, matched: object["matched"] as? Int ?? 0,
            mismatches: mismatches
        )
    }
}

struct OpenAPICheckFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The node's full router over a fresh SQLite store in a temporary directory; the store is closed
/// and the directory removed afterwards.
func withContractNode(_ body: (HTTP2Router, TicketService) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("ringdesk-openapi-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let storage = try await SQLiteStorage.open(.defaults(path: directory.appendingPathComponent("ringdesk.sqlite").path))
    do {
        var logger = Logger(label: "openapi-contract-service")
        logger.logLevel = .critical
        let service = try TicketService(storage: storage, clock: SystemClock(), logger: logger)
        try await service.load()
        // A one-node replication host (its groups elect themselves), so the shard routes are served too.
        let host = try ShardReplicationHost(configuration: ReplicationConfiguration(nodeID: 1, peers: [1: "127.0.0.1:1"], groups: 2, tickMilliseconds: 10),
                                       databasePath: directory.appendingPathComponent("raft.sqlite").path, client: nil, logger: logger)
        host.start()
        defer { host.stop() }
        // And a one-node ticket-shard host and routing domain, so their node-to-node routes are served.
        let one = ReplicationConfiguration(nodeID: 1, peers: [1: "127.0.0.1:1"], groups: 2, tickMilliseconds: 10)
        let shardHost = try ShardTicketJournal.Host(configuration: one, databasePath: directory.appendingPathComponent("shards.sqlite").path,
                                                    client: nil, logger: logger)
        var single = one
        single.groups = 1
        let routingHost = try RoutingDirectory.Host(configuration: single, databasePath: directory.appendingPathComponent("routing.sqlite").path,
                                                    client: nil, logger: logger)
        defer { shardHost.stop(); routingHost.stop() }
        let shards = TicketShards(journal: try ShardTicketJournal(host: shardHost, storage: storage), directory: RoutingDirectory(host: routingHost))
        let router = RingdeskNode.router(service: service, storage: storage, nodeID: "openapi-contract", replication: (host, nil),
                                         ticketShards: shards)
        try await body(router, service)
    } catch {
        try? await storage.close()
        throw error
    }
    try await storage.close()
}
