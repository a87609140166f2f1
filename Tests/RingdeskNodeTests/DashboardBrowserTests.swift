import Foundation
import NIOSSL
import RingdeskHTTP2
import RingdeskTestSupport
import Testing

/// The dashboard in a real browser: headless Chromium (Debian `chromium`, installed by
/// scripts/setup.sh, driven by scripts/dashboard/watch.py over the DevTools protocol) follows the
/// page of a TLS node while `ringdesk load` runs a small load; once the load is over, the figures
/// on the page are the API's. Screenshots go to .build/test-artifacts/.
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
}
