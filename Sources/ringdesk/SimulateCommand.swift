import ArgumentParser
import Foundation
import RingdeskRouting
import RingdeskSimulation

/// `ringdesk simulate`: replays a trace (a file, or a reference scenario from a seed) through the
/// routing policies in virtual time and compares their quality with the offline optimum.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Replay a day of tickets through routing policies and compare wait, SLA, skill fit and fairness.",
        discussion: """
        Policies: fifo-rr (FIFO, round-robin agents, strict skills; "fifo" also accepted), longest-idle (FIFO, longest-idle \
        agent, strict skills), edf-strict (earliest first-response deadline first, strict skills), edf (the same at the \
        engine's final eligibility), edf-sht (edf for on-time tickets, breached ones shortest handling first), \
        engine (Ringdesk's RoutingEngine), exact (the exact optimum of a trace of at most 14 tickets), optimum (offline optimum from scripts/sim/optimum.py: a proven upper bound \
        on first-response SLA attainment, exact when the script says so; needs python3 with scipy). \
        Scenarios: \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")). The trace format is in docs/routing.md.
        """
    )

    @Option(help: "Reference scenario to generate (ignored with --trace).")
    var scenario: String = "normal"

    @Option(help: "Seed of the generated scenario.")
    var seed: UInt64 = 1

    @Option(help: "Scale of the generated scenario: multiplies agents and arrival rate (e.g. 0.5 for a quick run).")
    var scale: Double = 1

    @Option(help: ArgumentHelp("Replay this trace file (JSON) instead of generating one.", valueName: "file"))
    var trace: String?

    @Option(name: .customLong("export-trace"), help: ArgumentHelp("Write the trace replayed to this file.", valueName: "file"))
    var exportTrace: String?

    @Option(help: "Policies, comma-separated: fifo-rr, longest-idle, edf-strict, edf, edf-sht, engine, optimum (LP bound), exact (exact optimum, traces of at most 14 tickets).")
    var policies: String = "fifo-rr,longest-idle,edf-strict,edf,edf-sht,engine,optimum"

    @Option(name: .customLong("routing-config"), help: ArgumentHelp("Engine configuration (JSON, routing keys in snake_case; omitted keys keep defaults).", valueName: "file"))
    var routingConfig: String?

    @Option(name: .customLong("accept-delay"), help: "Engine policy: seconds agents take to accept an offer.")
    var acceptDelay: Double = 0

    @Option(name: .customLong("reject-probability"), help: "Engine policy: chance an agent rejects an offer (seeded).")
    var rejectProbability: Double = 0

    @Option(name: .customLong("optimum-script"), help: ArgumentHelp("The optimum script (default: scripts/sim/optimum.py of the working directory or of the repository this binary was built in).", valueName: "path"))
    var optimumScript: String?

    @Option(name: .customLong("optimum-time-limit"), help: "Seconds for the optimum script's MILP (0: LP relaxation bound only, the fast default).")
    var optimumTimeLimit: Double = 0

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Option(help: ArgumentHelp("Run this many seeded random days (a family, see docs/routing.md) through every policy instead of one trace; --seed picks the family.", valueName: "days"))
    var family: Int?

    @Option(name: .customLong("family-from"), help: "First day of the family to run (with --family).")
    var familyFrom: Int = 0

    @Option(name: .customLong("tickets-out"), help: ArgumentHelp("Write one JSON line per ticket and policy to this file: who took it, when, met or missed, and for the engine its score breakdown.", valueName: "file"))
    var ticketsOut: String?

    @Flag(help: "No progress lines on stderr.")
    var quiet = false

    func run() throws {
        if let family {
            try runFamily(days: family)
            return
        }
        let trace = try loadTrace()
        if let exportTrace {
            do { try trace.encoded().write(to: URL(fileURLWithPath: exportTrace)) } catch {
                throw CLIError.input("cannot write \(exportTrace): \(error.localizedDescription)")
            }
        }
        var kinds: [PolicyKind] = []
        var wantsOptimum = false
        var wantsExact = false
        for word in policies.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if word == "optimum" { wantsOptimum = true; continue }
            if word == "exact" { wantsExact = true; continue }
            do { kinds += try PolicyKind.list(word) } catch let error as SimulationError { throw CLIError.input(error.message) }
        }
        guard (0...1).contains(rejectProbability), acceptDelay >= 0, acceptDelay.isFinite else {
            throw CLIError.input("--reject-probability must be 0...1 and --accept-delay >= 0")
        }
        let configuration = try loadConfiguration()
        let comparison = PolicyComparison(trace: trace, configuration: configuration, engineOptions: .init(
            acceptDelay: acceptDelay, rejectProbability: rejectProbability, seed: seed))
        var results: [QualityMetrics] = []
        var perTicket = Data()
        for kind in kinds {
            if !quiet, trace.tickets.count > 5000 {
                FileHandle.standardError.write(Data("simulate: \(kind.rawValue) on \(trace.tickets.count) tickets\n".utf8))
            }
            do {
                let (metrics, outcome) = try comparison.run(kind)
                results.append(metrics)
                if ticketsOut != nil { perTicket.append(try TicketLine.lines(trace: trace, outcome: outcome)) }
            } catch let error as SimulationError {
                throw CLIError.failed("\(kind.rawValue): \(error)")
            }
        }
        if let ticketsOut {
            do { try perTicket.write(to: URL(fileURLWithPath: ticketsOut)) } catch {
                throw CLIError.output("cannot write \(ticketsOut): \(error.localizedDescription)")
            }
        }
        let relaxation = (configuration ?? .defaults).proficiencyRelaxation
        var report = SimulationReport(trace: trace, policies: results, optimum: nil)
        if wantsExact {
            guard trace.tickets.count <= ExactOptimum.maxTickets else {
                throw CLIError.input("the exact optimum searches at most \(ExactOptimum.maxTickets) tickets; the trace has \(trace.tickets.count) (use optimum for the LP bound)")
            }
            report.exactOptimumMet = try ExactOptimum.firstResponseMet(trace, proficiencyRelaxation: relaxation)
        }
        if wantsOptimum {
            // A failing optimum keeps the policies' results: they are printed, then the failure.
            do {
                if !quiet { FileHandle.standardError.write(Data("simulate: computing the optimum bound (scripts/sim/optimum.py, time limit \(optimumTimeLimit) s)\n".utf8)) }
                report = SimulationReport(trace: trace, policies: results, optimum: try OptimumScript(
                    path: try optimumScriptPath(), timeLimit: optimumTimeLimit).bound(trace: trace, proficiencyRelaxation: relaxation))
                report.exactOptimumMet = wantsExact ? try ExactOptimum.firstResponseMet(trace, proficiencyRelaxation: relaxation) : nil
            } catch let error as CLIError {
                report.optimumError = error.description
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.table())
        }
        if let failure = report.optimumError { throw CLIError.failed("optimum: \(failure) (the policies' results are above)") }
    }

    /// `--optimum-script`, else scripts/sim/optimum.py in the working directory, else in the
    /// repository the binary was built in (it lives in <repo>/.build/<config>/ringdesk).
    func optimumScriptPath() throws -> String {
        if let optimumScript { return optimumScript }
        let relative = "scripts/sim/optimum.py"
        if FileManager.default.fileExists(atPath: relative) { return relative }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw CLIError.input("optimum script \(relative) not found in the working directory or above the binary (pass --optimum-script, or leave optimum out of --policies)")
    }

    /// `--family N`: days `familyFrom ..< familyFrom + N` of family `seed`, a line per day and the summary.
    func runFamily(days: Int) throws {
        guard (1...100_000).contains(days), familyFrom >= 0 else {
            throw CLIError.input("--family must be 1...100000 days and --family-from >= 0")
        }
        var evaluation = FamilyEvaluation(family: DayFamily(seed: seed), configuration: try loadConfiguration())
        evaluation.tolerancePP = 0.3
        var results: [FamilyEvaluation.DayResult] = []
        let started = Date()
        for day in familyFrom..<(familyFrom + days) {
            do { results.append(try evaluation.run(day: day)) } catch let error as SimulationError {
                throw CLIError.failed("family \(seed) day \(day): \(error)")
            }
            let done = day - familyFrom + 1
            if !quiet, done % 10 == 0 || done == days {
                let elapsed = Date().timeIntervalSince(started)
                FileHandle.standardError.write(Data(String(
                    format: "simulate: family %llu: %d/%d days, %.0f s, about %.0f s left\n", seed, done, days, elapsed,
                    elapsed / Double(done) * Double(days - done)).utf8))
            }
        }
        let summary = FamilyEvaluation.Summary(results)
        if json {
            struct Report: Encodable {
                var family: UInt64
                var days: [FamilyEvaluation.DayResult]
                var summary: FamilyEvaluation.Summary
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(Report(family: seed, days: results, summary: summary)), as: UTF8.self))
            return
        }
        let names = PolicyKind.standard.map(\.rawValue)
        var table = TextTable(["day", "load", "tickets"] + names + ["eng-edf", "red p90 fifo/eng", "fails"],
                              rightAligned: Set(0..<(names.count + 5)))
        for r in results {
            table.add(["\(r.day)", String(format: "%.2f", r.parameters.offeredLoad), "\(r.tickets)"]
                + names.map { String(format: "%.1f%%", (r.frSLA[$0] ?? 0) * 100) }
                + [String(format: "%+.2f", r.engineMinusEdfPP),
                   String(format: "%.0f/%.0f s", r.redP90Wait["fifo-rr"] ?? 0, r.redP90Wait["engine"] ?? 0),
                   r.failures.joined(separator: ",")])
        }
        print("family \(seed), days \(familyFrom)..<\(familyFrom + days): first-response SLA per policy")
        print(table.render())
        print(String(format: "engine - edf: min %+.2f pp, median %+.2f pp; engine - best baseline: min %+.2f, median %+.2f pp",
                     summary.engineMinusEdfPPMin, summary.engineMinusEdfPPMedian,
                     summary.engineMinusBestBaselinePPMin, summary.engineMinusBestBaselinePPMedian))
        print(String(format: "skill fit engine median %.1f%% (min %.1f%%), edf median %.1f%%; red p90 above fifo on %d days (max ratio %.2f); "
                     + "breached wait above fifo's longest on %d days; engine below edf - 0.3 pp on %d days; days failing %d",
                     summary.skillFitEngineMedian * 100, summary.skillFitEngineMin * 100, summary.skillFitEdfMedian * 100,
                     summary.redP90AboveFifoDays, summary.redP90RatioMax, summary.breachedWaitAboveFifoDays,
                     summary.engineBelowEdfDays, summary.daysFailing))
        if summary.exactDays > 0 {
            print("tiny days with the exact optimum: \(summary.exactDays); tickets below it: engine \(summary.exactEngineShortfall), edf \(summary.exactEdfShortfall)")
        }
    }

    func loadTrace() throws -> Trace {
        if let path = trace {
            guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.input("cannot read trace \(path)") }
            do { return try Trace.decode(data) } catch let error as SimulationError { throw CLIError.input("\(path): \(error)") }
        }
        guard let scenario = Scenario(rawValue: scenario) else {
            throw CLIError.input("unknown scenario \(scenario) (known: \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard scale > 0, scale <= 20 else { throw CLIError.input("--scale must be in (0, 20]") }
        return scenario.trace(seed: seed, scale: scale)
    }

    func loadConfiguration() throws -> RoutingConfiguration? {
        guard let path = routingConfig else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError.input("cannot read \(path)") }
        do {
            return try JSONDecoder().decode(RoutingConfiguration.self, from: data).validated()
        } catch let error as RoutingError {
            throw CLIError.input("\(path): \(error)")
        } catch {
            throw CLIError.input("\(path): not a routing configuration: \(error)")
        }
    }
}

