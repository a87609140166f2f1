import Foundation
import RingdeskTestSupport
import Testing

/// Runs README.md's "A first tour" as a new user does right after `scripts/run.sh`: a node started
/// the way run.sh starts it (`ringdeskd --port P` in a fresh working directory, data in ./data),
/// the demo played the way run.sh plays it, then every command of the tour's code block, in order,
/// with the real `ringdesk`, the ticket id taken from the output that showed it (`T...` in the
/// README), and each step's visible outcome checked. The commands are read from the README, so
/// the two cannot drift apart. Then the curl examples, when curl is installed.
@Suite struct ReadmeTourTests {
    /// The tour's commands and the curl examples, as written.
    struct Tour {
        var commands: [String]
        var curl: [String]
    }

    /// The `sh` blocks of README's "A first tour" section: the first is the tour, the second the
    /// curl examples. Continuation lines are joined; blank and comment-only lines dropped.
    static func tour() throws -> Tour {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = text.range(of: "\n## A first tour") else { throw NodeTestError("README.md has no '## A first tour' section") }
        let section = text[start.upperBound...].components(separatedBy: "\n## ").first ?? ""
        var blocks: [[String]] = []
        var current: [String]?
        for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, trimmed == "```sh" {
                current = []
            } else if current != nil, trimmed == "```" {
                blocks.append(commands(in: current!))
                current = nil
            } else if current != nil {
                current!.append(String(line))
            }
        }
        guard blocks.count >= 2 else { throw NodeTestError("README's tour should have two sh blocks (tour, curl); found \(blocks.count)") }
        return Tour(commands: blocks[0], curl: blocks[1])
    }

    /// Shell lines as commands: `\`-continued lines joined, blank and `#` lines left out.
    static func commands(in lines: [String]) -> [String] {
        var commands: [String] = []
        var pending = ""
        for line in lines {
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            let command = (pending + line).trimmingCharacters(in: .whitespaces)
            pending = ""
            if command.isEmpty || command.hasPrefix("#") { continue }
            commands.append(command)
        }
        return commands
    }

    /// A ticket id as the CLI prints it (`T` and upper-case base-32).
    static func ticketIDs(in text: String) -> [String] {
        let pattern = /\bT[0-9A-Z]{12,24}\b/
        return text.matches(of: pattern).map { String($0.output) }
    }

    @Test func theParserFindsTheTour() throws {
        let tour = try Self.tour()
        #expect(tour.commands.first?.hasPrefix("export PATH=") == true, "\(tour.commands)")
        #expect(tour.commands.contains { $0.hasPrefix("ringdesk tickets create ") && $0.contains("--idempotency-key shop-O-9") },
                "the continued create line is joined: \(tour.commands)")
        #expect(tour.commands.filter { $0.contains("T...") }.count >= 5)
        #expect(tour.curl.count == 2 && tour.curl.allSatisfy { $0.hasPrefix("curl ") }, "\(tour.curl)")
    }

    @Test func theTourRunsAsWrittenAfterRunSh() async throws {
        let tour = try Self.tour()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-tour-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ports = try (0..<3).map { _ in try NodeProcess.freePort() }
        let shell = TourShell(directory: directory, binaries: try NodeProcess.executable("ringdesk").deletingLastPathComponent().path,
                              node: "127.0.0.1:\(ports[0])")

        // scripts/run.sh: three `ringdeskd --config cluster/local/node-N.json &` from the checkout
        // (data in ./data/node-N; here on free ports), poll `ringdesk health` on each, then
        // `ringdesk demo --intake node2,node3` with RINGDESK_NODE (node 1) exported.
        let nodes = try (1...3).map { try RunShNode(directory: directory, clusterNode: $0, ports: ports) }
        defer { for node in nodes { node.stop() } }
        for (index, node) in nodes.enumerated() { try await node.waitUntilHealthy(shell, node: "127.0.0.1:\(ports[index])") }
        let node = nodes[0]
        let demo = try await shell.run("ringdesk demo --tickets 60 --deadline 120 --intake 127.0.0.1:\(ports[1]),127.0.0.1:\(ports[2])",
                                       timeout: 180)
        let failedSteps = demo.stdout.split(separator: "\n").filter { $0.contains("FAILED") || $0.contains("summary:") }.prefix(30)
        #expect(demo.status == 0, "the demo failed:\n\(failedSteps.joined(separator: "\n"))\n\(demo.stdout.suffix(1500))\n\(demo.stderr.suffix(2000))")
        #expect(demo.stdout.contains("shift over: demo-a1"), "the demo says its agents go offline:\n\(demo.stdout.suffix(2000))")
        // What the README says a user sees: the demo's agents are there, none of them available, so
        // nobody but the tour's own agent can be offered the tour's ticket.
        let agents = try await shell.run("ringdesk agent list")
        #expect(agents.status == 0 && agents.stdout.contains("6 agents, 0 available"), "\(agents.stdout)\n\(agents.stderr)")

        var ticketID: String?
        var steps = 0
        for command in tour.commands {
            if command.hasPrefix("export ") {
                // A shell session keeps its environment: later commands run after this line too.
                let result = try await shell.run(command)
                #expect(result.status == 0, "\(command): \(result.stderr)")
                shell.environment.append(command)
                continue
            }
            guard !command.contains("T...") || ticketID != nil else {
                Issue.record("'\(command)' needs a ticket id, but no earlier output showed one")
                return
            }
            let concrete = ticketID.map { command.replacingOccurrences(of: "T...", with: $0) } ?? command
            let started = ContinuousClock.now
            let result = try await shell.run(concrete, timeout: 60)
            let elapsed = ContinuousClock.now - started
            let out = result.stdout
            let context = "\(concrete)\n--- stdout\n\(out)\n--- stderr\n\(result.stderr)\n--- node log\n\(node.logTail())"
            #expect(result.status == 0, "\(context)")
            guard result.status == 0 else { return }
            steps += 1

            let words = command.split(separator: " ").prefix(3).joined(separator: " ")
            switch words {
            case "ringdesk health":
                #expect(out.contains("ok") && out.range(of: #"Ready\s+yes"#, options: .regularExpression) != nil, "\(context)")
            case "ringdesk agent upsert":
                #expect(out.hasPrefix("created"), "ana is new on the node: \(context)")
            case "ringdesk agent presence":
                #expect(out.contains("ana is available"), "\(context)")
            case "ringdesk tickets create":
                let ids = Self.ticketIDs(in: out)
                #expect(ids.count == 1, "\(context)")
                #expect(out.contains("Refund not received") && out.contains("vip"), "\(context)")
                // What a user copies: the id the create printed.
                ticketID = ids.first
            case "ringdesk agent pull":
                let wait = Self.option("--wait", in: command).flatMap(Double.init) ?? 20
                #expect(!out.contains("no offers"), "the offer must reach ana within --wait: \(context)")
                #expect(ticketID.map(out.contains) == true, "the offer is the tour's ticket: \(context)")
                #expect(elapsed < .seconds(wait + 5), "\(context)")
            case "ringdesk agent accept":
                #expect(out.contains("accepted \(ticketID!): now assigned, held by ana"), "\(context)")
            case "ringdesk agent renew":
                #expect(out.contains("lease on \(ticketID!) held by ana until"), "\(context)")
            case "ringdesk agent resolve":
                #expect(out.contains("resolved \(ticketID!): now resolved"), "\(context)")
            case "ringdesk tickets feedback":
                #expect(out.contains("rated 2/5"), "\(context)")
                #expect(out.contains("Follow-up call-back ticket opened: T"), "a low rating opens a call-back: \(context)")
            case "ringdesk tickets show":
                #expect(out.contains("offered") && out.contains("agent:ana") && out.contains("resolved"), "the history: \(context)")
                // "Why this agent": the offer's routing score, in full.
                #expect(out.contains("relaxation_level=") && out.contains("score_total="), "\(context)")
                #expect(out.contains("Follow-up"), "\(context)")
            case "ringdesk kpis":
                #expect(out.contains("Tickets") && out.contains("CSAT average") && out.contains("By category"), "\(context)")
            case "ringdesk backup":
                let path = try #require(out.firstMatch(of: /backup written on the node's host: (\S+) \((\d+) bytes\)/), "\(context)")
                #expect(path.1.hasPrefix(directory.appendingPathComponent("data/backups").path)
                        || path.1.hasPrefix(directory.resolvingSymlinksInPath().appendingPathComponent("data/backups").path), "\(context)")
                #expect(FileManager.default.fileExists(atPath: String(path.1)), "\(context)")
            default:
                break  // a command the checks do not know yet: it must still succeed (above)
            }
        }
        #expect(steps >= 12, "the tour ran \(steps) ringdesk commands: \(tour.commands)")

        // The curl examples, against the same node (the README's address is the default port).
        guard (try? await runProgram("curl", ["--version"], timeout: 10))?.status == 0 else { return }
        for command in tour.curl {
            let concrete = command.replacingOccurrences(of: "127.0.0.1:7600", with: "127.0.0.1:\(ports[0])")
            let result = try await shell.run("\(concrete) --max-time 30", timeout: 60)
            #expect(result.status == 0, "\(concrete)\n\(result.stdout)\n\(result.stderr)")
            if command.contains("/v1/tickets") {
                let object = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
                #expect((object["id"] as? String)?.hasPrefix("T") == true && object["category"] as? String == "return", "\(result.stdout)")
            } else if command.hasSuffix("/metrics") {
                #expect(result.stdout.contains("# TYPE ") && result.stdout.contains("ringdesk_"), "\(result.stdout.prefix(500))")
            }
        }
    }

    /// The value after `name` in a command line.
    static func option(_ name: String, in command: String) -> String? {
        let words = command.split(separator: " ")
        guard let index = words.firstIndex(of: Substring(name)), index + 1 < words.count else { return nil }
        return String(words[index + 1])
    }
}

