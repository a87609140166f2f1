import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import RingdeskHTTP2
import RingdeskLoad

/// `ringdesk replication …`: the Raft groups a node hosts, and a proposal benchmark.
struct Replication: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Raft-replicated shards: status and a commit benchmark.",
        subcommands: [ReplicationStatus.self, ReplicationDrain.self, ReplicationBench.self]
    )
}

struct ReplicationStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every group the node hosts: its role, term, leader, commit and applied index."
    )

    @OptionGroup var global: GlobalOptions

    struct Body: Decodable {
        struct Group: Decodable {
            var group: Int
            var role: String
            var term: UInt64
            var leader: UInt64
            var commitIndex: UInt64
            var appliedIndex: UInt64
            var lastIndex: UInt64
            var voters: [UInt64]
            var learners: [UInt64]
            var recovering: Bool

            enum CodingKeys: String, CodingKey {
                case group, role, term, leader, voters, learners, recovering
                case commitIndex = "commit_index"
                case appliedIndex = "applied_index"
                case lastIndex = "last_index"
            }
        }

        var nodeID: UInt64
        var groups: [Group]

        enum CodingKeys: String, CodingKey {
            case nodeID = "node_id"
            case groups
        }
    }

    func run() async throws {
        try await global.withClient { client in
            let reply: NodeClient.Reply
            do {
                reply = try await client.send("GET", "/v1/replication/status")
            } catch CLIError.api(status: 404, code: "not_found", message: _) {
                // The route exists only on nodes started with a replication section.
                throw CLIError.failed("replication is not configured on node \(client.label) (it runs without a `replication` section in its configuration)")
            }
            if global.json { print(reply.text); return }
            let body = try reply.decode(Body.self)
            var table = TextTable(["GROUP", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "LAST", "VOTERS", "LEARNERS"], rightAligned: [0, 2, 3, 4, 5, 6])
            for group in body.groups {
                table.add([String(group.group), group.role + (group.recovering ? " (recovering)" : ""), String(group.term),
                           group.leader == 0 ? "-" : String(group.leader), String(group.commitIndex), String(group.appliedIndex),
                           String(group.lastIndex), group.voters.map(String.init).joined(separator: ","),
                           group.learners.isEmpty ? "-" : group.learners.map(String.init).joined(separator: ",")])
            }
            print("node \(body.nodeID)")
            print(table.render())
            let leading = body.groups.filter { $0.role == "leader" }.count
            let leaderless = body.groups.filter { $0.leader == 0 }.count
            print("leads \(leading) of \(body.groups.count) groups; \(leaderless) without a known leader")
        }
    }
}

struct ReplicationDrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Hand every group the node leads to another replica (before stopping it for maintenance).",
        discussion: "Transfers complete within an election timeout; check with `ringdesk replication status`."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await global.withClient { client in
            let reply = try await client.send("POST", "/v1/admin/replication/drain")
            if global.json { print(reply.text); return }
            let object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any]
            print("leadership transfers started: \(object?["transfers_started"] as? Int ?? 0)")
        }
    }
}

