import Foundation
import NIOPosix
import RingdeskHTTP2
import RingdeskTestSupport
import Testing

/// The Python example clients in scripts/clients (httpx over h2c) against a real `ringdeskd`:
/// intake opens tickets, the agent desk works them off the offer stream, the supervisor reads KPIs.
/// Each script's last stdout line is a JSON summary; the assertions read those.
@Suite(.serialized) struct PythonClientTests {
    static let clients = repositoryRoot.appendingPathComponent("scripts/clients")

    /// Runs one script (bounded) and decodes its last stdout line.
    func run(_ script: String, _ arguments: [String], timeout: Double) async throws -> (status: Int32, summary: [String: Any], output: String) {
        let result = try await runProgram("python3", [Self.clients.appendingPathComponent(script).path] + arguments, timeout: timeout)
        let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let summary = (try? JSONSerialization.jsonObject(with: Data(last.utf8))) as? [String: Any] ?? [:]
        return (result.status, summary, "\(script) exited \(result.status)\nstdout:\n\(result.stdout)\nstderr:\n\(result.stderr)")
    }

    func withNode(_ body: (String) async throws -> Void) async throws {
        let check = try await runProgram("python3", ["-c", "import httpx, h2"], timeout: 30)
        try #require(check.status == 0, "httpx[http2] and h2 are needed (bash scripts/setup.sh): \(check.stderr)")
        try await RingdeskNodeTests.withNode { node, _ in
            try await body("127.0.0.1:\(node.port)")
        }
    }

    @Test func intakeAgentAndSupervisorScripts() async throws {
        try await withNode { node in
            // Ten tickets that need a skill only our agent has; two replies are "lost" and retried.
            let intake = try await run("intake.py", ["--node", node, "--count", "10", "--seed", "42", "--skill", "py_returns:2",
                                               "--run-id", "pytest", "--simulate-lost-replies", "2"], timeout: 30)
            #expect(intake.status == 0, "\(intake.output)")
            #expect(intake.summary["created"] as? Int == 10, "\(intake.output)")
            #expect(intake.summary["errors"] as? Int == 0)
            #expect(intake.summary["retries"] as? Int == 2)
            #expect(intake.summary["retry_same_ticket"] as? Int == 2, "a retried create must return the first ticket")
            let ids = Set(intake.summary["ticket_ids"] as? [String] ?? [])
            #expect(ids.count == 10)

            // Replaying the same keys creates nothing new.
            let replay = try await run("intake.py", ["--node", node, "--count", "3", "--seed", "42", "--skill", "py_returns:2", "--run-id", "pytest"], timeout: 30)
            #expect(replay.status == 0, "\(replay.output)")
            #expect(replay.summary["created"] as? Int == 0 && replay.summary["replayed"] as? Int == 3, "\(replay.output)")

            let agent = try await run("agent.py", ["--node", node, "--agent", "py-ana", "--skill", "py_returns=3", "--count", "10", "--deadline", "30"], timeout: 45)
            #expect(agent.status == 0, "\(agent.output)")
            #expect(agent.summary["handled"] as? Int == 10, "\(agent.output)")
            #expect(agent.summary["errors"] as? Int == 0)
            #expect(Set(agent.summary["ticket_ids"] as? [String] ?? []) == ids)

            let supervisor = try await run("supervisor.py", ["--node", node, "--page-size", "3"], timeout: 30)
            #expect(supervisor.status == 0, "\(supervisor.output)")
            #expect(supervisor.summary["listed"] as? Int == 0, "nothing left queued: \(supervisor.output)")
            let kpis = supervisor.summary["kpis"] as? [String: Any] ?? [:]
            #expect(kpis["ticket_count"] as? Int == 10, "\(supervisor.output)")
            #expect(kpis["resolved"] as? Int == 10, "\(supervisor.output)")
            #expect(kpis["resolution_rate_pct"] as? Double == 100)

            // Paging: the resolved tickets come back over several pages, each exactly once.
            let resolved = try await run("supervisor.py", ["--node", node, "--status", "resolved", "--page-size", "3"], timeout: 30)
            #expect(resolved.summary["listed"] as? Int == 10 && resolved.summary["pages"] as? Int == 4, "\(resolved.output)")

            // Long-poll mode, and the failure exit: one ticket exists, the agent is asked for two.
            let more = try await run("intake.py", ["--node", node, "--count", "1", "--seed", "7", "--skill", "py_returns:2"], timeout: 30)
            #expect(more.summary["created"] as? Int == 1, "\(more.output)")
            let short = try await run("agent.py", ["--node", node, "--agent", "py-ana", "--skill", "py_returns=3", "--count", "2", "--deadline", "3", "--poll"], timeout: 20)
            #expect(short.status != 0, "\(short.output)")
            #expect(short.summary["handled"] as? Int == 1 && short.summary["mode"] as? String == "poll", "\(short.output)")

            // An API error surfaces as {code, message} on stderr and a non-zero exit.
            let bad = try await run("supervisor.py", ["--node", node, "--status", "bogus"], timeout: 30)
            #expect(bad.status == 1 && bad.output.contains("400 invalid_parameter"), "\(bad.output)")
        }
    }
}