/// What `scripts/sim/optimum.py` reports (its last stdout line).
struct OptimumBound: Codable {
    var method: String
    /// True when `met` is the optimum itself, false when it is an upper bound.
    var exact: Bool
    var met: Double
    var tickets: Int
    var attainment: Double
    var seconds: Double
}

/// Runs the optimum script with python3 on the trace.
struct OptimumScript {
    var path: String
    var timeLimit: Double

    func bound(trace: Trace, proficiencyRelaxation: Int) throws -> OptimumBound {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError.input("optimum script not found at \(path)")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ringdesk-trace-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try trace.encoded().write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path, file.path, "--proficiency-relaxation", "\(proficiencyRelaxation)",
                             "--time-limit", "\(timeLimit)"]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw CLIError.failed("cannot run python3: \(error.localizedDescription)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let hint = errorText.contains("No module named") ? " (install scipy: python3 -m pip install scipy, or run scripts/setup.sh)" : ""
            throw CLIError.failed("optimum script exited with \(process.terminationStatus)\(hint): \(errorText.split(separator: "\n").last ?? "")")
        }
        let last = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        do { return try JSONDecoder().decode(OptimumBound.self, from: Data(last.utf8)) } catch {
            throw CLIError.failed("optimum script printed no result line: \(last)")
        }
    }
}

