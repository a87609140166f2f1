import Foundation
import NIOPosix
import NIOSSL
import RingdeskHTTP2
import RingdeskTestSupport
import Testing

/// The dashboard in a real browser: headless Chromium (Debian `chromium`, installed by
/// scripts/setup.sh, driven by scripts/dashboard/watch.py over the DevTools protocol) follows the
/// page of a TLS node while `ringdesk load` runs a small load; once the load is over, the figures
/// on the page are the API's; with three nodes in one membership (TLS between them), a node
/// killed with SIGKILL shows as dead on the page. Screenshots go to .build/test-artifacts/.
@Suite(.serialized) struct DashboardBrowserTests {
    static let artifacts = repositoryRoot.appendingPathComponent(".build/test-artifacts")

    /// Opens the page for `seconds` real seconds and returns what it shows.
    func watch(_ url: String, seconds: Double, screenshot: String) async throws -> [String: Any] {
        let script = repositoryRoot.appendingPathComponent("scripts/dashboard/watch.py").path
        let result = try await runProgram("python3", [script, url, "--seconds", String(seconds),
                                                      "--screenshot", Self.artifacts.appendingPathComponent(screenshot).path], timeout: 120)
        #expect(result.status == 0, "watch.py: \(result.stderr.suffix(600))")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
    }

