// The gossip simulation benchmark behind scripts/bench/gossip-sim: SWIM + Lifeguard instances over
// the deterministic simulated network, at several cluster sizes and seeds. Prints a table, then one
// JSON line with the medians over seeds.
//
//   ringdesk-gossip-sim [--short] [--nodes 10,100,1000] [--seeds 3] [--long-seconds 600]
//                       [--delay-ms 1,10] [--trace]
// --delay-ms sets the uniform one-way delay of the simulated network.
// --trace prints every false "dead" declaration of the long run.
import RingdeskMembership
import RingdeskTestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Settings {
    var nodeCounts = [10, 100, 1000]
    var seeds = 3
    var short = false
    var longRunSeconds = 600.0
    var starvation = Duration.seconds(2)
    var delay = (minimum: Duration.milliseconds(1), maximum: Duration.milliseconds(10))

    init(arguments: [String]) {
        var iterator = arguments.makeIterator()
        var longGiven = false
        while let argument = iterator.next() {
            switch argument {
            case "--short": short = true
            case "--trace": break
            case "--delay-ms":
                let bounds = (iterator.next() ?? "").split(separator: ",").compactMap { Int64($0) }
                if bounds.count == 2 { delay = (.milliseconds(bounds[0]), .milliseconds(bounds[1])) }
            case "--nodes": nodeCounts = (iterator.next() ?? "").split(separator: ",").compactMap { Int($0) }
            case "--seeds": seeds = Int(iterator.next() ?? "") ?? seeds
            case "--long-seconds":
                longRunSeconds = Double(iterator.next() ?? "") ?? longRunSeconds
                longGiven = true
            default:
                print("usage: ringdesk-gossip-sim [--short] [--nodes 10,100,1000] [--seeds N] [--long-seconds S] [--delay-ms MIN,MAX] [--trace]")
                exit(2)
            }
        }
        if short {
            if !arguments.contains("--nodes") { nodeCounts = [10, 100] }
            if !arguments.contains("--seeds") { seeds = 2 }
            if !longGiven { longRunSeconds = 120 }
        }
    }
}

/// Figures of one run (one cluster size, one seed).
struct Figures {
    var warmUp: Double?
    var bytesPerNodePerSecond = 0.0
    var bytesByKind: [String: Double] = [:]
    var dissemination: Double?
    var disseminationLossy: Double?
    var detections: [Double] = []
    var detectionsEverywhere: [Double] = []
    var restartRejoin: Double?
    var remerge: Double?
    var falseDeadDeclarations = 0
    var falseDeadViews = 0
    var falseDeadOtherPhases = 0
    var wallSeconds = 0.0
}

/// Watches membership changes and keeps what the phases measure.
final class Tracker {
    enum Phase { case quiet, partition, longRun }
    var phase = Phase.quiet
    var falseDeclarations = 0
    var falseViews = 0
    var otherFalse = 0
    /// Dissemination trial: the subject, the incarnation to reach, observers that saw it.
    var trialSubject: SWIMNodeID?
    var trialIncarnation: UInt64 = 0
    var trialSeen: [Bool] = []
    var trialCount = 0
    var trialReachedAt: SWIMTime?
    var trialNeeded = 0
    /// Crash trials: node → (crash time, first declaration, observers that know).
    var crashedAt: [Int: SWIMTime] = [:]
    var firstDeclaration: [Int: SWIMTime] = [:]
    var knownDead: [Int: Set<Int>] = [:]
    var everywhereAt: [Int: SWIMTime] = [:]

