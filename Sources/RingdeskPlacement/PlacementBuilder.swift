/// The working state of one computation: members by index (ascending id), their failure domains
/// as small integers, caps and running loads.
struct PlacementBuilder {
    let settings: PlacementSettings
    let ids: [PlacementNodeID]
    let weights: [Int]
    let regions: [Int]
    let zones: [Int]
    let keys: [UInt64]
    let replicasPerShard: Int
    let replicaCaps: [Int]
    let leaderCaps: [Int]
    var replicaLoads: [Int]
    var leaderLoads: [Int]

    init(alive: [PlacementMember], settings: PlacementSettings) {
        self.settings = settings
        ids = alive.map(\.id)
        weights = alive.map(\.weight)
        var regionIndex: [String: Int] = [:]
        var zoneIndex: [[String]: Int] = [:]
        regions = alive.map { member in
            if let index = regionIndex[member.region] { return index }
            regionIndex[member.region] = regionIndex.count
            return regionIndex.count - 1
        }
        zones = alive.map { member in
            let key = [member.region, member.zone]
            if let index = zoneIndex[key] { return index }
            zoneIndex[key] = zoneIndex.count
            return zoneIndex.count - 1
        }
        keys = alive.map { PlacementHash.nodeKey(seed: settings.seed, node: $0.id) }
        replicasPerShard = min(settings.replicasPerShard, alive.count)
        let totalWeight = weights.reduce(0, +)
        let shardCount = settings.shardCount
        let perShard = replicasPerShard
        let bound = settings.loadBoundPermille
        replicaCaps = weights.map { min(shardCount, Self.cap(total: shardCount * perShard, weight: $0, totalWeight: totalWeight, bound: bound)) }
        leaderCaps = weights.map { Self.cap(total: shardCount, weight: $0, totalWeight: totalWeight, bound: bound) }
        replicaLoads = Array(repeating: 0, count: alive.count)
        leaderLoads = Array(repeating: 0, count: alive.count)
    }

    /// A node's cap: `bound`‰ of its weighted share of `total`, rounded down, but never below the
    /// share rounded up (so the caps always hold the total). Unbounded without a bound.
    static func cap(total: Int, weight: Int, totalWeight: Int, bound: Int?) -> Int {
        guard let bound else { return Int.max }
        let share = (total * weight + totalWeight - 1) / totalWeight
        let bounded = total * weight * bound / (1000 * totalWeight)
        return max(share, bounded)
    }

    mutating func build() -> [[PlacementNodeID]] {
        var sets: [[Int]] = []
        sets.reserveCapacity(settings.shardCount)
        for shard in 0..<settings.shardCount {
            sets.append(pickReplicas(shard: shard, ranking: ranking(shard: shard)))
        }
        var leaders = sets.map { pickLeader($0) }
        if settings.loadBoundPermille != nil { repairLeaders(sets: sets, leaders: &leaders) }
        return sets.indices.map { shard in
            let set = sets[shard]
            let leader = leaders[shard]
            return ([leader] + set.filter { $0 != leader }).map { ids[$0] }
        }
    }

    /// Member indices by descending rendezvous score for `shard` (ties by ascending id).
    func ranking(shard: Int) -> [Int] {
        var scored: [(score: UInt64, index: Int)] = []
        scored.reserveCapacity(ids.count)
        for index in ids.indices {
            var best: UInt64 = 0
            for draw in 0..<weights[index] {
                best = max(best, PlacementHash.score(nodeKey: keys[index], shard: shard, draw: draw))
            }
            scored.append((best, index))
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
        return scored.map(\.index)
    }

    /// Down the ranking: each slot goes to the first member of the best available spread (new
    /// region 2, new zone 1, neither 0) that is under its cap; if all of that spread are full, to
    /// the least-overloaded of them (earliest ranked on a tie).
    mutating func pickReplicas(shard: Int, ranking: [Int]) -> [Int] {
        var remaining = ranking
        var chosen: [Int] = []
        var usedRegions = Set<Int>()
        var usedZones = Set<Int>()
        for _ in 0..<replicasPerShard {
            func spread(_ index: Int) -> Int {
                !usedRegions.contains(regions[index]) ? 2 : !usedZones.contains(zones[index]) ? 1 : 0
            }
            let best = remaining.map(spread).max() ?? 0
            var pick: Int?
            var leastOver = Int.max
            var fallback = 0
            for (position, index) in remaining.enumerated() where spread(index) == best {
                if replicaLoads[index] < replicaCaps[index] {
                    pick = position
                    break
                }
                let over = replicaLoads[index] - replicaCaps[index]
                if over < leastOver {
                    leastOver = over
                    fallback = position
                }
            }
            let index = remaining.remove(at: pick ?? fallback)
            chosen.append(index)
            usedRegions.insert(regions[index])
            usedZones.insert(zones[index])
            replicaLoads[index] += 1
        }
        return chosen
    }

    /// The best-ranked replica under its leader cap, else the one with the fewest leaderships.
    mutating func pickLeader(_ set: [Int]) -> Int {
        let leader = set.first { leaderLoads[$0] < leaderCaps[$0] }
            ?? set.min { leaderLoads[$0] < leaderLoads[$1] }!
        leaderLoads[leader] += 1
        return leader
    }

    /// While a node leads more shards than its cap, find (breadth first, shards and members in
    /// ascending order) a chain of leadership hand-overs inside replica sets that ends at a node
    /// under its cap, and apply it: the overloaded node loses one, the end node gains one, the nodes
    /// between keep their count. Stops for a node when no chain exists.
    mutating func repairLeaders(sets: [[Int]], leaders: inout [Int]) {
        var stuck = Set<Int>()
        while let over = leaderLoads.indices.first(where: { leaderLoads[$0] > leaderCaps[$0] && !stuck.contains($0) }) {
            // predecessor[node] = (previous node, shard whose leadership passes from it to node)
            var predecessor: [Int: (node: Int, shard: Int)] = [over: (over, -1)]
            var queue = [over]
            var head = 0
            var end: Int?
            search: while head < queue.count {
                let node = queue[head]
                head += 1
                for shard in leaders.indices where leaders[shard] == node {
                    for next in sets[shard].sorted() where predecessor[next] == nil {
                        predecessor[next] = (node, shard)
                        if leaderLoads[next] < leaderCaps[next] {
                            end = next
                            break search
                        }
                        queue.append(next)
                    }
                }
            }
            guard var node = end else {
                stuck.insert(over)
                continue
            }
            leaderLoads[node] += 1
            leaderLoads[over] -= 1
            while node != over, let step = predecessor[node] {
                leaders[step.shard] = node
                node = step.node
            }
        }
    }
}
