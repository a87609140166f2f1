import Foundation
import NIOPosix
import RingdeskHTTP2
import RingdeskTestSupport
import Testing

/// A node started with `--ticket-store shards` (a cluster of one): its shards are visible to
/// operators, and a data directory never changes store behind the operator's back.
@Suite struct ShardStoreProcessTests {
    @Test func shardsAreShownWithLeaderAndLagAndTheCLIPrintsThem() async throws {
        try await withNode(arguments: ["--ticket-store", "shards"]) { node, api in
            for index in 0..<20 {
                #expect(try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-s\(index)")).status == 201)
            }
            let view = try await api.send("GET", "/v1/cluster/shards")
            #expect(view.status == 200)
            #expect(view.json["ticket_store"] as? String == "shards")
            let shards = try #require(view.json["shards"] as? [[String: Any]])
            #expect(shards.count == 64)
            #expect(shards.allSatisfy { $0["role"] as? String == "leader" && $0["leader"] as? Int == 1 && $0["voters"] as? [Int] == [1] })
            // Every create was answered after its shard applied it.
            #expect(shards.reduce(0) { $0 + ($1["applied_index"] as? Int ?? 0) } >= 20)
            let status = try await runProgram(try NodeProcess.executable("ringdesk").path,
                                              ["cluster", "status", "--node", "127.0.0.1:\(node.port)"], timeout: 30)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.contains("64 shards; 0 without a known leader; 0 halted"), "\(status.stdout)")
        }
        try await withNode(arguments: ["--ticket-store", "sqlite"]) { _, api in
            let view = try await api.send("GET", "/v1/cluster/shards")
            #expect(view.json["ticket_store"] as? String == "sqlite")
            #expect((view.json["shards"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func aSingleNodeDirectoryIsImportedIntoShardsAndKeepsItsStoreAfterwards() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try HTTP2Client(group: group)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = try NodeProcess.executable("ringdeskd").path

        // A single-node directory with tickets in several states, one created under a key.
        let single = try NodeProcess(dataDirectory: directory, arguments: ["--ticket-store", "sqlite"])
        try await single.start(client: client)
        var api = APIClient(client: client, peer: single.peer)
        var ids: [String] = []
        for index in 0..<12 {
            let created = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-import-\(index % 3)"),
                                             headers: index == 0 ? [("idempotency-key", "import-key")] : [])
            ids.append(try #require(created.json["id"] as? String))
        }
        #expect(try await api.send("POST", "/v1/tickets/\(ids[1])/events", json: ["type": "cancel", "reason": "duplicate"]).status == 200)
        #expect(try await api.send("POST", "/v1/tickets/\(ids[2])/events",
                                   json: ["type": "comment", "text": "Called back", "actor": ["kind": "supervisor", "id": "sup-1"]]).status == 200)
        var before: [String: [String: Any]] = [:]
        for id in ids { before[id] = try await api.send("GET", "/v1/tickets/\(id)").json }
        single.stop()

        // Started on shards, alone: the node imports every ticket whole, then serves them.
        let sharded = try NodeProcess(dataDirectory: directory, arguments: ["--ticket-store", "shards"])
        try await sharded.start(client: client)
        api = APIClient(client: client, peer: sharded.peer)
        for id in ids {
            let after = try await api.send("GET", "/v1/tickets/\(id)").json
            #expect(after["status"] as? String == before[id]?["status"] as? String, "\(id)")
            #expect((after["history"] as? [Any])?.count == (before[id]?["history"] as? [Any])?.count, "\(id)")
        }
        let shards = try await api.send("GET", "/v1/cluster/shards").json["shards"] as? [[String: Any]] ?? []
        #expect(shards.reduce(0) { $0 + ($1["applied_index"] as? Int ?? 0) } >= ids.count, "every ticket went through a shard's log")
        // The key still answers with its first ticket; lists see every ticket; commands go on.
        let retried = try await api.send("POST", "/v1/tickets", json: draftJSON(customer: "C-import-0"), headers: [("idempotency-key", "import-key")])
        #expect(retried.status == 200 && retried.json["id"] as? String == ids[0], "\(String(decoding: retried.body, as: UTF8.self))")
        let listed = try await api.send("GET", "/v1/tickets?limit=100").json["tickets"] as? [[String: Any]] ?? []
        #expect(Set(listed.compactMap { $0["id"] as? String }) == Set(ids))
        #expect(try await api.send("POST", "/v1/tickets/\(ids[3])/events", json: ["type": "cancel", "reason": "test"]).status == 200)
        sharded.stop()

        // Imported once: started again it is a shards directory, and the single-node store refuses it.
        let again = try NodeProcess(dataDirectory: directory, arguments: ["--ticket-store", "shards"])
        try await again.start(client: client)
        #expect(try await APIClient(client: client, peer: again.peer).send("GET", "/v1/tickets/\(ids[3])").json["status"] as? String == "cancelled")
        again.stop()
        let wrongWay = try await runProgram(binary, ["--port", "0", "--data-dir", directory.path, "--ticket-store", "sqlite"], timeout: 30)
        #expect(wrongWay.status != 0 && wrongWay.stderr.contains("keeps its tickets in Raft shards"), "\(wrongWay.stderr)")
        await client.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func aDataDirectoryKeepsItsStoreAndSaysWhichFlagToUse() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try HTTP2Client(group: group)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = try NodeProcess.executable("ringdeskd").path

        // A cluster's node does not import single-node tickets (a peer's snapshot could replace
        // the rows first): it refuses and says how to import them.
        let single = try NodeProcess(dataDirectory: directory, arguments: ["--ticket-store", "sqlite"])
        try await single.start(client: client)
        #expect(try await APIClient(client: client, peer: single.peer).send("POST", "/v1/tickets", json: draftJSON()).status == 201)
        single.stop()
        let config = directory.appendingPathComponent("cluster.json")
        try JSONSerialization.data(withJSONObject: ["ticket_store": "shards",
                                                    "replication": ["node_id": 1, "peers": ["1": "127.0.0.1:1", "2": "127.0.0.1:2"]]]).write(to: config)
        let refused = try await runProgram(binary, ["--port", "0", "--data-dir", directory.path, "--config", config.path], timeout: 30)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("holds 1 tickets in the single-node store") && refused.stderr.contains("start this directory alone"),
                "\(refused.stderr)")

        // And a directory kept in shards is not opened as a single-node store.
        try FileManager.default.removeItem(at: directory)
        let sharded = try NodeProcess(dataDirectory: directory, arguments: ["--ticket-store", "shards"])
        try await sharded.start(client: client)
        sharded.stop()
        let wrong = try await runProgram(binary, ["--port", "0", "--data-dir", directory.path, "--ticket-store", "sqlite"], timeout: 30)
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("keeps its tickets in Raft shards") && wrong.stderr.contains("--ticket-store shards"), "\(wrong.stderr)")
        let badValue = try await runProgram(binary, ["--port", "0", "--data-dir", directory.path, "--ticket-store", "postgres"], timeout: 30)
        #expect(badValue.status != 0)
        #expect(badValue.stderr.contains("ticket_store must be shards or sqlite"), "\(badValue.stderr)")
        await client.shutdown()
        try await group.shutdownGracefully()
    }
}