/// The comparison as a table or one JSON object.
struct SimulationReport: Encodable {
    var trace: String
    var tickets: Int
    var agents: Int
    var policies: [QualityMetrics]
    var optimum: OptimumBound?
    /// Percentage points of first-response attainment between the engine and the optimum.
    var engineGapPP: Double?
    /// What went wrong computing the optimum, when it failed.
    var optimumError: String?
    /// Tickets met by the exact optimum (`--policies …,exact`, ≤ 14 tickets).
    var exactOptimumMet: Int?

    init(trace: Trace, policies: [QualityMetrics], optimum: OptimumBound?) {
        self.trace = trace.name
        tickets = trace.tickets.count
        agents = trace.agents.count
        self.policies = policies
        self.optimum = optimum
        if let optimum, let engine = policies.first(where: { $0.policy == "engine" }) {
            engineGapPP = ((optimum.attainment - engine.firstResponseAttainment) * 1000).rounded() / 10
        }
    }

    enum CodingKeys: String, CodingKey {
        case trace, tickets, agents, policies, optimum
        case engineGapPP = "engine_gap_pp"
        case optimumError = "optimum_error"
        case exactOptimumMet = "exact_optimum_met"
    }

    func table() -> String {
        var header = ["metric"] + policies.map(\.policy)
        if let optimum { header.append(optimum.exact ? "optimum (exact)" : "optimum (bound)") }
        var table = TextTable(header, rightAligned: Set(1..<header.count))
        func pct(_ v: Double) -> String { String(format: "%.1f%%", v * 100) }
        func secs(_ v: Double) -> String { v < 600 ? String(format: "%.0fs", v) : String(format: "%.1fmin", v / 60) }
        func row(_ name: String, _ value: (QualityMetrics) -> String, optimum: String = "") {
            table.add([name] + policies.map(value) + (self.optimum == nil ? [] : [optimum]))
        }
        row("first-response SLA", { pct($0.firstResponseAttainment) }, optimum: optimum.map { pct($0.attainment) } ?? "")
        for urgency in ["red", "yellow", "green"] {
            row("  \(urgency)", { $0.firstResponseByUrgency[urgency].map(pct) ?? "-" })
        }
        row("resolution SLA", { pct($0.resolutionAttainment) })
        row("mean wait", { secs($0.meanWait) })
        row("p90 wait", { secs($0.p90Wait) })
        row("red p90 wait", { secs($0.redP90Wait) })
        row("skill fit", { pct($0.skillFit) })
        row("level excess", { String(format: "%.2f", $0.meanLevelExcess) })
        row("cross-region", { pct($0.crossRegionShare) })
        row("utilisation mean", { pct($0.meanUtilisation) })
        row("utilisation max", { pct($0.maxUtilisation) })
        row("utilisation spread", { pct($0.utilisationSpread) })
        row("never started", { "\($0.tickets - $0.started)" })
        row("preferred agent hits", { "\($0.preferredHits)/\($0.preferredTickets)" })
        var counterNames = Set<String>()
        for policy in policies { if let keys = policy.counters?.keys { counterNames.formUnion(keys) } }
        for name in counterNames.sorted() { row(name.replacingOccurrences(of: "_", with: " "), { $0.counters?[name].map { "\($0)" } ?? "-" }) }
        var lines = ["\(trace): \(tickets) tickets, \(agents) agents", "", table.render(), "", "eligibility:"]
        for policy in policies { lines.append("  \(policy.policy): \(policy.eligibility)") }
        if let exactOptimumMet {
            lines.append("")
            lines.append("exact optimum: \(exactOptimumMet) of \(tickets) met" + policies.map { "; \($0.policy) \($0.firstResponseMet)" }.joined())
        }
        if let optimumError {
            lines.append("")
            lines.append("optimum: failed: \(optimumError)")
        }
        if let optimum {
            lines.append("")
            lines.append("optimum: \(optimum.method), \(String(format: "%.1f", optimum.met)) of \(optimum.tickets) met, \(String(format: "%.1f", optimum.seconds))s"
                + (engineGapPP.map { "; engine gap \(String(format: "%.1f", $0)) pp" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }
}

/// One line of `--tickets-out`: what happened to a ticket under one policy.
struct TicketLine: Encodable {
    var policy: String
    var ticket: String
    var urgency: String
    var arrivalS: Double
    var agent: String?
    var startS: Double?
    var waitS: Double
    var firstResponseMet: Bool
    var resolutionMet: Bool
    var preferredAgentHit: Bool?
    var score: ScoreBreakdown?

    enum CodingKeys: String, CodingKey {
        case policy, ticket, urgency, agent, score
        case arrivalS = "arrival_s"
        case startS = "start_s"
        case waitS = "wait_s"
        case firstResponseMet = "fr_met"
        case resolutionMet = "resolution_met"
        case preferredAgentHit = "preferred_agent_hit"
    }

    static func lines(trace: Trace, outcome: SimulationOutcome) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = Data()
        for (i, ticket) in trace.tickets.enumerated() {
            let start = outcome.start[i]
            let agent = outcome.agent[i].map { trace.agents[$0].id }
            let line = TicketLine(
                policy: outcome.policy, ticket: ticket.id, urgency: ticket.urgency.rawValue, arrivalS: ticket.arrival, agent: agent,
                startS: start, waitS: (start ?? max(outcome.horizon, ticket.arrival)) - ticket.arrival,
                firstResponseMet: start.map { $0 <= ticket.firstResponseDue } ?? false,
                resolutionMet: start.map { $0 + ticket.handling <= ticket.resolutionDue } ?? false,
                preferredAgentHit: ticket.preferredAgent.map { $0 == agent }, score: outcome.scoreBreakdowns[i])
            data.append(try encoder.encode(line))
            data.append(0x0A)
        }
        return data
    }
}
