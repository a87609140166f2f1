/// Which nodes host each shard: the versioned result of `Placement.compute(members:settings:)`.
/// A pure value — every node computes the same one from the same member list and settings — so it
/// can be recorded in the replicated state and compared by `inputDigest` before anyone acts on it.
public struct Placement: Hashable, Sendable, Codable {
    /// The version from the settings: which map this is, for the record and for diffs.
    public var version: UInt64
    public var settings: PlacementSettings
    /// FNV-1a of the canonical input (settings and the member list sorted by id): two nodes holding
    /// placements with the same digest computed them from the same input.
    public var inputDigest: UInt64
    /// For each shard its replica set, the preferred leader first. Fewer than `replicasPerShard`
    /// entries only when fewer members are alive.
    public var shards: [[PlacementNodeID]]

    public init(version: UInt64, settings: PlacementSettings, inputDigest: UInt64, shards: [[PlacementNodeID]]) {
        self.version = version
        self.settings = settings
        self.inputDigest = inputDigest
        self.shards = shards
    }

    public var shardCount: Int { shards.count }

    public func replicas(of shard: Int) -> [PlacementNodeID] { shards[shard] }

    /// The preferred leader of `shard` (the rebalancer transfers leadership towards it).
    public func leader(of shard: Int) -> PlacementNodeID? { shards[shard].first }

    /// The shards with a replica on `node`, ascending: what that node hosts.
    public func shards(on node: PlacementNodeID) -> [Int] {
        shards.indices.filter { shards[$0].contains(node) }
    }

    /// Replicas per node (nodes with none are absent).
    public var replicaCounts: [PlacementNodeID: Int] {
        var counts: [PlacementNodeID: Int] = [:]
        for set in shards { for node in set { counts[node, default: 0] += 1 } }
        return counts
    }

    /// Preferred leaders per node (nodes with none are absent).
    public var leaderCounts: [PlacementNodeID: Int] {
        var counts: [PlacementNodeID: Int] = [:]
        for set in shards { if let leader = set.first { counts[leader, default: 0] += 1 } }
        return counts
    }
}
