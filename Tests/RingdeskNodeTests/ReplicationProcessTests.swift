import Foundation
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
import RingdeskHTTP2
import RingdeskRaft
import RingdeskReplication
import Testing

/// Three real `ringdeskd` processes replicating shards through Raft on loopback, with their own
/// SQLite files. Stopped by PID; data directories removed afterwards.
@Suite("Replicated shards: real processes", .serialized)
struct ReplicationProcessTests {
    /// Writes one config file per node and returns the processes (not started).
    static func makeCluster(size: Int, groups: Int, voters: [Int]? = nil, snapshotEvery: Int? = nil) throws -> (nodes: [NodeProcess], configs: [URL]) {
        let ports = try (0..<size).map { _ in try NodeProcess.freePort() }
        var peers: [String: String] = [:]
        for (index, port) in ports.enumerated() { peers[String(index + 1)] = "127.0.0.1:\(port)" }
        var nodes: [NodeProcess] = []
        var configs: [URL] = []
        for index in 0..<size {
            let config = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-raft-\(UUID().uuidString).json")
            var replication: [String: Any] = ["node_id": index + 1, "peers": peers, "groups": groups, "tick_ms": 50, "election_ticks": 10]
            if let voters { replication["voters"] = voters }
            if let snapshotEvery { replication["snapshot_every"] = snapshotEvery }
            let object: [String: Any] = ["replication": replication]
            try JSONSerialization.data(withJSONObject: object).write(to: config)
            configs.append(config)
            nodes.append(try NodeProcess(port: ports[index], arguments: ["--config", config.path]))
        }
        return (nodes, configs)
    }

    /// Starts a cluster as `makeCluster` writes it, runs `body` with its nodes and a client, and
    /// always stops the nodes by PID, removes their data and configs, and shuts the client down.
    static func withCluster(size: Int, groups: Int, voters: [Int]? = nil, snapshotEvery: Int? = nil,
                            _ body: ([NodeProcess], HTTP2Client) async throws -> Void) async throws {
        let (nodes, configs) = try makeCluster(size: size, groups: groups, voters: voters, snapshotEvery: snapshotEvery)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = HTTP2ClientConfiguration.defaults
        configuration.connectTimeout = .milliseconds(300)
        let client = try HTTP2Client(group: group, configuration: configuration)
        defer {
            for node in nodes { node.stop(); node.removeData() }
            for config in configs { try? FileManager.default.removeItem(at: config) }
        }
        do {
            for node in nodes { try await node.start(client: client) }
            try await body(nodes, client)
        } catch {
            await client.shutdown()
            try? await group.shutdownGracefully()
            throw error
        }
        await client.shutdown()
        try await group.shutdownGracefully()
    }

