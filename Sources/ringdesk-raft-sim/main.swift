// The Raft chaos runner behind scripts/chaos/raft-sim: many seeds of the deterministic Raft
// simulation (RaftNode replicas + ShardStateMachine over a faulty simulated network), each checked
// for election safety, log matching, leader completeness, state-machine safety, exactly-once
// acknowledged commands and linearizable claims. A failing seed replays exactly with --seed.
//
//   ringdesk-raft-sim [--seeds 20000] [--from 1] [--replicas 3|5|both] [--steps 300] [--profile NAME]
//   ringdesk-raft-sim --seed N [--replicas ...] [--steps ...] [--trace-length 200] [--convergence-steps 1500]   replay one seed with its trace
// Profiles: calm, lossy, partitions, crashes, membership, chaos (default: the seed picks one).
// Exits 1 if any seed fails. The last line is one JSON object with the totals.
import RingdeskRaft
import RingdeskShard
import RingdeskTestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Settings {
    var seeds = 20_000
    var from: UInt64 = 1
    var replicaChoices = [3, 5]
    var steps = 300
    var replay: UInt64?
    var profile: RaftFaultProfile?
    var unsafeDriver = RaftUnsafeDriver.none
    var traceLength = 200
    var convergenceSteps = RaftSimulationOptions().convergenceSteps

    init(arguments: [String]) {
        var iterator = arguments.makeIterator()
        func value(_ flag: String) -> String {
            guard let next = iterator.next() else { Settings.usage("\(flag) needs a value") }
            return next
        }
        while let argument = iterator.next() {
            switch argument {
            case "--seeds": seeds = Settings.required(Int(value(argument)), "--seeds takes a number")
            case "--from": from = Settings.required(UInt64(value(argument)), "--from takes a number")
            case "--steps": steps = Settings.required(Int(value(argument)), "--steps takes a number")
            case "--seed": replay = Settings.required(UInt64(value(argument)), "--seed takes a number")
            case "--replicas":
                switch value(argument) {
                case "3": replicaChoices = [3]
                case "5": replicaChoices = [5]
                case "both": replicaChoices = [3, 5]
                default: Settings.usage("--replicas takes 3, 5 or both")
                }
            case "--profile":
                let name = value(argument)
                profile = Settings.required(RaftFaultProfile.named(name), "unknown profile \(name)")
            case "--trace-length": traceLength = Settings.required(Int(value(argument)), "--trace-length takes a number")
            case "--convergence-steps": convergenceSteps = Settings.required(Int(value(argument)), "--convergence-steps takes a number")
            case "--unsafe":
                let name = value(argument)
                unsafeDriver = Settings.required(RaftUnsafeDriver(rawValue: name), "unknown unsafe driver \(name)")
            case "-h", "--help": Settings.usage(nil)
            default: Settings.usage("unknown argument \(argument)")
            }
        }
    }

    static func required<T>(_ value: T?, _ problem: String) -> T {
        guard let value else { usage(problem) }
        return value
    }

    static func usage(_ problem: String?) -> Never {
        if let problem { print("ringdesk-raft-sim: \(problem)") }
        print("usage: ringdesk-raft-sim [--seeds N] [--from N] [--replicas 3|5|both] [--steps K] [--profile NAME]")
        print("       ringdesk-raft-sim --seed N [--replicas 3|5|both] [--steps K] [--profile NAME] [--trace-length N]")
        print("       --unsafe \(RaftUnsafeDriver.allCases.map(\.rawValue).joined(separator: "|")) runs a deliberately broken driver")
        print("profiles: \(RaftFaultProfile.all.map(\.name).joined(separator: ", "))")
        exit(problem == nil ? 0 : 2)
    }

    func scenario(_ seed: UInt64) -> (replicas: Int, profile: RaftFaultProfile) {
        let picked = RaftSimulation.scenario(seed: seed, replicaChoices: replicaChoices)
        return (picked.replicas, profile ?? picked.profile)
    }

    func replayCommand(_ seed: UInt64) -> String {
        var command = "ringdesk-raft-sim --seed \(seed) --steps \(steps)"
        if replicaChoices != [3, 5] { command += " --replicas \(replicaChoices[0])" }
        if let profile { command += " --profile \(profile.name)" }
        if unsafeDriver != .none { command += " --unsafe \(unsafeDriver.rawValue)" }
        return command
    }
}

func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

let settings = Settings(arguments: Array(CommandLine.arguments.dropFirst()))

