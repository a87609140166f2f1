import Foundation
import NIOPosix
import RingdeskHTTP2
import RingdeskTestSupport
import Testing

/// Five real `ringdeskd` processes on loopback form a cluster through one seed; a node killed with
/// SIGKILL is declared dead by the others within the bound its timings give; restarted on the same
/// data directory it rejoins with a higher incarnation; `ringdesk cluster status` shows it all.
@Suite(.serialized) struct ClusterMembershipTests {
    /// Probe every 200 ms: suspicion lasts α · max(1, log10 5) · 0.2 s = 0.8 s at least and 4.8 s
    /// at most, after a probe round of at most 5 × 0.2 s; 15 s leaves room for a loaded machine.
    static let detectionBound: Duration = .seconds(15)

    func members(_ api: APIClient) async throws -> [String: (status: String, incarnation: Int)] {
        let reply = try await api.send("GET", "/v1/cluster/members")
        var result: [String: (String, Int)] = [:]
        for member in reply.json["members"] as? [[String: Any]] ?? [] {
            result[member["name"] as? String ?? "?"] = (member["status"] as? String ?? "?", member["incarnation"] as? Int ?? -1)
        }
        return result
    }

    /// Polls until every API sees `condition`, or fails at the deadline.
    func eventually(_ apis: [APIClient], within bound: Duration, _ what: String,
                    _ condition: ([String: (status: String, incarnation: Int)]) -> Bool) async throws {
        let deadline = ContinuousClock.now + bound
        while true {
            var all = true
            for api in apis where !(condition((try? await members(api)) ?? [:])) { all = false }
            if all { return }
            if ContinuousClock.now > deadline {
                var views: [String] = []
                for api in apis { views.append("\(api.peer): \((try? await members(api)) ?? [:])") }
                Issue.record("not within \(bound): \(what)\n\(views.joined(separator: "\n"))")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test func fiveNodesFormDetectAndRejoin() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try HTTP2Client(group: group)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configs = (1...5).map { directory.appendingPathComponent("n\($0).json").path }
        let nodes = try configs.map { try NodeProcess(arguments: ["--config", $0]) }
        defer {
            for node in nodes { node.stop(); node.removeData() }
            try? FileManager.default.removeItem(at: directory)
        }
        for index in nodes.indices {
            let seeds = index == 0 ? [] : ["127.0.0.1:\(nodes[0].port)"]
            let cluster: [String: Any] = ["name": "n\(index + 1)", "region": index < 3 ? "eu-west" : "eu-central", "seeds": seeds,
                                          "probe_interval": 0.2, "probe_timeout": 0.1, "push_pull_interval": 2, "rejoin_interval": 1]
            try JSONSerialization.data(withJSONObject: ["cluster": cluster]).write(to: URL(fileURLWithPath: configs[index]))
        }
        for node in nodes { try await node.start(client: client) }
        let apis = nodes.map { APIClient(client: client, peer: $0.peer) }
        let names = Set((1...5).map { "n\($0)" })

        try await eventually(apis, within: .seconds(15), "every node sees five alive members") { view in
            Set(view.keys) == names && view.values.allSatisfy { $0.status == "alive" }
        }

        // Every node gossips the fingerprint of its policy; a reload that reaches one node only shows.
        func policies(_ api: APIClient) async throws -> [String: String] {
            let members = try await api.send("GET", "/v1/cluster/members").json["members"] as? [[String: Any]] ?? []
            return Dictionary(uniqueKeysWithValues: members.map { ($0["name"] as? String ?? "?", $0["policy"] as? String ?? "-") })
        }
        let fingerprints = try await policies(apis[0])
        #expect(Set(fingerprints.values).count == 1 && fingerprints["n1"] != "-", "\(fingerprints)")
        var changed = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configs[1]))) as? [String: Any] ?? [:]
        changed["policy"] = ["offer_timeout": 45]
        try JSONSerialization.data(withJSONObject: changed).write(to: URL(fileURLWithPath: configs[1]))
        kill(nodes[1].pid, SIGHUP)
        let reloaded = ContinuousClock.now + .seconds(15)
        while try await policies(apis[0])["n2"] == fingerprints["n1"], ContinuousClock.now < reloaded {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await policies(apis[0])["n2"] != fingerprints["n1"], "n1 sees n2's new policy")
        let ringdeskCLI = try NodeProcess.executable("ringdesk").path
        let mismatch = try await runProgram(ringdeskCLI, ["cluster", "status", "--node", "127.0.0.1:\(nodes[0].port)"], timeout: 30)
        #expect(mismatch.stdout.contains("policy differs on: n2"), "\(mismatch.stdout)")
        let mismatchMetrics = String(decoding: try await apis[0].send("GET", "/metrics").body, as: UTF8.self)
        #expect(mismatchMetrics.contains("ringdesk_cluster_policy_mismatches 1"))

        // kill -9 n5: the other four declare it dead.
        let killed = ContinuousClock.now
        nodes[4].kill9()
        try await eventually(Array(apis.prefix(4)), within: Self.detectionBound, "n5 is dead everywhere") { view in
            view["n5"]?.status == "dead"
        }
        let detection = ContinuousClock.now - killed
        #expect(detection < Self.detectionBound, "detected in \(detection)")
        print("cluster test: n5 declared dead by all four others \(detection) after kill -9")

        // Gossip health in the metrics.
        let metrics = String(decoding: try await apis[0].send("GET", "/metrics").body, as: UTF8.self)
        for name in [#"ringdesk_cluster_members{status="dead"} 1"#, #"ringdesk_cluster_changes_total{status="dead"}"#,
                     "ringdesk_swim_local_health", #"ringdesk_swim_events_total{event="probes"}"#] {
            #expect(metrics.contains(name), "missing \(name)")
        }

        // Restart on the same data directory: it comes back above the incarnation it died at.
        let before = try await members(apis[0])["n5"]?.incarnation ?? -1
        try await nodes[4].start(client: client)
        try await eventually(apis, within: .seconds(15), "n5 is alive again with a higher incarnation") { view in
            view["n5"]?.status == "alive" && (view["n5"]?.incarnation ?? -1) > before
        }

        // The CLI shows it, as an operator sees it.
        let ringdesk = try NodeProcess.executable("ringdesk").path
        let status = try await runProgram(ringdesk, ["cluster", "status", "--node", "127.0.0.1:\(nodes[1].port)"], timeout: 30)
        #expect(status.status == 0, "\(status.stderr)")
        for name in names { #expect(status.stdout.contains(name), "\(name) missing:\n\(status.stdout)") }
        #expect(status.stdout.contains("n2 (this node)") && status.stdout.contains("alive 5"), "\(status.stdout)")
        let json = try await runProgram(ringdesk, ["cluster", "status", "--node", "127.0.0.1:\(nodes[1].port)", "--json"], timeout: 30)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(parsed?["clustered"] as? Bool == true)

        // A graceful stop is announced: the others see n4 leave, not die.
        nodes[3].stop()
        try await eventually([apis[0], apis[1]], within: .seconds(15), "n4 left") { view in view["n4"]?.status == "left" }
        await client.shutdown()
        try await group.shutdownGracefully()
    }
}