/// A bash session of the tour: each command runs in `directory` with the built binaries first on
/// the PATH, RINGDESK_NODE set (as run.sh exports it), and the `export` lines run so far.
final class TourShell {
    let directory: URL
    let binaries: String
    let node: String
    var environment: [String] = []

    init(directory: URL, binaries: String, node: String) {
        self.directory = directory
        self.binaries = binaries
        self.node = node
    }

    func run(_ command: String, timeout: Double = 30) async throws -> ProgramResult {
        let script = """
        set -eo pipefail
        cd '\(directory.path)'
        export PATH='\(binaries)':"$PATH" RINGDESK_NODE='\(node)'
        \(environment.joined(separator: "\n"))
        \(command)
        """
        return try await runProgram("bash", ["-c", script], timeout: timeout)
    }
}

/// `ringdeskd` as scripts/run.sh starts it: `--config cluster/local/node-N.json` from the working
/// directory (so its data is in ./data/node-N), the checkout's configuration with its three
/// addresses moved to `ports`; its log in a file there. Stopped by PID: SIGTERM, a bounded wait,
/// SIGKILL.
final class RunShNode {
    let process = Process()
    let log: URL

    init(directory: URL, clusterNode number: Int, ports: [Int]) throws {
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var config = try String(contentsOf: checkout.appendingPathComponent("cluster/local/node-\(number).json"), encoding: .utf8)
        for (index, port) in ports.enumerated() {
            config = config.replacingOccurrences(of: "127.0.0.1:\(7600 + index)", with: "127.0.0.1:\(port)")
                .replacingOccurrences(of: "\"port\": \(7600 + index),", with: "\"port\": \(port),")
        }
        let configFile = directory.appendingPathComponent("node-\(number).json")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        log = directory.appendingPathComponent("node-\(number).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = try NodeProcess.executable("ringdeskd")
        process.arguments = ["--config", configFile.path]
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
    }

    /// run.sh's readiness loop: `ringdesk health` until it succeeds, while the node lives (bounded).
    func waitUntilHealthy(_ shell: TourShell, node: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw NodeTestError("ringdeskd exited (\(process.terminationStatus)):\n\(logTail())") }
            if try await shell.run("ringdesk health --node \(node) >/dev/null 2>&1", timeout: 15).status == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw NodeTestError("ringdeskd did not become healthy within 60 s:\n\(logTail())")
    }

    func logTail() -> String {
        String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self).suffix(3000).description
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