    @Test func dashboardShowsLiveFiguresThatMatchTheAPI() async throws {
        let material = try await makeSelfSignedCertificate()
        defer { try? FileManager.default.removeItem(at: material.directory) }
        let configuration = try tlsClientConfiguration(trusting: material.certificate)
        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
        try await withNode(arguments: ["--tls-cert", material.certificate, "--tls-key", material.key], client: configuration) { node, api in
            // A few tickets nobody can take, so the queue panel has something to count down.
            var stuck: [String] = []
            for index in 0..<3 {
                var draft = draftJSON(customer: "C-dash-\(index)")
                draft["required_skills"] = [["skill": "nobody-has-this", "min_level": 5]]
                stuck.append(try #require(try await api.send("POST", "/v1/tickets", json: draft).json["id"] as? String))
            }
            // The page follows the stream while the load client creates, accepts, resolves and rates.
            let ringdesk = try NodeProcess.executable("ringdesk").path
            let loadArguments = ["load", "--nodes", "127.0.0.1:\(node.port)", "--tls-ca", material.certificate,
                                 "--mode", "open", "--rate", "20", "--duration", "3", "--agents", "3",
                                 "--handle-ms", "20", "--rating-share", "1", "--quiet"]
            async let loadRun = runProgram(ringdesk, loadArguments, timeout: 60)
            let base = "https://127.0.0.1:\(node.port)/dashboard?interval=0.2"
            let during = try await watch(base, seconds: 2, screenshot: "dashboard-under-load.png")
            #expect(during["live"] as? String == "live")
            #expect((during["frames"] as? Int ?? 0) >= 4, "live updates: \(during)")
            let load = try await loadRun
            #expect(load.status == 0, "\(load.stdout.suffix(600)) \(load.stderr)")

            // Quiet now (the load's agents went offline): the figures on the page are the API's.
            let kpis = try await api.send("GET", "/v1/kpis").json["overall"] as? [String: Any] ?? [:]
            let queued = (try await api.send("GET", "/v1/tickets?status=queued&limit=200").json["tickets"] as? [[String: Any]] ?? []).count
            #expect(queued >= 3)
            let page = try await watch(base, seconds: 1, screenshot: "dashboard.png")
            #expect(page["node"] as? String == "127.0.0.1:\(node.port)")
            #expect(page["queued_total"] as? String == String(queued))
            func percent(_ key: String) -> String {
                (kpis[key] as? Double).map { String(format: "%.1f%%", $0) } ?? "–"
            }
            #expect(page["kpi_fr_sla"] as? String == percent("first_response_sla_pct"))
            #expect(page["kpi_resolution_rate"] as? String == percent("resolution_rate_pct"))
            if let csat = kpis["csat_average"] as? Double { #expect(page["kpi_csat"] as? String == String(format: "%.2f", csat)) }
            let cluster = page["cluster"] as? [[String: Any]] ?? []
            #expect(cluster.map { $0["status"] as? String } == ["alive"])
            let size = try FileManager.default.attributesOfItem(atPath: Self.artifacts.appendingPathComponent("dashboard.png").path)[.size] as? Int
            #expect(size ?? 0 > 10_000, "a screenshot was written")

            // The ticket view: history with "why this agent" on the offer.
            let served = try await api.send("GET", "/v1/tickets?status=resolved&limit=1").json["tickets"] as? [[String: Any]] ?? []
            let servedID = try #require(served.first?["id"] as? String, "the load resolved tickets")
            let ticketPage = try await watch(base + "#ticket=\(servedID)", seconds: 1, screenshot: "dashboard-ticket.png")
            let history = ticketPage["ticket_history"] as? String ?? ""
            #expect(history.contains("why load-agent-") && history.contains("(level "), "the offer shows its score breakdown: \(history)")
        }
    }

    @Test func dashboardShowsAKilledMemberAsDown() async throws {
        let material = try await makeSelfSignedCertificate()
        defer { try? FileManager.default.removeItem(at: material.directory) }
        let configuration = try tlsClientConfiguration(trusting: material.certificate)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = try HTTP2Client(group: group, configuration: configuration)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-dash-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
        let configs = (1...3).map { directory.appendingPathComponent("n\($0).json").path }
        let nodes = try configs.map { try NodeProcess(arguments: ["--config", $0]) }
        defer {
            for node in nodes { node.stop(); node.removeData() }
            try? FileManager.default.removeItem(at: directory)
        }
        for index in nodes.indices {
            let cluster: [String: Any] = ["name": "n\(index + 1)", "region": "eu-west", "seeds": ["127.0.0.1:\(nodes[0].port)"],
                                          "probe_interval": 0.2, "probe_timeout": 0.1, "rejoin_interval": 1, "tls_ca": material.certificate]
            let file: [String: Any] = ["cluster": cluster, "tls_cert": material.certificate, "tls_key": material.key]
            try JSONSerialization.data(withJSONObject: file).write(to: URL(fileURLWithPath: configs[index]))
        }
        for node in nodes { try await node.start(client: client) }
        let api = APIClient(client: client, peer: nodes[0].peer)
        // Bounded wait until node 1 sees three alive members.
        let formed = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < formed {
            let members = try await api.send("GET", "/v1/cluster/members").json["members"] as? [[String: Any]] ?? []
            if members.count == 3, members.allSatisfy({ $0["status"] as? String == "alive" }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let url = "https://127.0.0.1:\(nodes[0].port)/dashboard?interval=0.2"
        let before = try await watch(url, seconds: 1, screenshot: "dashboard-cluster.png")
        let statuses = { (page: [String: Any]) in
            Dictionary(uniqueKeysWithValues: (page["cluster"] as? [[String: Any]] ?? []).map { ($0["node"] as? String ?? "?", $0["status"] as? String ?? "?") })
        }
        #expect(statuses(before) == ["n1": "alive", "n2": "alive", "n3": "alive"], "\(before)")

        // kill -9 n3 while the page is open: it shows as down.
        nodes[2].kill9()
        let deadline = ContinuousClock.now + .seconds(20)
        var after: [String: Any] = [:]
        repeat {
            after = try await watch(url, seconds: 1, screenshot: "dashboard-cluster-member-down.png")
        } while statuses(after)["n3"] != "dead" && ContinuousClock.now < deadline
        #expect(statuses(after)["n3"] == "dead", "\(after)")
        #expect(statuses(after)["n1"] == "alive" && statuses(after)["n2"] == "alive")
        await client.shutdown()
        try await group.shutdownGracefully()
    }
}
