// The placement benchmark behind scripts/bench/placement: for 64 and 256 shards, how many replicas
// move when a 4th node joins 3 and a 10th joins 9 (against the ideal 1/N of all replicas, the new
// node's fair share), and max/mean replicas and preferred leaders per node for 3...10 nodes, on two
// topologies (one region with a zone per node; two regions, a zone per node). Movement is given for
// the default seed 0 and as median and worst over the seeds; balance is the worst over the seeds.
// Pure computation: no I/O besides printing. Last line: one JSON object.
import ArgumentParser
import Foundation
import RingdeskPlacement

struct PlacementBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringdesk-placement-bench",
        abstract: "Replica movement on joins and balance per node of RingdeskPlacement.")

    @Flag(help: "Seed 0 only (the default placement seed) instead of --seeds.") var short = false
    @Option(help: "Placement seeds 0..<N: balance is the worst over them, movement is reported for seed 0 and as median and worst over them.") var seeds = 10
    @Flag(help: "One line per join and seed.") var trace = false
    @Option(help: "Shard counts, comma-separated.") var shards = "64,256"
    @Option(help: "Replicas per shard (1, 3 or 5).") var replicas = 3
    @Option(help: "Load bound in permille of the fair share; 0 for plain rendezvous.") var loadBound = 1150

    enum Topology: String, CaseIterable {
        case zones = "1 region, zone per node"
        case regions = "2 regions, zone per node"

        func members(_ count: Int) -> [PlacementMember] {
            (1...count).map { index in
                let region = self == .zones ? "region-a" : (index % 2 == 1 ? "region-a" : "region-b")
                return PlacementMember(id: PlacementNodeID(UInt64(index)), region: region, zone: "zone-\(index)")
            }
        }
    }

    /// One join (and the same pair read backwards as a leave). `moved_vs_ideal` is the default
    /// seed's (0) worst over both topologies; the `_median` and `_worst` figures are over every seed
    /// and topology.
    struct JoinCase: Encodable {
        var shards: Int
        var from: Int
        var to: Int
        var ideal_replicas: Double
        var ideal_fraction: Double
        var replicas_moved: Int
        var moved_fraction: Double
        var moved_vs_ideal: Double
        var moved_vs_ideal_median: Double
        var moved_vs_ideal_worst: Double
        var shards_moved: Int
        var shards_moved_without_new_node_worst: Int
        var leader_changes: Int
        var leave_moved_vs_ideal_worst: Double
    }

    struct BalanceCase: Encodable {
        var shards: Int
        var nodes: Int
        var replicas_max_over_mean: Double
        var leaders_max_over_mean: Double
    }

    func settings(_ shardCount: Int, seed: UInt64) -> PlacementSettings {
        PlacementSettings(shardCount: shardCount, replicasPerShard: replicas, version: 1, seed: seed,
                          loadBoundPermille: loadBound == 0 ? nil : loadBound)
    }

    func maxOverMean(_ counts: [PlacementNodeID: Int], nodes: Int, total: Int) -> Double {
        Double(counts.values.max() ?? 0) / (Double(total) / Double(nodes))
    }

    func run() throws {
        let shardCounts = shards.split(separator: ",").compactMap { Int($0) }
        let seedList = (0..<UInt64(short ? 1 : max(1, seeds))).map { $0 }
        let start = ContinuousClock.now
        var placements = 0
        var joins: [JoinCase] = []
        var balance: [BalanceCase] = []

        for shardCount in shardCounts {
            for (from, to) in [(3, 4), (9, 10)] {
                let replicaSlots = shardCount * min(replicas, to)
                let ideal = Double(replicaSlots) / Double(to)
                let newNode = PlacementNodeID(UInt64(to))
                var ratios: [Double] = []
                var defaultMoved = 0, defaultShards = 0, defaultLeaders = 0, collateralWorst = 0
                var leaveWorst = 0.0
                for topology in Topology.allCases {
                    for seed in seedList {
                        let small = try Placement.compute(members: topology.members(from), settings: settings(shardCount, seed: seed))
                        let large = try Placement.compute(members: topology.members(to), settings: settings(shardCount, seed: seed))
                        placements += 2
                        let join = try PlacementDiff(from: small, to: large)
                        let collateral = join.changes.count { $0.movesReplicas && !$0.added.contains(newNode) }
                        if trace {
                            print("trace shards=\(shardCount) \(from)->\(to) \(topology) seed=\(seed) moved=\(join.replicasAdded) collateral=\(collateral) new=\(large.replicaCounts[newNode] ?? 0)")
                        }
                        ratios.append(Double(join.replicasAdded) / ideal)
                        collateralWorst = max(collateralWorst, collateral)
                        if seed == seedList[0], join.replicasAdded >= defaultMoved {
                            defaultMoved = join.replicasAdded
                            defaultShards = join.shardsMoved
                            defaultLeaders = join.leaderChanges
                        }
                        // The same pair the other way: the new node leaves; ideal = what it held.
                        let leave = try PlacementDiff(from: large, to: small)
                        let held = large.replicaCounts[newNode] ?? 0
                        if held > 0 { leaveWorst = max(leaveWorst, Double(leave.replicasAdded) / Double(held)) }
                    }
                }
                ratios.sort()
                joins.append(JoinCase(
                    shards: shardCount, from: from, to: to, ideal_replicas: ideal, ideal_fraction: 1 / Double(to),
                    replicas_moved: defaultMoved, moved_fraction: Double(defaultMoved) / Double(replicaSlots),
                    moved_vs_ideal: Double(defaultMoved) / ideal, moved_vs_ideal_median: ratios[(ratios.count - 1) / 2],
                    moved_vs_ideal_worst: ratios.last ?? 0, shards_moved: defaultShards,
                    shards_moved_without_new_node_worst: collateralWorst, leader_changes: defaultLeaders,
                    leave_moved_vs_ideal_worst: leaveWorst))
            }
            for nodes in 3...10 {
                var result = BalanceCase(shards: shardCount, nodes: nodes, replicas_max_over_mean: 0, leaders_max_over_mean: 0)
                for topology in Topology.allCases {
                    for seed in seedList {
                        let placement = try Placement.compute(members: topology.members(nodes), settings: settings(shardCount, seed: seed))
                        placements += 1
                        result.replicas_max_over_mean = max(result.replicas_max_over_mean, maxOverMean(
                            placement.replicaCounts, nodes: nodes, total: shardCount * min(replicas, nodes)))
                        result.leaders_max_over_mean = max(result.leaders_max_over_mean, maxOverMean(
                            placement.leaderCounts, nodes: nodes, total: shardCount))
                    }
                }
                balance.append(result)
            }
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18

        func f(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
        print("placement: \(replicas) replicas per shard, load bound \(loadBound == 0 ? "none (plain rendezvous)" : "\(loadBound)‰"), seeds 0..<\(seedList.count), topologies: \(Topology.allCases.map(\.rawValue).joined(separator: "; "))")
        print("")
        print("joins: replicas moved (added on any node) against the ideal, the new node's fair share 1/N of all replicas;")
        print("seed 0 (worst of the two topologies), then median and worst over all seeds and topologies")
        print("shards  join   moved  ideal  fraction  ideal  moved/ideal  median  worst  shards moved  leader changes  worst w/o new node  worst leave")
        for join in joins {
            print("\(pad(join.shards, 6))  \(pad("\(join.from)→\(join.to)", 5))  \(pad(join.replicas_moved, 5))  \(pad(f(join.ideal_replicas, 1), 5))  \(pad(f(join.moved_fraction), 8))  \(pad(f(join.ideal_fraction), 5))  \(pad(f(join.moved_vs_ideal), 11))  \(pad(f(join.moved_vs_ideal_median), 6))  \(pad(f(join.moved_vs_ideal_worst), 5))  \(pad(join.shards_moved, 12))  \(pad(join.leader_changes, 14))  \(pad(join.shards_moved_without_new_node_worst, 18))  \(pad(f(join.leave_moved_vs_ideal_worst), 11))")
        }
        print("")
        print("balance: max/mean per node, worst over seeds and topologies")
        print("shards  nodes  replicas  leaders")
        for row in balance {
            print("\(pad(row.shards, 6))  \(pad(row.nodes, 5))  \(pad(f(row.replicas_max_over_mean), 8))  \(pad(f(row.leaders_max_over_mean), 7))")
        }
        let movedWorst = joins.map(\.moved_vs_ideal).max() ?? 0
        let movedMedian = joins.map(\.moved_vs_ideal_median).max() ?? 0
        let movedOverSeeds = joins.map(\.moved_vs_ideal_worst).max() ?? 0
        let balanceWorst = balance.flatMap { [$0.replicas_max_over_mean, $0.leaders_max_over_mean] }.max() ?? 0
        print("")
        print("moved/ideal: worst join at seed 0 \(f(movedWorst)) (target ≤ 1.25), worst median over seeds \(f(movedMedian)), worst over seeds \(f(movedOverSeeds)); worst max/mean \(f(balanceWorst)) (target ≤ 1.15); \(placements) placements in \(f(seconds, 2)) s")

        struct Summary: Encodable {
            var bench = "placement"
            var replicas: Int
            var load_bound_permille: Int
            var seeds: Int
            var moved_vs_ideal: Double
            var moved_vs_ideal_median_over_seeds: Double
            var moved_vs_ideal_worst_over_seeds: Double
            var max_over_mean: Double
            var moved_target_met: Bool
            var balance_target_met: Bool
            var placements: Int
            var seconds: Double
            var joins: [JoinCase]
            var balance: [BalanceCase]
        }
        let summary = Summary(replicas: replicas, load_bound_permille: loadBound, seeds: seedList.count,
                              moved_vs_ideal: (movedWorst * 1000).rounded() / 1000,
                              moved_vs_ideal_median_over_seeds: (movedMedian * 1000).rounded() / 1000,
                              moved_vs_ideal_worst_over_seeds: (movedOverSeeds * 1000).rounded() / 1000, max_over_mean: (balanceWorst * 1000).rounded() / 1000,
                              moved_target_met: movedWorst <= 1.25, balance_target_met: balanceWorst <= 1.15,
                              placements: placements, seconds: (seconds * 1000).rounded() / 1000, joins: joins, balance: balance)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(summary), as: UTF8.self))
    }
}

func pad(_ value: some CustomStringConvertible, _ width: Int) -> String {
    let text = value.description
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

PlacementBench.main()