    func observe(_ simulation: SWIMSimulation, observer: Int, change: SWIMMembershipChange, time: SWIMTime) {
        let subject = SWIMSimulation.node(of: change.member.id)
        if let trialSubject, change.member.id == trialSubject, change.member.incarnation >= trialIncarnation,
           !trialSeen[observer] {
            trialSeen[observer] = true
            trialCount += 1
            if trialCount == trialNeeded { trialReachedAt = time }
        }
        guard change.member.status == .dead else { return }
        if crashedAt[subject] != nil {
            // About a crashed node, or about the previous life of one that restarted.
            if !simulation.isUp(subject) {
                if firstDeclaration[subject] == nil { firstDeclaration[subject] = time }
                knownDead[subject, default: []].insert(observer)
                if knownDead[subject]!.count == (0..<simulation.nodeCount).filter(simulation.isUp).count {
                    everywhereAt[subject] = time
                }
            }
            return
        }
        guard simulation.isUp(subject) else { return }
        switch phase {
        case .partition: break
        case .longRun:
            if CommandLine.arguments.contains("--trace") { print("TRACE \(time): \(observer) declared \(subject) dead (\(change.cause)) inc \(change.member.incarnation) actual \(simulation.instance(subject)?.incarnation ?? 0)") }
            falseViews += 1
            if change.cause == .localDetection { falseDeclarations += 1 }
        case .quiet:
            otherFalse += 1
        }
    }
}