if let seed = settings.replay {
    let (replicas, profile) = settings.scenario(seed)
    var simulation = RaftSimulation(seed: seed, replicas: replicas, faults: profile,
                                    options: RaftSimulationOptions(unsafeDriver: settings.unsafeDriver, traceLength: settings.traceLength,
                                                                   convergenceSteps: settings.convergenceSteps))
    let report = simulation.run(steps: settings.steps)
    print("trace (last \(report.trace.count) events):")
    for line in report.trace { print("  \(line)") }
    print(report)
    for violation in report.violations { print("VIOLATION \(violation)") }
    exit(report.passed ? 0 : 1)
}

let started = monotonicSeconds()
var failures: [UInt64] = []
var totals = (elections: 0, commits: UInt64(0), acknowledged: 0, claims: 0, snapshots: 0, imagesOnDemand: 0, confChanges: 0, crashes: 0,
              partitions: 0, transfers: 0, dropped: 0, sent: 0, reads: 0, corruptions: 0)
print("ringdesk-raft-sim: \(settings.seeds) seeds from \(settings.from), replicas \(settings.replicaChoices), "
      + "\(settings.steps) steps each, profile \(settings.profile?.name ?? "by seed")")
for offset in 0..<settings.seeds {
    let seed = settings.from + UInt64(offset)
    let (replicas, profile) = settings.scenario(seed)
    var simulation = RaftSimulation(seed: seed, replicas: replicas, faults: profile,
                                    options: RaftSimulationOptions(unsafeDriver: settings.unsafeDriver, convergenceSteps: settings.convergenceSteps))
    let report = simulation.run(steps: settings.steps)
    totals.elections += report.elections
    totals.commits += report.commits
    totals.acknowledged += report.acknowledged
    totals.claims += report.acknowledgedClaims
    totals.snapshots += report.snapshotsInstalled
    totals.imagesOnDemand += report.imagesOnDemand
    totals.confChanges += report.confChanges
    totals.crashes += report.crashes
    totals.partitions += report.partitions
    totals.transfers += report.transfers
    totals.dropped += report.messagesDropped
    totals.sent += report.messagesSent
    totals.reads += report.readsServed
    totals.corruptions += report.corruptions
    if !report.passed {
        failures.append(seed)
        print("FAIL seed \(seed) (\(replicas) replicas, \(profile.name)): \(report.violations.map(\.description).joined(separator: "; "))")
        print("  replay: \(settings.replayCommand(seed))")
        for line in report.trace.suffix(10) { print("    \(line)") }
    }
    if (offset + 1) % 1000 == 0 || offset + 1 == settings.seeds {
        let elapsed = monotonicSeconds() - started
        print("  \(offset + 1)/\(settings.seeds) seeds, \(failures.count) failed, \(String(format: "%.1f", elapsed)) s")
        fflush(nil)
    }
}
let elapsed = monotonicSeconds() - started
print("")
print("seeds  failed  elections  commits   acked    claims  snapshots  conf-changes  crashes  partitions  seconds")
print("\(settings.seeds)  \(failures.count)  \(totals.elections)  \(totals.commits)  \(totals.acknowledged)  \(totals.claims)  "
      + "\(totals.snapshots)  \(totals.confChanges)  \(totals.crashes)  \(totals.partitions)  \(String(format: "%.1f", elapsed))")
let failed = failures.prefix(50).map(String.init).joined(separator: ",")
print("{\"seeds\": \(settings.seeds), \"from\": \(settings.from), \"steps\": \(settings.steps), \"failures\": \(failures.count), "
      + "\"failed_seeds\": [\(failed)], \"elections\": \(totals.elections), \"commits\": \(totals.commits), "
      + "\"acknowledged\": \(totals.acknowledged), \"acknowledged_claims\": \(totals.claims), \"reads_served\": \(totals.reads), \"snapshots_installed\": \(totals.snapshots), \"images_on_demand\": \(totals.imagesOnDemand), "
      + "\"conf_changes\": \(totals.confChanges), \"crashes\": \(totals.crashes), \"corruptions\": \(totals.corruptions), \"partitions\": \(totals.partitions), "
      + "\"transfers\": \(totals.transfers), \"messages_sent\": \(totals.sent), \"messages_dropped\": \(totals.dropped), "
      + "\"seconds\": \(String(format: "%.1f", elapsed))}")
exit(failures.isEmpty ? 0 : 1)