    static func status(_ client: HTTP2Client, _ node: NodeProcess) async -> [[String: Any]] {
        guard let response = try? await client.execute(HTTP2ClientRequest(path: "/v1/replication/status"), to: node.peer, timeout: .seconds(2)),
              response.status == 200,
              let object = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any] else { return [] }
        return object["groups"] as? [[String: Any]] ?? []
    }

    /// Polls the nodes until one leads `group` (bounded).
    static func leader(of group: Int, among nodes: [NodeProcess], client: HTTP2Client, within seconds: Int = 30) async throws -> NodeProcess {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            for node in nodes {
                let groups = await status(client, node)
                if groups.contains(where: { ($0["group"] as? Int) == group && ($0["role"] as? String) == "leader" }) { return node }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw NodeTestError("no leader for group \(group) within \(seconds) s")
    }

    static func create(_ client: HTTP2Client, _ node: NodeProcess, group: Int, id: String) async -> (status: Int, outcome: String?) {
        await create(client, node.peer, group: group, id: id)
    }

    static func create(_ client: HTTP2Client, _ peer: HTTP2Client.Peer, group: Int, id: String) async -> (status: Int, outcome: String?) {
        let body = #"{"op":"create","ticket_id":"\#(id)","idempotency_key":"k-\#(id)","payload":"burst","at":1}"#
        let request = HTTP2ClientRequest(method: "POST", path: "/v1/replication/groups/\(group)/commands",
                                         headers: HTTP2Headers([("content-type", "application/json")]), body: ByteBuffer(string: body))
        guard let response = try? await client.execute(request, to: peer, timeout: .seconds(5)) else { return (0, nil) }
        let object = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
        return (response.status, (object?["result"] as? [String: Any])?["outcome"] as? String)
    }

    /// A counter from a node's /metrics (0 when absent or unreachable).
    static func counter(_ name: String, _ client: HTTP2Client, _ node: NodeProcess) async -> Double {
        guard let response = try? await client.execute(HTTP2ClientRequest(path: "/metrics"), to: node.peer, timeout: .seconds(2)) else { return 0 }
        let text = String(decoding: Data(response.body.readableBytesView), as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }

    @Test("kill -9 of the leader during a burst: a new leader takes over and every acknowledged write is on all survivors")
    func killLeaderDuringBurst() async throws {
        // Snapshots every 64 entries: the survivors compact while the old leader is down, so it
        // restarts from its applied rows and catches up from an image encoded for it.
        try await Self.withCluster(size: 3, groups: 4, snapshotEvery: 64) { nodes, client in
            let oldLeader = try await Self.leader(of: 0, among: nodes, client: client)

            // The burst: 16 writers round-robin over the nodes (followers forward to the leader);
            // after the kill they use the survivors only. Only 200 + created counts as acknowledged.
            let allPeers = nodes.map(\.peer)
            let survivorPeers = nodes.filter { $0 !== oldLeader }.map(\.peer)
            let killed = NIOLockedValueBox(false)
            let acknowledged = NIOLockedValueBox<[String]>([])
            let failures = NIOLockedValueBox(0)
            // Writers stop once 200 writes were acknowledged after the kill, or after 60 s in all.
            let stopAt = ContinuousClock.now + .seconds(60)
            let afterKill = NIOLockedValueBox(0)
            let writers = Task {
                await withTaskGroup(of: Void.self) { tasks in
                    for writer in 0..<16 {
                        tasks.addTask {
                            var sequence = 0
                            while afterKill.withLockedValue({ $0 }) < 200, ContinuousClock.now < stopAt, sequence < 100_000 {
                                sequence += 1
                                let wasKilled = killed.withLockedValue { $0 }
                                let targets = wasKilled ? survivorPeers : allPeers
                                let node = targets[(writer + sequence) % targets.count]
                                let id = "t-\(writer)-\(sequence)"
                                let (status, outcome) = await Self.create(client, node, group: 0, id: id)
                                if status == 200, outcome == "created" || outcome == "duplicate" {
                                    acknowledged.withLockedValue { $0.append(id) }
                                    if wasKilled { afterKill.withLockedValue { $0 += 1 } }
                                } else {
                                    failures.withLockedValue { $0 += 1 }
                                    // Back off a little while the group elects a new leader.
                                    try? await Task.sleep(for: .milliseconds(20))
                                }
                            }
                        }
                    }
                }
            }
            // Kill once a good part of the burst is acknowledged (bounded wait).
            let killDeadline = ContinuousClock.now + .seconds(30)
            while acknowledged.withLockedValue({ $0.count }) < 300, ContinuousClock.now < killDeadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            let beforeKill = acknowledged.withLockedValue { $0.count }
            oldLeader.kill9()
            killed.withLockedValue { $0 = true }
            await writers.value
            let survivors = nodes.filter { $0 !== oldLeader }
            let newLeader = try await Self.leader(of: 0, among: survivors, client: client)
            #expect(newLeader !== oldLeader)
            let acked = acknowledged.withLockedValue { $0 }
            #expect(beforeKill >= 300, "the kill happened mid-burst")
            #expect(afterKill.withLockedValue { $0 } >= 200,
                    "writes kept being acknowledged after the kill (\(failures.withLockedValue { $0 }) failed meanwhile)")

            // Each survivor must come to hold every acknowledged ticket in its own replica (a
            // follower applies what the leader committed within a heartbeat or two; bounded wait).
            for node in survivors {
                var missing = acked
                let settle = ContinuousClock.now + .seconds(30)
                while !missing.isEmpty, ContinuousClock.now < settle {
                    var still: [String] = []
                    for id in missing {
                        let response = try await client.execute(HTTP2ClientRequest(path: "/v1/replication/groups/0/tickets/\(id)?consistency=local"),
                                                                 to: node.peer, timeout: .seconds(5))
                        if response.status != 200 { still.append(id) }
                    }
                    missing = still
                    if !missing.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(missing.isEmpty, "node on port \(node.port) lacks \(missing.count) of \(acked.count) acknowledged tickets: \(missing.prefix(5))")
            }
            // A create retried with the same idempotency key after the failover is one ticket.
            let (status, outcome) = await Self.create(client, newLeader, group: 0, id: acked[0])
            #expect(status == 200 && outcome == "duplicate")

            // The killed node comes back on the same data and catches up by itself.
            try await oldLeader.start(client: client)
            let rejoin = ContinuousClock.now + .seconds(30)
            var caughtUp = false
            while ContinuousClock.now < rejoin, !caughtUp {
                let response = try? await client.execute(HTTP2ClientRequest(path: "/v1/replication/groups/0/tickets/\(acked.last!)?consistency=local"),
                                                         to: oldLeader.peer, timeout: .seconds(2))
                caughtUp = response?.status == 200
                if !caughtUp { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(caughtUp, "the restarted node applied the writes made while it was down")
            // It holds what it had applied before the kill too (its rows) and the rest (the image).
            for id in [acked[0], acked[beforeKill / 2], acked[acked.count / 2]] {
                let response = try? await client.execute(HTTP2ClientRequest(path: "/v1/replication/groups/0/tickets/\(id)?consistency=local"),
                                                         to: oldLeader.peer, timeout: .seconds(2))
                #expect(response?.status == 200, "the restarted node lacks \(id)")
            }
            var compactions = 0.0
            for node in survivors { compactions += await Self.counter("ringdesk_raft_snapshots_total", client, node) }
            #expect(compactions >= 2, "the survivors compacted their logs during the burst")
        }
    }

    @Test("drain: with the default 64 groups, a node hands every group it leads to the others, which keep taking writes")
    func drain() async throws {
        try await Self.withCluster(size: 3, groups: 64) { nodes, client in
            for index in 0..<64 { _ = try await Self.leader(of: index, among: nodes, client: client) }
            let drained = try await Self.leader(of: 0, among: nodes, client: client)
            let reply = try await APIClient(client: client, peer: drained.peer).send("POST", "/v1/admin/replication/drain")
            #expect(reply.status == 202)
            #expect((reply.json["transfers_started"] as? Int ?? 0) >= 1)
            // Within a bounded time the drained node leads nothing and every group has another leader.
            let deadline = ContinuousClock.now + .seconds(20)
            var leadsNothing = false
            while ContinuousClock.now < deadline, !leadsNothing {
                let groups = await Self.status(client, drained)
                leadsNothing = groups.count == 64 && groups.allSatisfy { ($0["role"] as? String) != "leader" && ($0["leader"] as? Int ?? 0) != 0 }
                if !leadsNothing { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(leadsNothing, "the drained node still leads a group")
            let (status, outcome) = await Self.create(client, drained, group: 0, id: "after-drain")
            #expect(status == 200 && outcome == "created", "a write through the drained node is forwarded to the new leader")
        }
    }

    static func groupStatus(_ client: HTTP2Client, _ node: NodeProcess, group: Int) async -> [String: Any]? {
        await status(client, node).first { ($0["group"] as? Int) == group }
    }

    /// Polls `condition` every 50 ms until it holds or `seconds` pass.
    static func eventually(within seconds: Int = 20, _ condition: () async -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return await condition()
    }

    @Test("membership: a fourth node joins a group as a learner, catches up, is promoted, and the old leader is removed")
    func membershipChange() async throws {
        // Snapshots every 16 entries: the leader has compacted the 30 writes away by the time the
        // learner joins, so it catches up from an image encoded when it asks.
        try await Self.withCluster(size: 4, groups: 2, voters: [1, 2, 3], snapshotEvery: 16) { nodes, client in
            let joiner = nodes[3]
            let leader = try await Self.leader(of: 0, among: Array(nodes.prefix(3)), client: client)
            let leaderID = nodes.firstIndex { $0 === leader }! + 1
            for index in 0..<30 {
                let (status, _) = await Self.create(client, leader, group: 0, id: "m-\(index)")
                #expect(status == 200)
            }
            // The joiner starts as no member of the group: it cannot campaign.
            #expect(await Self.groupStatus(client, joiner, group: 0)?["role"] as? String == "follower")
            // Any member takes it (followers forward to the leader); the joiner knows no leader yet.
            let member = nodes.prefix(3).first { $0 !== leader }!
            let admin = APIClient(client: client, peer: member.peer)
            let added = try await admin.send("POST", "/v1/admin/replication/groups/0/members", json: ["action": "add_learner", "node": 4])
            #expect(added.status == 200, "\(added.json)")
            #expect(try await Self.eventually {
                for id in ["m-0", "m-29"] {
                    let response = try? await client.execute(HTTP2ClientRequest(path: "/v1/replication/groups/0/tickets/\(id)?consistency=local"),
                                                             to: joiner.peer, timeout: .seconds(2))
                    if response?.status != 200 { return false }
                }
                return true
            }, "the learner received the state")
            #expect(await Self.counter("ringdesk_raft_snapshot_images_total", client, leader) >= 1, "the learner needed an image")
            // Status is published at most every 50 ms: poll it.
            #expect(try await Self.eventually { (await Self.groupStatus(client, leader, group: 0)?["learners"] as? [Int]) == [4] })
            let promoted = try await admin.send("POST", "/v1/admin/replication/groups/0/members", json: ["action": "promote", "node": 4])
            #expect(promoted.status == 200, "\(promoted.json)")
            let removed = try await admin.send("POST", "/v1/admin/replication/groups/0/members", json: ["action": "remove", "node": leaderID])
            #expect(removed.status == 200, "\(removed.json)")
            let remaining = (1...4).filter { $0 != leaderID }
            #expect(try await Self.eventually {
                guard let state = await Self.groupStatus(client, joiner, group: 0) else { return false }
                return (state["voters"] as? [Int]) == remaining && (state["leader"] as? Int ?? 0) != 0 && (state["leader"] as? Int) != leaderID
            }, "the group runs on the remaining voters with a new leader")
            let after = try await Self.leader(of: 0, among: nodes.filter { $0 !== leader }, client: client)
            let (status, outcome) = await Self.create(client, after, group: 0, id: "m-after")
            #expect(status == 200 && outcome == "created")
            // Refusals: an unknown node, a bad action.
            let adminAfter = APIClient(client: client, peer: after.peer)
            let unknown = try await adminAfter.send("POST", "/v1/admin/replication/groups/1/members", json: ["action": "add_learner", "node": 9])
            #expect(unknown.status == 400)
            let bad = try await adminAfter.send("POST", "/v1/admin/replication/groups/1/members", json: ["action": "adopt", "node": 4])
            #expect(bad.status == 400)
        }
    }

    @Test("bad input: an undecodable raft batch and invalid commands get 4xx JSON errors, and the node keeps serving")
    func badInput() async throws {
        try await Self.withCluster(size: 1, groups: 2) { nodes, client in
            let node = nodes[0]
            _ = try await Self.leader(of: 1, among: nodes, client: client)
            let api = APIClient(client: client, peer: node.peer)
            let current = HTTP2Headers([(ClusterProtocol.header, String(ClusterProtocol.current))])
            let garbage = try await client.execute(HTTP2ClientRequest(method: "POST", path: "/internal/raft", headers: current,
                                                                      body: ByteBuffer(bytes: [0, 0, 0, 9, 1, 2, 3])),
                                                   to: node.peer, timeout: .seconds(5))
            #expect(garbage.status == 400)
            // Another cluster protocol (or none named) is refused before the body is read.
            for headers in [HTTP2Headers([(ClusterProtocol.header, "99")]), HTTP2Headers()] {
                let refused = try await client.execute(HTTP2ClientRequest(method: "POST", path: "/internal/raft", headers: headers,
                                                                          body: ByteBuffer(bytes: [0, 0, 0, 9, 1, 2, 3])),
                                                       to: node.peer, timeout: .seconds(5))
                #expect(refused.status == 409)
                #expect(refused.headers[ClusterProtocol.header] == String(ClusterProtocol.current))
                #expect(String(buffer: refused.body).contains(ClusterProtocol.mismatchCode))
            }
            let cases: [(Any, String)] = [
                (["op": "fly", "ticket_id": "a"], "op must be one of"),
                (["op": "claim", "ticket_id": "a"], "agent is required"),
                (["op": "create", "ticket_id": ""], "ticket_id must be"),
                (["op": "create", "ticket_id": "a", "color": "red"], "color"),
            ]
            for (body, fragment) in cases {
                let reply = try await api.send("POST", "/v1/replication/groups/1/commands", json: body)
                #expect(reply.status == 400)
                #expect((reply.json["message"] as? String ?? "").contains(fragment), "\(reply.json)")
            }
            let unknownGroup = try await api.send("POST", "/v1/replication/groups/7/commands", json: ["op": "create", "ticket_id": "a"])
            #expect(unknownGroup.status == 404)
            let created = try await api.send("POST", "/v1/replication/groups/1/commands", json: ["op": "create", "ticket_id": "a", "payload": "p"])
            #expect(created.status == 200)
            let claim = try await api.send("POST", "/v1/replication/groups/1/commands",
                                           json: ["op": "claim", "ticket_id": "a", "agent": "A", "epoch": 0, "lease_until": 10])
            #expect((claim.json["result"] as? [String: Any])?["outcome"] as? String == "claimed")
            let second = try await api.send("POST", "/v1/replication/groups/1/commands",
                                            json: ["op": "claim", "ticket_id": "a", "agent": "B", "epoch": 0, "lease_until": 10])
            let refusal = (second.json["result"] as? [String: Any])?["code"] as? String
            #expect(refusal == "stale_epoch" || refusal == "not_queued", "the second claim at the same epoch loses: \(second.json)")
            let read = try await api.send("GET", "/v1/replication/groups/1/tickets/a")
            #expect(read.json["holder"] as? String == "A")

            // A well-formed batch carrying a snapshot whose image is garbage: dropped, the node lives on.
            let forged = RaftMessage(kind: .installSnapshot, from: 2, to: 1, term: 1_000, snapshot: RaftSnapshot(
                metadata: RaftSnapshotMetadata(index: 500, term: 1_000, conf: RaftConfState(voters: [1])), data: [0xFF, 0x00, 0x13]))
            let batch = RaftCodec.encode([RaftEnvelope(group: 1, message: forged)])
            var body = ByteBuffer()
            body.writeInteger(UInt32(batch.count))
            body.writeBytes(batch)
            let accepted = try await client.execute(HTTP2ClientRequest(method: "POST", path: "/internal/raft", headers: current, body: body),
                                                    to: node.peer, timeout: .seconds(5))
            #expect(accepted.status == 204)
            let stillUp = try await Self.eventually {
                (try? await client.execute(HTTP2ClientRequest(path: "/v1/replication/groups/1/tickets/a?consistency=local"), to: node.peer,
                                           timeout: .seconds(2)))?.status == 200
            }
            #expect(stillUp, "the node still serves after a forged snapshot")
        }
    }
}