/// Proposals at a fixed concurrency straight to a group's leader, as fast as it commits them.
struct ReplicationBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure committed proposals per second and commit latency of one group.",
        discussion: """
        Finds the group's leader among --nodes, then keeps --concurrency ticket creations in flight \
        (each a proposal that returns once a majority has it on disk and the leader applied it). \
        Prints a table, then one line of JSON.
        """
    )

    @Option(help: ArgumentHelp("Comma-separated node addresses (host:port).", valueName: "list"))
    var nodes: String

    @Option(help: "The group to propose to.")
    var group: Int = 0

    @Option(help: "Proposals in flight at once.")
    var concurrency: Int = 64

    @Option(help: "Seconds to measure (after the warm-up).")
    var duration: Double = 10

    @Option(help: "Seconds of warm-up, not measured.")
    var warmup: Double = 2

    @Option(name: .customLong("payload-bytes"), help: "Bytes of payload per ticket.")
    var payloadBytes: Int = 100

    func validate() throws {
        guard (1...4096).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 4096") }
        guard duration > 0, duration <= 3600 else { throw ValidationError("--duration must be between 0 and 3600 seconds") }
        guard warmup >= 0, warmup <= 600 else { throw ValidationError("--warmup must be between 0 and 600 seconds") }
        guard (0...65536).contains(payloadBytes) else { throw ValidationError("--payload-bytes must be between 0 and 65536") }
        _ = try peers()
    }

    private func peers() throws -> [HTTP2Client.Peer] {
        let list = nodes.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !list.isEmpty else { throw ValidationError("--nodes needs at least one address") }
        return try list.map { try GlobalOptions.peer($0) }
    }

    func run() async throws {
        let peers = try peers()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = HTTP2ClientConfiguration.defaults
        configuration.defaultRequestTimeout = .seconds(10)
        let client = try HTTP2Client(group: group, configuration: configuration)
        let leader: HTTP2Client.Peer
        do {
            leader = try await findLeader(client: client, peers: peers)
        } catch {
            await client.shutdown()
            try? await group.shutdownGracefully()
            throw error
        }
        let payload = String(repeating: "x", count: payloadBytes)
        let run = UUID().uuidString.prefix(8)
        let clock = ContinuousClock()
        let start = clock.now
        let measureFrom = start + .milliseconds(Int64(warmup * 1000))
        let end = measureFrom + .milliseconds(Int64(duration * 1000))
        let path = "/v1/replication/groups/\(self.group)/commands"
        // The workers are callback chains on the client's event loop (send, on completion record
        // and send the next), not tasks: the load generator shares the machine with the nodes,
        // and a task per request would cost it a thread hop each.
        let driver = ClosedLoopDriver(eventLoop: group.next(), workers: concurrency, measureFrom: measureFrom, end: end) { worker, sequence in
            let id = "b-\(run)-\(worker)-\(sequence)"
            let body = #"{"op":"create","ticket_id":"\#(id)","idempotency_key":"\#(id)","payload":"\#(payload)","at":0}"#
            let request = HTTP2ClientRequest(method: "POST", path: path, headers: HTTP2Headers([("content-type", "application/json")]),
                                             body: ByteBuffer(string: body))
            return client.send(request, to: leader, timeout: .seconds(10))
        }
        let merged = try await driver.run()
        await client.shutdown()
        try? await group.shutdownGracefully()
        let summary = merged.summary(duration: duration)
        print("leader \(leader), group \(self.group), concurrency \(concurrency), \(duration) s measured")
        print(String(format: "committed %d proposals: %.0f/s; latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; errors %d",
                     summary.count, summary.perSecond, summary.p50Ms, summary.p90Ms, summary.p99Ms, summary.maxMs, summary.errors))
        let line: [String: Any] = [
            "proposals_per_s": (summary.perSecond * 10).rounded() / 10, "p50_ms": summary.p50Ms, "p90_ms": summary.p90Ms,
            "p99_ms": summary.p99Ms, "max_ms": summary.maxMs, "count": summary.count, "errors": summary.errors,
            "errors_by_code": summary.errorsByCode, "concurrency": concurrency, "group": self.group,
        ]
        let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        if summary.count == 0 { throw ExitCode(1) }
    }

    /// Polls the nodes' status until one says it leads the group (bounded: 30 s).
    private func findLeader(client: HTTP2Client, peers: [HTTP2Client.Peer]) async throws -> HTTP2Client.Peer {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            for peer in peers {
                guard let response = try? await client.execute(HTTP2ClientRequest(path: "/v1/replication/status"), to: peer, timeout: .seconds(2)),
                      response.status == 200,
                      let object = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any],
                      let groups = object["groups"] as? [[String: Any]] else { continue }
                if groups.contains(where: { ($0["group"] as? Int) == group && ($0["role"] as? String) == "leader" }) { return peer }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CLIError.input("no node among \(nodes) leads group \(group) after 30 s")
    }
}

/// Keeps `workers` requests in flight until `end`: each worker sends, and when the answer comes
/// records it (if sent after `measureFrom`) and sends its next. Everything runs on `eventLoop`.
final class ClosedLoopDriver: @unchecked Sendable {
    private let eventLoop: any EventLoop
    private let workers: Int
    private let measureFrom: ContinuousClock.Instant
    private let end: ContinuousClock.Instant
    private let makeRequest: @Sendable (_ worker: Int, _ sequence: Int) -> EventLoopFuture<HTTP2ClientResponse>
    // Touched only on `eventLoop`.
    private var recorder = OperationRecorder()
    private var sequences: [Int]
    private var running = 0
    private var done: EventLoopPromise<OperationRecorder>?

    init(eventLoop: any EventLoop, workers: Int, measureFrom: ContinuousClock.Instant, end: ContinuousClock.Instant,
         makeRequest: @escaping @Sendable (Int, Int) -> EventLoopFuture<HTTP2ClientResponse>) {
        self.eventLoop = eventLoop
        self.workers = workers
        self.measureFrom = measureFrom
        self.end = end
        self.makeRequest = makeRequest
        sequences = Array(repeating: 0, count: workers)
    }

    func run() async throws -> OperationRecorder {
        try await eventLoop.flatSubmit {
            let promise = self.eventLoop.makePromise(of: OperationRecorder.self)
            self.done = promise
            self.running = self.workers
            for worker in 0..<self.workers { self.next(worker) }
            return promise.futureResult
        }.get()
    }

    private func next(_ worker: Int) {
        let sent = ContinuousClock.now
        guard sent < end else {
            running -= 1
            if running == 0 { done?.succeed(recorder) }
            return
        }
        sequences[worker] += 1
        makeRequest(worker, sequences[worker]).hop(to: eventLoop).whenComplete { result in
            self.record(result, sent: sent)
            self.next(worker)
        }
    }

    private func record(_ result: Result<HTTP2ClientResponse, any Error>, sent: ContinuousClock.Instant) {
        guard sent >= measureFrom else { return }
        let latency = ContinuousClock.now - sent
        let second = Int((sent - measureFrom).components.seconds)
        switch result {
        case .success(let response) where response.status == 200:
            recorder.success(latency: Double(latency.components.attoseconds) / 1e18 + Double(latency.components.seconds), second: second)
        case .success(let response):
            let code = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])?["code"] as? String
            recorder.failure(code: code ?? "http_\(response.status)", second: second)
        case .failure:
            recorder.failure(code: "transport", second: second)
        }
    }
}