func percentile(_ values: [Double], _ p: Double) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func runOnce(nodes n: Int, seed: UInt64, settings: Settings) -> Figures {
    let started = ContinuousClock.now
    var figures = Figures()
    let simulation = SWIMSimulation(options: .init(nodeCount: n, seed: seed, minimumDelay: settings.delay.minimum,
                                                   maximumDelay: settings.delay.maximum))
    let tracker = Tracker()
    tracker.trialSeen = Array(repeating: false, count: n)
    simulation.onChange = { [unowned simulation] observer, change, time in
        tracker.observe(simulation, observer: observer, change: change, time: time)
    }
    var random = SimRandom(seed: seed ^ 0xB0B)
    let seedCount = simulation.options.seedCount
    func pending() -> Int { (0..<n).reduce(0) { $0 + (simulation.instance($1)?.pendingBroadcastCount ?? 0) } }
    func settle(limit: Double) -> Double? {
        let from = simulation.now
        let done = simulation.run(until: { sim in (0..<n).allSatisfy(sim.isUp) && sim.isConverged && pending() == 0 }, step: .milliseconds(500), limit: from + .seconds(limit))
        return done ? simulation.now.since(from).seconds : nil
    }

    // 1. Join through three seeds and settle.
    figures.warmUp = settle(limit: 180)

    // 2. Steady-state traffic (probes, acks, full-state syncs; nothing to gossip).
    // A whole full-state-sync period (30 s × the size scale), so every node syncs its share.
    let scale = Double(simulation.instance(0)?.pushPullScale ?? 1)
    let window = max(60.0, 30.0 * scale)
    let bytesBefore = simulation.bytesSent.reduce(0, +)
    let kindsBefore = simulation.bytesByKind
    simulation.run(for: .seconds(window))
    figures.bytesPerNodePerSecond = Double(simulation.bytesSent.reduce(0, +) - bytesBefore) / Double(n) / window
    for (kind, total) in simulation.bytesByKind {
        figures.bytesByKind[kind] = Double(total - kindsBefore[kind, default: 0]) / Double(n) / window
    }

    // 3. Dissemination of a metadata change to 99.9 % of the other nodes, without and with 10 % loss.
    func disseminationTrials(count: Int) -> Double? {
        var times: [Double] = []
        for _ in 0..<count {
            let subject = seedCount + random.below(n - seedCount)
            tracker.trialSeen = Array(repeating: false, count: n)
            tracker.trialCount = 0
            tracker.trialReachedAt = nil
            tracker.trialNeeded = Int((0.999 * Double(n - 1)).rounded(.up))
            tracker.trialSubject = SWIMSimulation.nodeID(subject)
            let start = simulation.now
            simulation.withInstance(subject) { instance, _ in
                var metadata = instance.metadata
                metadata.load += 1
                try? instance.update(metadata: metadata, payload: instance.payload)
                tracker.trialIncarnation = instance.incarnation
                return []
            }
            _ = simulation.run(until: { _ in tracker.trialReachedAt != nil }, step: .milliseconds(50), limit: start + .seconds(30))
            if let reached = tracker.trialReachedAt { times.append(reached.since(start).seconds) }
            tracker.trialSubject = nil
            simulation.run(for: .seconds(3))
        }
        return median(times)
    }
    let trials = settings.short ? 3 : 5
    figures.dissemination = disseminationTrials(count: trials)
    simulation.setLossRate(0.10)
    figures.disseminationLossy = disseminationTrials(count: trials)
    simulation.setLossRate(0)
    _ = settle(limit: 60)

    // 4. Crash detection: a few nodes crash at random moments within 10 s.
    let crashes = max(1, min(10, n / 20))
    var victims: [Int] = []
    while victims.count < crashes {
        let victim = seedCount + random.below(n - seedCount)
        if !victims.contains(victim) { victims.append(victim) }
    }
    let crashStart = simulation.now
    for victim in victims {
        let at = crashStart + .milliseconds(Int64(random.below(10_000)))
        simulation.schedule(at: at) { simulation in
            simulation.crash(victim)
            tracker.crashedAt[victim] = simulation.now
        }
    }
    _ = simulation.run(until: { _ in
        victims.allSatisfy { tracker.everywhereAt[$0] != nil }
    }, step: .milliseconds(500), limit: crashStart + .seconds(200))
    for victim in victims {
        guard let crashed = tracker.crashedAt[victim] else { continue }
        if let first = tracker.firstDeclaration[victim] { figures.detections.append(first.since(crashed).seconds) }
    }
    for victim in victims {
        if let crashed = tracker.crashedAt[victim], let everywhere = tracker.everywhereAt[victim] {
            figures.detectionsEverywhere.append(everywhere.since(crashed).seconds)
        }
    }
    // 5. The crashed nodes restart (fresh state, incarnation 0) and must refute their death.
    for victim in victims { simulation.restart(victim) }
    figures.restartRejoin = settle(limit: 120)
    tracker.crashedAt.removeAll()

    // 6. Partition into halves for 60 s (the seeds all on one side), then heal.
    tracker.phase = .partition
    simulation.partition([Array(0..<(n / 2)), Array((n / 2)..<n)])
    simulation.run(for: .seconds(60))
    simulation.heal()
    let healed = simulation.now
    _ = simulation.run(until: { $0.isConverged }, step: .milliseconds(250), limit: healed + .seconds(300))
    if simulation.isConverged { figures.remerge = simulation.now.since(healed).seconds }
    _ = settle(limit: 120)
    tracker.phase = .quiet

    // 7. Long run: 5 % loss and one node starved of CPU; every "dead" is false.
    tracker.phase = .longRun
    simulation.setLossRate(0.05)
    let starved = seedCount + random.below(n - seedCount)
    simulation.setStarved(starved, maximumDelay: settings.starvation)
    simulation.run(for: .seconds(settings.longRunSeconds))
    figures.falseDeadDeclarations = tracker.falseDeclarations
    figures.falseDeadViews = tracker.falseViews
    figures.falseDeadOtherPhases = tracker.otherFalse
    figures.wallSeconds = (ContinuousClock.now - started).seconds
    return figures
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

func format(_ value: Double?, _ digits: Int = 2) -> String {
    guard let value else { return "n/a" }
    var text = String(Int((value * pow10(digits)).rounded()))
    if digits > 0 {
        while text.count <= digits { text = "0" + text }
        text.insert(".", at: text.index(text.endIndex, offsetBy: -digits))
    }
    return text
}

func pow10(_ digits: Int) -> Double { (0..<digits).reduce(1.0) { value, _ in value * 10 } }

func json(_ value: Double?) -> String { value.map { format($0, 3) } ?? "null" }

let settings = Settings(arguments: Array(CommandLine.arguments.dropFirst()))
var rows: [(Int, [Figures])] = []
for n in settings.nodeCounts {
    var runs: [Figures] = []
    for seed in 1...settings.seeds {
        let figures = runOnce(nodes: n, seed: UInt64(seed), settings: settings)
        print("n=\(n) seed=\(seed): warm-up \(format(figures.warmUp)) s, dissemination \(format(figures.dissemination)) s "
            + "(10% loss \(format(figures.disseminationLossy)) s), detection \(figures.detections.map { format($0, 1) }) s, "
            + "restart rejoin \(format(figures.restartRejoin)) s, re-merge \(format(figures.remerge)) s, "
            + "false dead \(figures.falseDeadDeclarations) (views \(figures.falseDeadViews), other phases \(figures.falseDeadOtherPhases)), "
            + "\(format(figures.bytesPerNodePerSecond, 0)) B/node/s \(figures.bytesByKind.sorted { $0.key < $1.key }.map { "\($0.key) \(format($0.value, 0))" }), wall \(format(figures.wallSeconds, 1)) s")
        runs.append(figures)
        fflush(nil)  // progress shows as each run ends, even into a file
    }
    rows.append((n, runs))
}

print("")
print("SWIM + Lifeguard, gossip every 200 ms to 3 peers; medians over \(settings.seeds) seeds (detection: over all crashes)")
print("| nodes | 99.9% dissemination | same, 10% loss | detect dead p50 | detect dead p99 | all know dead p50 | false dead (long run) | bytes/node/s | re-merge after 60 s split |")
print("|---|---|---|---|---|---|---|---|---|")
var jsonRows: [String] = []
for (n, runs) in rows {
    let dissemination = median(runs.compactMap(\.dissemination))
    let lossy = median(runs.compactMap(\.disseminationLossy))
    let detections = runs.flatMap(\.detections)
    let p50 = percentile(detections, 0.5)
    let p99 = percentile(detections, 0.99)
    let everywhere = percentile(runs.flatMap(\.detectionsEverywhere), 0.5)
    let falseDead = runs.map(\.falseDeadDeclarations).reduce(0, +)
    let falseViews = runs.map(\.falseDeadViews).reduce(0, +)
    let otherFalse = runs.map(\.falseDeadOtherPhases).reduce(0, +)
    let bytes = median(runs.map(\.bytesPerNodePerSecond))
    let remerge = median(runs.compactMap(\.remerge))
    let unmerged = runs.filter { $0.remerge == nil }.count
    let restart = median(runs.compactMap(\.restartRejoin))
    print("| \(n) | \(format(dissemination)) s | \(format(lossy)) s | \(format(p50, 1)) s | \(format(p99, 1)) s | \(format(everywhere, 1)) s | \(falseDead) | \(format(bytes, 0)) | \(format(remerge, 1)) s\(unmerged > 0 ? " (\(unmerged) runs never merged)" : "") |")
    jsonRows.append("{\"nodes\":\(n),\"seeds\":\(runs.count),\"dissemination_999_s\":\(json(dissemination)),"
        + "\"dissemination_999_loss10_s\":\(json(lossy)),\"detect_dead_p50_s\":\(json(p50)),\"detect_dead_p99_s\":\(json(p99)),\"all_know_dead_p50_s\":\(json(everywhere)),"
        + "\"detections\":\(detections.count),\"false_dead_declarations\":\(falseDead),\"false_dead_views\":\(falseViews),"
        + "\"false_dead_other_phases\":\(otherFalse),\"bytes_per_node_per_s\":\(json(bytes)),\"remerge_after_60s_partition_s\":\(json(remerge)),"
        + "\"unmerged_runs\":\(unmerged),\"restart_rejoin_s\":\(json(restart)),\"long_run_s\":\(format(settings.longRunSeconds, 0))}")
}
print("network: one-way delay uniform \(settings.delay.minimum)...\(settings.delay.maximum)")
print("long run: \(format(settings.longRunSeconds, 0)) s virtual with 5% loss and one node handling every event up to \(settings.starvation) late")
print("{\"benchmark\":\"gossip-sim\",\"short\":\(settings.short),\"results\":[\(jsonRows.joined(separator: ","))]}")
