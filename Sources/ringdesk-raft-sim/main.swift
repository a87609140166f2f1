// The Raft chaos runner behind scripts/chaos/raft-sim: many seeds of the deterministic Raft
// simulation (RaftNode replicas + a replicated machine over a faulty simulated network), each
// checked for election safety, log matching, leader completeness, state-machine safety,
// exactly-once acknowledged commands and the machine's own rules (linearizable claims for the
// shard; one holder per ticket and epoch, accepts of standing offers and honoured fences for the
// domain's ticket lifecycle; epoch-fenced sessions for the routing domain). A failing seed replays
// exactly with --seed. Exits 1 if any seed fails; the last line is one JSON object with the totals.
import ArgumentParser
import Foundation
import RingdeskRaft
import RingdeskShard
import RingdeskTestSupport

struct RaftSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringdesk-raft-sim",
        abstract: "Seeded Raft simulations under faults; failures print the command that replays them.",
        discussion: "Profiles: \(RaftFaultProfile.all.map(\.name).joined(separator: ", ")) (default: the seed picks one).")

    enum Replicas: String, ExpressibleByArgument, CaseIterable {
        case three = "3", five = "5", both
        var choices: [Int] {
            switch self {
            case .three: [3]
            case .five: [5]
            case .both: [3, 5]
            }
        }
    }

    enum Machines: String, ExpressibleByArgument, CaseIterable {
        case shard, tickets, routing, both, all
        var choices: [RaftSimMachine] {
            switch self {
            case .shard: [.shard]
            case .tickets: [.tickets]
            case .routing: [.routing]
            // `both` keeps its meaning (and so the seeds it picked) from before the routing machine.
            case .both: [.shard, .tickets]
            case .all: [.shard, .tickets, .routing]
            }
        }
    }

    @Option(help: "Seeds to run.") var seeds = 20_000
    @Option(help: "The first seed.") var from: UInt64 = 1
    @Option(help: "Replicas per group: 3, 5 or both (the seed picks).") var replicas: Replicas = .both
    @Option(help: "What the group replicates: shard (fenced claims), tickets (the domain's lifecycle), routing (agents and fenced sessions), both (shard or tickets) or all (the seed picks).")
    var machine: Machines = .both
    @Option(help: "Virtual steps of 10 ms per seed.") var steps = 300
    @Option(help: "Replay one seed and print its trace.") var seed: UInt64?
    @Option(help: "A fault profile for every seed.", transform: { name in
        guard let profile = RaftFaultProfile.named(name) else { throw ValidationError("unknown profile \(name)") }
        return profile
    })
    var profile: RaftFaultProfile?
    @Option(name: .customLong("unsafe"), help: "A deliberately broken driver: \(RaftUnsafeDriver.allCases.map(\.rawValue).joined(separator: ", ")).")
    var unsafeDriver: RaftUnsafeDriver = .none
    @Option(help: "Trace events kept for a replay.") var traceLength = 200
    @Option(help: "Fault-free steps the group may take to converge at the end.") var convergenceSteps = RaftSimulationOptions().convergenceSteps

    func validate() throws {
        guard seeds > 0, steps > 0, traceLength > 0, convergenceSteps > 0 else {
            throw ValidationError("--seeds, --steps, --trace-length and --convergence-steps must be positive")
        }
    }

    /// Replicas, profile and machine of a seed: the seed alone picks them, so --seed N replays
    /// exactly what a batch ran.
    func scenario(_ seed: UInt64) -> (replicas: Int, profile: RaftFaultProfile, machine: RaftSimMachine) {
        let picked = RaftSimulation.scenario(seed: seed, replicaChoices: replicas.choices)
        let machines = machine.choices
        let machineIndex = Int((seed / UInt64(replicas.choices.count * RaftFaultProfile.all.count)) % UInt64(machines.count))
        return (picked.replicas, profile ?? picked.profile, machines[machineIndex])
    }

    func replayCommand(_ seed: UInt64) -> String {
        var command = "ringdesk-raft-sim --seed \(seed) --steps \(steps)"
        if replicas != .both { command += " --replicas \(replicas.rawValue)" }
        if machine != .both { command += " --machine \(machine.rawValue)" }
        if let profile { command += " --profile \(profile.name)" }
        if unsafeDriver != .none { command += " --unsafe \(unsafeDriver.rawValue)" }
        return command
    }

    func run() throws {
        if let seed {
            let (replicas, profile, machine) = scenario(seed)
            var simulation = RaftSimulation(seed: seed, replicas: replicas, faults: profile,
                                            options: RaftSimulationOptions(machine: machine, unsafeDriver: unsafeDriver, traceLength: traceLength,
                                                                           convergenceSteps: convergenceSteps))
            let report = simulation.run(steps: steps)
            print("trace (last \(report.trace.count) events):")
            for line in report.trace { print("  \(line)") }
            print("\(report) machine \(machine.rawValue)")
            for violation in report.violations { print("VIOLATION \(violation)") }
            if !report.passed { throw ExitCode(1) }
            return
        }
        try runBatch()
    }

    struct Totals {
        var elections = 0, commits: UInt64 = 0, acknowledged = 0, claims = 0, snapshots = 0, imagesOnDemand = 0, confChanges = 0
        var crashes = 0, partitions = 0, transfers = 0, dropped = 0, sent = 0, reads = 0, corruptions = 0
        var seedsByMachine: [RaftSimMachine: Int] = [:]

        mutating func add(_ report: RaftSimulationReport, machine: RaftSimMachine) {
            elections += report.elections
            commits += report.commits
            acknowledged += report.acknowledged
            claims += report.acknowledgedClaims
            snapshots += report.snapshotsInstalled
            imagesOnDemand += report.imagesOnDemand
            confChanges += report.confChanges
            crashes += report.crashes
            partitions += report.partitions
            transfers += report.transfers
            dropped += report.messagesDropped
            sent += report.messagesSent
            reads += report.readsServed
            corruptions += report.corruptions
            seedsByMachine[machine, default: 0] += 1
        }
    }

    func runBatch() throws {
        let started = ContinuousClock.now
        func seconds() -> String {
            let elapsed = (ContinuousClock.now - started).components
            return String(format: "%.1f", Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
        }
        var failures: [UInt64] = []
        var totals = Totals()
        print("ringdesk-raft-sim: \(seeds) seeds from \(from), replicas \(replicas.choices), machines \(machine.choices.map(\.rawValue)), "
              + "\(steps) steps each, profile \(profile?.name ?? "by seed")")
        for offset in 0..<seeds {
            let seed = from + UInt64(offset)
            let (replicas, profile, machine) = scenario(seed)
            var simulation = RaftSimulation(seed: seed, replicas: replicas, faults: profile,
                                            options: RaftSimulationOptions(machine: machine, unsafeDriver: unsafeDriver,
                                                                           convergenceSteps: convergenceSteps))
            let report = simulation.run(steps: steps)
            totals.add(report, machine: machine)
            if !report.passed {
                failures.append(seed)
                print("FAIL seed \(seed) (\(replicas) replicas, \(profile.name), \(machine.rawValue)): "
                      + report.violations.map(\.description).joined(separator: "; "))
                print("  replay: \(replayCommand(seed))")
                for line in report.trace.suffix(10) { print("    \(line)") }
            }
            if (offset + 1) % 1000 == 0 || offset + 1 == seeds {
                print("  \(offset + 1)/\(seeds) seeds, \(failures.count) failed, \(seconds()) s")
                fflush(nil)
            }
        }
        print("")
        print("seeds  shard  tickets  routing  failed  elections  commits   acked    claims  snapshots  conf-changes  crashes  partitions  seconds")
        print("\(seeds)  \(totals.seedsByMachine[.shard] ?? 0)  \(totals.seedsByMachine[.tickets] ?? 0)  \(totals.seedsByMachine[.routing] ?? 0)  \(failures.count)  "
              + "\(totals.elections)  \(totals.commits)  \(totals.acknowledged)  \(totals.claims)  \(totals.snapshots)  \(totals.confChanges)  "
              + "\(totals.crashes)  \(totals.partitions)  \(seconds())")
        let failed = failures.prefix(50).map(String.init).joined(separator: ",")
        print("{\"seeds\": \(seeds), \"from\": \(from), \"steps\": \(steps), \"shard_seeds\": \(totals.seedsByMachine[.shard] ?? 0), "
              + "\"ticket_seeds\": \(totals.seedsByMachine[.tickets] ?? 0), \"routing_seeds\": \(totals.seedsByMachine[.routing] ?? 0), \"failures\": \(failures.count), "
              + "\"failed_seeds\": [\(failed)], \"elections\": \(totals.elections), \"commits\": \(totals.commits), "
              + "\"acknowledged\": \(totals.acknowledged), \"acknowledged_claims\": \(totals.claims), \"reads_served\": \(totals.reads), "
              + "\"snapshots_installed\": \(totals.snapshots), \"images_on_demand\": \(totals.imagesOnDemand), "
              + "\"conf_changes\": \(totals.confChanges), \"crashes\": \(totals.crashes), \"corruptions\": \(totals.corruptions), "
              + "\"partitions\": \(totals.partitions), \"transfers\": \(totals.transfers), \"messages_sent\": \(totals.sent), "
              + "\"messages_dropped\": \(totals.dropped), \"seconds\": \(seconds())}")
        if !failures.isEmpty { throw ExitCode(1) }
    }
}

extension RaftUnsafeDriver: ExpressibleByArgument {}

RaftSim.main()
