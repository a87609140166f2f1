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

    @Test func aDataDirectoryKeepsItsStoreAndSaysWhichFlagToUse() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try HTTP2Client(group: group)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = try NodeProcess.executable("ringdeskd").path

        // Single-node tickets are never hidden behind empty shards.
        let single = try NodeProcess(dataDirectory: directory, arguments: ["--ticket-store", "sqlite"])
        try await single.start(client: client)
        #expect(try await APIClient(client: client, peer: single.peer).send("POST", "/v1/tickets", json: draftJSON()).status == 201)
        single.stop()
        let refused = try await runProgram(binary, ["--port", "0", "--data-dir", directory.path, "--ticket-store", "shards"], timeout: 30)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("holds 1 tickets in the single-node store") && refused.stderr.contains("--ticket-store sqlite"),
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
