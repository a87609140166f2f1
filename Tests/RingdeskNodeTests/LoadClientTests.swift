import Foundation
import NIOPosix
import RingdeskHTTP2
import RingdeskTestSupport
import Testing

/// `ringdesk load` against a real node, as a user runs it: short closed- and open-loop intake runs
/// and an echo run, each with zero errors and a JSON summary as the last line.
@Suite(.serialized) struct LoadClientTests {
    func lastJSON(_ output: String) throws -> [String: Any] {
        let line = output.split(separator: "\n").last.map(String.init) ?? ""
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "last line: \(line)")
    }

    @Test func shortScenariosRunWithoutErrors() async throws {
        try await withNode { node, api in
            let ringdesk = try NodeProcess.executable("ringdesk").path
            let target = "127.0.0.1:\(node.port)"
            let reportFile = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-load-\(UUID().uuidString).json")
            defer { try? FileManager.default.removeItem(at: reportFile) }

            let closed = try await runProgram(ringdesk, ["load", "run", "--nodes", target, "--duration", "2", "--concurrency", "16", "--seed", "3", "--out", reportFile.path], timeout: 60)
            #expect(closed.status == 0, "\(closed.stdout.suffix(600)) \(closed.stderr)")
            let closedReport = try lastJSON(closed.stdout)
            let creates = try #require((closedReport["operations"] as? [String: Any])?["create"] as? [String: Any])
            #expect(creates["errors"] as? Int == 0)
            #expect((creates["count"] as? Int ?? 0) > 100)
            #expect((creates["p99_ms"] as? Double ?? 0) > 0)
            #expect(closed.stdout.contains("t=1s"), "a progress line per second")
            #expect(FileManager.default.fileExists(atPath: reportFile.path))

            let open = try await runProgram(ringdesk, ["load", "--nodes", target, "--mode", "open", "--rate", "300", "--pattern", "poisson", "--duration", "2", "--quiet"], timeout: 60)
            #expect(open.status == 0, "\(open.stdout.suffix(600)) \(open.stderr)")
            let openCreates = try #require(((try lastJSON(open.stdout))["operations"] as? [String: Any])?["create"] as? [String: Any])
            #expect(openCreates["errors"] as? Int == 0)
            #expect(abs((openCreates["count"] as? Int ?? 0) - 600) < 150, "about rate × duration requests: \(openCreates["count"] ?? "nil")")

            // With simulated agents long-polling: every operation measured, none failed, tickets resolved.
            let withAgents = try await runProgram(ringdesk, ["load", "--nodes", target, "--mode", "open", "--rate", "40", "--duration", "2",
                                                             "--agents", "4", "--handle-ms", "20", "--agent-pull", "poll", "--quiet"], timeout: 60)
            #expect(withAgents.status == 0, "\(withAgents.stdout.suffix(800)) \(withAgents.stderr)")
            let agentOperations = try #require((try lastJSON(withAgents.stdout))["operations"] as? [String: [String: Any]])
            #expect(Set(agentOperations.keys) == ["create", "accept", "resolve", "create_to_offer", "offer_to_accept", "lifecycle"])
            for (name, figures) in agentOperations { #expect(figures["errors"] as? Int == 0, "\(name) had errors") }
            #expect((agentOperations["resolve"]?["count"] as? Int ?? 0) > 20, "the agents resolved tickets")

            // A scenario file: a ramp, a burst and a tail with exactly 35 + 60 + 20 uniform arrivals;
            // agents (on the assignment stream) go away and come back mid-run and customers rate every
            // resolved ticket.
            let scenario = repositoryRoot.appendingPathComponent("scripts/load/ci-short.json").path
            let scripted = try await runProgram(ringdesk, ["load", "--nodes", target, "--scenario", scenario], timeout: 60)
            #expect(scripted.status == 0, "\(scripted.stdout.suffix(800)) \(scripted.stderr)")
            #expect(scripted.stdout.contains("churn t=0.8s: 2 agents away") && scripted.stdout.contains("churn t=1.6s: 2 agents available"))
            let scriptedReport = try lastJSON(scripted.stdout)
            #expect(scriptedReport["scenario"] as? String == "ci-short-4agents")
            let scriptedOperations = try #require(scriptedReport["operations"] as? [String: [String: Any]])
            #expect(scriptedOperations["create"]?["count"] as? Int == 115)
            #expect(Set(scriptedOperations.keys) == ["create", "accept", "resolve", "create_to_offer", "offer_to_accept", "lifecycle", "feedback"])
            for (name, figures) in scriptedOperations { #expect(figures["errors"] as? Int == 0, "\(name) had errors") }
            #expect((scriptedOperations["feedback"]?["count"] as? Int ?? 0) > 20, "customers rated resolved tickets")
            let bad = try await runProgram(ringdesk, ["load", "--nodes", target, "--scenario", reportFile.path], timeout: 30)
            #expect(bad.status != 0 && bad.stderr.contains("scenario"), "\(bad.stderr)")

            let compare = try await runProgram(ringdesk, ["load", "compare", reportFile.path, reportFile.path], timeout: 30)
            #expect(compare.status == 0 && compare.stdout.contains("1.000"))

            // Every acknowledged create is a stored ticket.
            let stored = try await api.send("GET", "/metrics")
            let metrics = String(decoding: stored.body, as: UTF8.self)
            #expect(metrics.contains("ringdesk_http_requests_total{route=\"/v1/tickets\",method=\"POST\",status=\"201\"}"))
        }
    }
}
